"""A deployment with everything a cycle talks to: the Moody's simulator, a store schema of its own,
the demo source warehouse, a recording Teams webhook and the declared cycles. Used by the
deployment tier's fixture and by ``bench/deployment.py``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import yaml

from irp.store import Store
from moodys_simulator.testing import running_simulator
from tests.conftest import PG_DSN, ROOT, new_schema_name
from tests.deployment.deployment import Deployment, Executor, Services, running_deployment
from tests.support.webhook import webhook_receiver

SAMPLE_WORKBOOK = ROOT / "include" / "workbooks" / "sample_cycle.xlsx"
API_KEY = "sim-key"
BATCH_TYPES = (
    "Data Extraction", "EDM Creation", "Portfolio Creation", "MRI Import", "Create Reinsurance Treaties",
    "EDM DB Upgrade", "GeoHaz", "Portfolio Mapping", "Analysis", "Grouping", "Grouping Rollup", "Export to RDM",
)  # fmt: skip
#: Every batch type of every declared cycle: quick polls, and retries for the faults.
QUICK = {"poll_interval": 1, "retries": 3, "retry_delay_seconds": 2}


def declare_cycles(
    folder: Path, cycles: Mapping[str, tuple[Path, str]], settings: Mapping[str, Any] | None = None
) -> None:
    """One cycle file per ``name -> (workbook, on_existing)``; ``settings`` override ``QUICK``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (workbook, on_existing) in cycles.items():
        declaration = {
            "name": name,
            "workbook": str(workbook),
            "on_existing": on_existing,
            "batch_types": {batch_type: {**QUICK, **(settings or {})} for batch_type in BATCH_TYPES},
        }
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(declaration))


def _connection(**fields: Any) -> str:
    return json.dumps(fields)


def _migrate_store(schema: str, project: Path, home: Path) -> Store:
    """The store migrated by ``project``'s own code (another revision may have other migrations)."""
    env = {"PYTHONPATH": f"{project / 'plugins'}", "AIRFLOW__IRP__STORE_SCHEMA": schema,
           "AIRFLOW_CONN_IRP_POSTGRES": _postgres(), "PATH": str(Path(sys.executable).parent)}  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "irp", "db", "upgrade"], env=env, cwd=project, check=True, capture_output=True
    )
    return Store.from_dsn(PG_DSN, schema)


def _postgres() -> str:
    return _connection(conn_type="postgres", host="127.0.0.1", port=5432, login="postgres", schema="postgres")


@contextmanager
def cycle_deployment(
    home: Path,
    executor: Executor,
    cycles: Mapping[str, tuple[Path, str]],
    project: Path = ROOT,
    simulator_options: Mapping[str, Any] | None = None,
    batch_settings: Mapping[str, Any] | None = None,
    airflow_settings: Mapping[str, str] | None = None,
) -> Iterator[tuple[Deployment, Services]]:
    """``airflow_settings``: more environment for every component (``AIRFLOW__SECTION__KEY``: the
    benchmark's StatsD metrics)."""
    declare_cycles(home / "cycles", cycles, batch_settings)
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute((ROOT / "include" / "demo" / "source_dataset.sql").read_text().encode())
    schema = new_schema_name()
    store = _migrate_store(schema, project, home)
    options = {"mode": "time", "queued_seconds": 0.5, "pending_seconds": 0.5, "running_seconds": 2,
               **(simulator_options or {})}  # fmt: skip
    try:
        with (
            running_simulator(seed_workbook=str(SAMPLE_WORKBOOK), **options) as simulator,
            webhook_receiver() as teams,
        ):
            services = {
                "AIRFLOW__IRP__CYCLES_FOLDER": str(home / "cycles"),
                "AIRFLOW__IRP__STORE_SCHEMA": schema,
                "AIRFLOW__IRP__STORAGE_ROOT": str(home / "storage"),
                "AIRFLOW__IRP__POLL_INTERVAL": "1",
                "AIRFLOW_CONN_IRP_POSTGRES": _postgres(),
                "AIRFLOW_CONN_SOURCE_SQL": _postgres(),
                "AIRFLOW_CONN_DATABRIDGE": _postgres(),
                "AIRFLOW_CONN_MOODYS_DEFAULT": _connection(
                    conn_type="http",
                    host=simulator.base_url,
                    password=API_KEY,
                    extra={"resource_group_id": "rg-deployment"},
                ),
                "AIRFLOW_CONN_TEAMS_DEFAULT": _connection(conn_type="http", host=teams.url),
                **(airflow_settings or {}),
            }
            with running_deployment(home, executor, services, project) as running:
                yield running, Services(store, simulator, teams, home / "storage")
    finally:
        store.close()
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
