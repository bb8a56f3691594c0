"""A batch of 10,000 polled jobs: its page is a handful of queries, not one per job.

How long it takes is measured by ``bench/dashboard.py``, never asserted here.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from irp.constants import JobStatus
from irp.dashboard import queries, render
from irp.store import Store
from tests.conftest import PG_DSN
from tests.support.scale import fill_polled_batch

JOBS = 10_000
POLLS = 20  # tracking rows per job
MAX_QUERIES = 8  # the page's queries, whatever the number of jobs


class CountingCursor(psycopg.Cursor):
    statements = 0

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        CountingCursor.statements += 1
        return super().execute(*args, **kwargs)


def batch_page(store: Store, cycle_name: str, batch_id: int) -> tuple[queries.BatchDetail, str, Any]:
    """What the batch page reads and renders (the overview, every running job, the cycle's row)."""
    overview = queries.batch(store, batch_id)
    assert overview is not None
    detail = queries.batch_jobs(store, overview, [JobStatus.RUNNING], limit=queries.MAX_JOB_LIMIT)
    html = render.batch_page(render.Roots("/irp", ""), detail, [])
    [batch_row] = queries.batches(store, cycle_name)
    return detail, html, batch_row


@pytest.mark.slow
def test_a_large_batch_page_is_a_few_queries(store: Store) -> None:
    batch_id = fill_polled_batch(store, "scale-cycle", JOBS, POLLS)

    def connect() -> psycopg.Connection[Any]:
        conn = psycopg.connect(PG_DSN)
        conn.cursor_factory = CountingCursor
        return conn

    counted = Store(connect, store.schema)
    try:
        before = CountingCursor.statements
        detail, html, batch_row = batch_page(counted, "scale-cycle", batch_id)
        statements = CountingCursor.statements - before
    finally:
        counted.close()

    assert 0 < statements <= MAX_QUERIES
    assert (len(detail.jobs), detail.matching_jobs) == (JOBS, JOBS)
    assert {row.progress for row in detail.jobs} == {POLLS * 5.0}  # the latest poll of each job
    assert detail.jobs[0].entity == "analysis-00000"
    assert html.count("<tr data-job-id=") == JOBS
    assert batch_row.total_jobs == JOBS
