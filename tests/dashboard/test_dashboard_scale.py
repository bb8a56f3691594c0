"""A batch of 10,000 polled jobs: its page is a handful of queries, not one per job."""

from __future__ import annotations

import time

import pytest
from psycopg.types.json import Jsonb

from irp import batch as batches
from irp.constants import BatchType, JobStatus
from irp.cycle import ensure_cycle
from irp.dashboard import queries, render
from irp.store import Store

JOBS = 10_000
POLLS = 20  # tracking rows per job
BUDGET_SECONDS = 3.0  # measured ~0.2 s; reading the latest poll by ORDER BY ... LIMIT 1 took 40 s


@pytest.mark.slow
def test_a_large_batch_page_stays_fast(store: Store) -> None:
    cycle = ensure_cycle("scale-cycle", store=store)
    with store.transaction() as cursor:
        cursor.execute(
            "INSERT INTO irp_configuration (cycle_id, configuration_file_name, configuration_data, status,"
            " file_last_updated_ts) VALUES (%s, 'scale.xlsx', %s, 'VALID', now()) RETURNING id",
            (cycle.id, Jsonb({"Metadata": {}})),
        )
        configuration_id = cursor.fetchone()["id"]
    configs = [{"Analysis Name": f"analysis-{index:05d}", "Database": "EDM"} for index in range(JOBS)]
    batch_id = batches.create_batch(BatchType.ANALYSIS, configuration_id, configs, store=store)
    with store.transaction() as cursor:  # what POLLS tracking polls of every job leave behind
        cursor.execute(
            """
            INSERT INTO irp_job_tracking_log (job_id, moodys_workflow_id, job_status, tracking_data, tracked_ts)
            SELECT j.id, j.id::text, 'RUNNING', jsonb_build_object('progress', g * 5),
                   now() - (%(polls)s - g) * interval '30 seconds'
            FROM irp_job j, generate_series(1, %(polls)s) g WHERE j.batch_id = %(batch)s
            """,
            {"polls": POLLS, "batch": batch_id},
        )
        cursor.execute(
            "UPDATE irp_job SET moodys_workflow_id = id::text, status = 'RUNNING', submitted_ts = now(),"
            " last_tracked_ts = now() WHERE batch_id = %s",
            (batch_id,),
        )

    started = time.monotonic()
    overview = queries.batch(store, batch_id)
    assert overview is not None
    detail = queries.batch_jobs(store, overview, [JobStatus.RUNNING], limit=queries.MAX_JOB_LIMIT)
    html = render.batch_page(render.Roots("/irp", ""), detail, [])
    [batch_row] = queries.batches(store, "scale-cycle")
    elapsed = time.monotonic() - started

    assert elapsed < BUDGET_SECONDS
    assert (len(detail.jobs), detail.matching_jobs) == (JOBS, JOBS)
    assert {row.progress for row in detail.jobs} == {POLLS * 5.0}  # the latest poll of each job
    assert detail.jobs[0].entity == "analysis-00000"
    assert html.count("<tr data-job-id=") == JOBS
    assert batch_row.total_jobs == JOBS
