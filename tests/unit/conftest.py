"""Fixtures of the component tests: the Moody's tests' simulator (ticks mode: every status read
advances a job one phase) and hook, a store, and the ``[irp]`` settings and connections an
operator reads, pointing at them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from irp import batch as batches
from irp.constants import BatchType
from tests.conftest import PG_DSN
from tests.moodys.conftest import data_dir, hook, sim, simulator  # noqa: F401  (fixtures)
from tests.moodys.cycle import EDM, METADATA
from tests.store.conftest import insert_configuration
from tests.support.webhook import WebhookReceiver, webhook_receiver


@dataclass
class TaskInstance:
    """The parts of Airflow's runtime task instance the operators read."""

    try_number: int = 1
    max_tries: int = 2
    dag_id: str = "irp_cycle__unit"
    run_id: str = "manual__unit"
    task_id: str = "edm_creation.job"
    map_index: int = 0
    xcom: dict[str, Any] = field(default_factory=dict)

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value


@pytest.fixture
def teams(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    with webhook_receiver() as receiver:
        monkeypatch.setenv("AIRFLOW_CONN_TEAMS_DEFAULT", json.dumps({"conn_type": "http", "host": receiver.url}))
        yield receiver


@pytest.fixture
def airflow_store(store, hook, teams, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Any:  # noqa: F811
    """The store, Moody's (the simulator) and Teams as the operators find them through Airflow."""
    from urllib.parse import urlparse

    dsn = urlparse(PG_DSN)
    monkeypatch.setenv("AIRFLOW__IRP__STORE_SCHEMA", store.schema)
    monkeypatch.setenv("AIRFLOW__IRP__STORAGE_ROOT", str(tmp_path))
    monkeypatch.setenv(
        "AIRFLOW_CONN_IRP_POSTGRES",
        json.dumps({"conn_type": "postgres", "host": dsn.hostname, "port": dsn.port or 5432,
                    "login": dsn.username, "schema": (dsn.path or "/postgres").lstrip("/")}),
    )  # fmt: skip
    return store


@pytest.fixture
def edm_jobs(airflow_store) -> Any:
    """An active EDM Creation batch of the given EDMs; returns (batch id, job ids)."""

    def make(*names: str) -> tuple[int, list[int]]:
        names = names or (EDM,)
        config = insert_configuration(airflow_store)
        batch_id = batches.create_batch(
            BatchType.EDM_CREATION, config, [{"Metadata": METADATA, "Database": n} for n in names], store=airflow_store
        )
        batches.activate_batch(batch_id, store=airflow_store)
        return batch_id, [j.id for j in batches.get_batch_jobs(batch_id, store=airflow_store)]

    return make


def context(ti: TaskInstance, run_start: datetime = datetime(2000, 1, 1, tzinfo=UTC)) -> dict[str, Any]:
    """A task's context: its task instance, and the start of its DAG run (jobs that ended before
    it are resubmitted by a first try)."""
    return {"ti": ti, "dag_run": type("DagRun", (), {"start_date": run_start})()}
