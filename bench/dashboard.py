"""Dashboard benchmark: the batch page of a 10,000-job batch, 20 polls each, against reading each
job's latest poll with a query of its own (the pattern the page replaced).

    python bench/dashboard.py [--jobs 10000] [--polls 20] [--repeat 5]

Prints, side by side, the time of: the page's queries and rendering, and the per-job baseline.
"""

from __future__ import annotations

import argparse
import uuid

import _common  # noqa: F401  (puts plugins/ on sys.path)
import psycopg
from _common import median_seconds, ms, print_table, ratio

from irp import migrations
from irp.constants import JobStatus
from irp.dashboard import queries, render
from irp.store import Store
from tests.support.scale import fill_polled_batch


def page(store: Store, batch_id: int) -> int:
    overview = queries.batch(store, batch_id)
    assert overview is not None
    detail = queries.batch_jobs(store, overview, [JobStatus.RUNNING], limit=queries.MAX_JOB_LIMIT)
    render.batch_page(render.Roots("/irp", ""), detail, [])
    queries.batches(store, "bench-cycle")
    return len(detail.jobs)


def baseline(conn: psycopg.Connection, batch_id: int) -> int:
    """One query for the jobs, then one per job for its latest poll."""
    jobs = conn.execute("SELECT id FROM irp_job WHERE batch_id = %s ORDER BY id", (batch_id,)).fetchall()
    for (job_id,) in jobs:
        conn.execute(
            "SELECT tracking_data -> 'progress' FROM irp_job_tracking_log WHERE job_id = %s ORDER BY id DESC LIMIT 1",
            (job_id,),
        ).fetchone()
    return len(jobs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    schema = f"irp_bench_{uuid.uuid4().hex[:8]}"
    store = Store.from_dsn(args.dsn, schema)
    migrations.upgrade(store)
    conn = psycopg.connect(args.dsn, autocommit=True)
    conn.execute(f'SET search_path TO "{schema}"')
    try:
        batch_id = fill_polled_batch(store, "bench-cycle", args.jobs, args.polls)
        assert page(store, batch_id) == baseline(conn, batch_id) == args.jobs
        ours = median_seconds(lambda: page(store, batch_id), args.repeat)
        base = median_seconds(lambda: baseline(conn, batch_id), args.repeat)
        print_table(
            f"Dashboard batch page: {args.jobs:,} jobs x {args.polls} polls, median of {args.repeat}",
            ["operation", "baseline (a query per job)", "irp (page)", "speed-up"],
            [[f"batch page ({args.jobs:,} jobs)", ms(base), ms(ours), ratio(base, ours)]],
        )
    finally:
        store.close()
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.close()


if __name__ == "__main__":
    main()
