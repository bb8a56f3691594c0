"""Fixtures of the repair tests: the sample cycle loaded into a real store with its batches, and
the Moody's simulator on a real socket behind the ``moodys_default`` connection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from irp import batch as batches
from irp import job as jobs
from irp.batch import configuration_data
from irp.configuration import generate_job_configurations, load_configuration, required_batch_types
from irp.constants import BatchType
from irp.records import Job
from irp.store import Store
from moodys_simulator.testing import RunningSimulator, running_simulator
from tests.conftest import ROOT

SAMPLE_WORKBOOK = ROOT / "include" / "workbooks" / "sample_cycle.xlsx"
CYCLE = "2026-Q2-repair"
API_KEY = "sim-key"


@dataclass
class LoadedCycle:
    """The sample cycle as ``create_batches`` leaves it: every batch INITIATED, every job INITIATED."""

    store: Store
    name: str
    configuration_id: int
    batch_ids: dict[BatchType, int]

    def jobs(self, batch_type: BatchType) -> list[Job]:
        return batches.get_batch_jobs(self.batch_ids[batch_type], store=self.store)

    def job(self, batch_type: BatchType, index: int = 0) -> Job:
        return self.jobs(batch_type)[index]

    def data(self, job_id: int) -> dict[str, Any]:
        return jobs.get_job_config(job_id, store=self.store).job_configuration_data

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        with self.store.transaction() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def snapshot(self) -> list[list[dict[str, Any]]]:
        """Every row a repair could change: equal snapshots mean nothing was written."""
        tables = ["irp_cycle", "irp_batch", "irp_job_configuration", "irp_job", "irp_repair_log"]
        return [self.rows(f"SELECT * FROM {table} ORDER BY id") for table in tables]


def edited_workbook(folder: Path, sheet: str, cell: str, value: Any) -> Path:
    """A copy of the sample with one cell changed (openpyxl keeps the cached values it does not touch)."""
    from openpyxl import load_workbook

    workbook = load_workbook(SAMPLE_WORKBOOK)
    workbook[sheet][cell] = value
    path = folder / "edited.xlsx"
    workbook.save(path)
    return path


@pytest.fixture
def loaded(store: Store) -> LoadedCycle:
    result = load_configuration(CYCLE, SAMPLE_WORKBOOK, store=store)
    document = configuration_data(result.configuration_id, store=store)
    wanted = {bt: generate_job_configurations(document, bt) for bt in required_batch_types(document)}
    return LoadedCycle(store, CYCLE, result.configuration_id, batches.create_batches(result.configuration_id, wanted,
                                                                                     store=store))  # fmt: skip


@pytest.fixture(scope="session")
def simulator() -> Iterator[RunningSimulator]:
    """Ticks mode: every status read moves a job one phase, so a repair's polls drive a cancellation."""
    with running_simulator(mode="ticks", seed_workbook=str(SAMPLE_WORKBOOK)) as running:
        yield running


@pytest.fixture
def moodys(simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch) -> RunningSimulator:
    """The simulator, reset, as the ``moodys_default`` Airflow connection."""
    simulator.admin.reset()
    simulator.admin.clear_job_outcomes()
    connection = {"conn_type": "http", "host": simulator.base_url, "password": API_KEY,
                  "extra": {"resource_group_id": "rg-test"}}  # fmt: skip
    monkeypatch.setenv("AIRFLOW_CONN_MOODYS_DEFAULT", json.dumps(connection))
    monkeypatch.setenv("AIRFLOW__IRP__POLL_INTERVAL", "0.01")
    monkeypatch.setenv("AIRFLOW__IRP__RESUME_SETTLE_SECONDS", "0")  # dag.test() runs no scheduler to race
    return simulator
