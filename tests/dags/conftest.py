"""Real cycle runs: dag.test() against Postgres, the Moody's simulator over a socket, the demo
source warehouse and a local Teams webhook receiver."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from moodys_simulator.testing import RunningSimulator, running_simulator
from tests.conftest import PG_DSN, ROOT
from tests.support.webhook import WebhookReceiver, webhook_receiver

SAMPLE_WORKBOOK = ROOT / "include" / "workbooks" / "sample_cycle.xlsx"
API_KEY = "sim-key"


def postgres_connection() -> str:
    return json.dumps({"conn_type": "postgres", "host": "127.0.0.1", "port": 5432, "login": "postgres",
                       "schema": "postgres"})  # fmt: skip


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Airflow's metadata database (SQLite in the test AIRFLOW_HOME: dag.test() is one process)."""
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)


@pytest.fixture(scope="session")
def source_warehouse() -> None:
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute((ROOT / "include" / "demo" / "source_dataset.sql").read_text().encode())


@pytest.fixture(scope="session")
def cycle_simulator() -> Iterator[RunningSimulator]:
    """Jobs take a fraction of a second of wall time: real deferrals, quick runs."""
    with running_simulator(
        mode="time", queued_seconds=0.05, pending_seconds=0.05, running_seconds=0.2, seed_workbook=str(SAMPLE_WORKBOOK)
    ) as simulator:
        yield simulator


@dataclass
class CycleHarness:
    """One cycle declared in a folder of its own, its DAG, and the services it talks to."""

    name: str
    folder: Path
    store: Any
    simulator: RunningSimulator
    teams: WebhookReceiver
    storage: Path
    declaration: dict[str, Any] = field(default_factory=dict)

    @property
    def dag_id(self) -> str:
        return f"irp_cycle__{self.name}"

    def declare(
        self, workbook: Path = SAMPLE_WORKBOOK, batch_types: dict[str, Any] | None = None, **extra: Any
    ) -> None:
        """Write the cycle file: quick polls and retries for every batch type, ``batch_types`` on top.
        Jobs defer at once, so every run goes through the triggerer as a long Moody's job does."""
        quick = {"poll_interval": 0.1, "retries": 1, "retry_delay_seconds": 0.5, "defer_after_seconds": 0}
        self.declaration = {
            "name": self.name,
            "workbook": str(workbook),
            "on_existing": "rerun",
            "batch_types": {bt: {**quick, **(batch_types or {}).get(bt, {})} for bt in _ALL_TYPES},
            **extra,
        }
        (self.folder / f"{self.name}.yaml").write_text(yaml.safe_dump(self.declaration))

    def dag(self) -> Any:
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(dag_folder=str(ROOT / "dags"))
        assert bag.import_errors == {}
        return bag.get_dag(self.dag_id)

    def run(self, **conf: Any) -> Any:
        dag = self.dag()
        return dag.test(run_conf=conf or None)


_ALL_TYPES = [
    "Data Extraction", "EDM Creation", "Portfolio Creation", "MRI Import", "Create Reinsurance Treaties",
    "EDM DB Upgrade", "GeoHaz", "Portfolio Mapping", "Analysis", "Grouping", "Grouping Rollup", "Export to RDM",
]  # fmt: skip


@contextmanager
def harness(
    simulator: RunningSimulator,
    store: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    workbook: Path = SAMPLE_WORKBOOK,
) -> Iterator[CycleHarness]:
    """A cycle of its own on ``simulator`` (reset first), its services configured for Airflow."""
    cycle_simulator = simulator
    cycle_simulator.admin.reset()
    cycle_simulator.admin.clear_faults()
    cycle_simulator.admin.clear_job_outcomes()
    folder = tmp_path / "cycles"
    folder.mkdir()
    storage = tmp_path / "storage"
    with webhook_receiver() as teams:
        env = {
            "AIRFLOW__IRP__CYCLES_FOLDER": str(folder),
            "AIRFLOW__IRP__STORE_SCHEMA": store.schema,
            "AIRFLOW__IRP__STORAGE_ROOT": str(storage),
            "AIRFLOW__IRP__POLL_INTERVAL": "0.1",
            "AIRFLOW__IRP__RESUME_SETTLE_SECONDS": "0",  # dag.test() runs no scheduler to race
            "AIRFLOW_CONN_IRP_POSTGRES": postgres_connection(),
            "AIRFLOW_CONN_SOURCE_SQL": postgres_connection(),
            "AIRFLOW_CONN_DATABRIDGE": postgres_connection(),
            "AIRFLOW_CONN_MOODYS_DEFAULT": json.dumps(
                {
                    "conn_type": "http",
                    "host": cycle_simulator.base_url,
                    "password": API_KEY,
                    "extra": {"resource_group_id": "rg-test"},
                }
            ),
            "AIRFLOW_CONN_TEAMS_DEFAULT": json.dumps({"conn_type": "http", "host": teams.url}),
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        cycle = CycleHarness(f"t{uuid.uuid4().hex[:8]}", folder, store, cycle_simulator, teams, storage)
        cycle.declare(workbook)
        yield cycle


@pytest.fixture
def cycle(airflow_db, source_warehouse, store, cycle_simulator, monkeypatch, tmp_path) -> Iterator[CycleHarness]:
    """The project's sample cycle, ready to run."""
    with harness(cycle_simulator, store, monkeypatch, tmp_path) as ready:
        yield ready
