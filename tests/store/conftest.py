"""Fixtures of the store tests: a cycle with a VALID configuration, and batch builders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from irp import batch as batches
from irp import job as jobs
from irp.constants import BatchType, JobStatus
from irp.cycle import ensure_cycle
from irp.store import Store


def insert_configuration(store: Store, cycle_name: str = "2026-Q1", status: str = "VALID") -> int:
    cycle = ensure_cycle(cycle_name, store=store)
    with store.transaction() as cursor:
        cursor.execute(
            "INSERT INTO irp_configuration (cycle_id, configuration_file_name, configuration_data, status,"
            " file_last_updated_ts) VALUES (%s, %s, %s, %s, now()) RETURNING id",
            (cycle.id, "cycle.xlsx", Jsonb({"Metadata": {}, "Databases": [{"Database": "DB1"}]}), status),
        )
        return cursor.fetchone()["id"]


@pytest.fixture
def configuration_id(store: Store) -> int:
    return insert_configuration(store)


MakeBatch = Callable[..., tuple[int, list[int]]]


@pytest.fixture
def make_batch(store: Store) -> MakeBatch:
    """Create a batch whose jobs are set to the given statuses; returns (batch id, job ids).

    Each status may be a ``JobStatus`` or ``(JobStatus, skipped)``.
    """
    cycles = iter(range(1, 10_000))

    def make(statuses: Sequence[Any] = (), batch_type: BatchType = BatchType.EDM_CREATION) -> tuple[int, list[int]]:
        # One batch per type and configuration: each batch gets a configuration of its own.
        config = insert_configuration(store, f"cycle-{next(cycles)}")
        batch_id = batches.create_batch(
            batch_type, config, [{"Database": f"DB{index}"} for index in range(len(statuses))], store=store
        )
        job_ids = [job.id for job in batches.get_batch_jobs(batch_id, store=store)]
        for job_id, spec in zip(job_ids, statuses, strict=True):
            status, skipped = spec if isinstance(spec, tuple) else (spec, False)
            if status is not JobStatus.INITIATED:
                jobs.update_job_status(job_id, status, store=store)
            if skipped:
                jobs.skip_job(job_id, store=store)
        return batch_id, job_ids

    return make
