"""Store benchmark: irp's set-based SQL against the row-by-row pattern of the framework we replace.

    python bench/store.py [--jobs 10000] [--repeat 5] [--dsn postgresql://postgres@127.0.0.1:5432/postgres]

Prints, side by side, the time and SQL round trips of: create_batch with N job configurations,
recon_batch on an N-job batch, and get_batch_jobs on it. The baseline inserts one row per
statement (two round trips per job) and reconciles in Python, as the reference does. Besides wall
time, each operation's CPU time, this process's plus its Postgres backend's (read from /proc, so
counted only for a server on this machine): on a shared machine it stays put while wall time
stretches with the load.
"""

from __future__ import annotations

import argparse
import json
import uuid
from collections import Counter
from typing import Any

import _common  # noqa: F401  (puts plugins/ on sys.path)
import psycopg
from _common import (
    CpuClock,
    Timing,
    backend_cpu_clock,
    interleaved_timings,
    ms,
    plus_process,
    print_table,
    ratio,
    timings,
)

from irp import batch as batches
from irp import migrations
from irp.constants import BatchType, JobStatus
from irp.cycle import ensure_cycle
from irp.recon import recon_batch
from irp.store import Store


class CountingCursor(psycopg.Cursor):
    """Counts statements sent, i.e. SQL round trips (BEGIN/COMMIT are counted separately)."""

    statements = 0

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        CountingCursor.statements += 1
        return super().execute(*args, **kwargs)


def counting_store(dsn: str, schema: str) -> Store:
    def connect() -> psycopg.Connection[Any]:
        conn = psycopg.connect(dsn)
        conn.cursor_factory = CountingCursor
        return conn

    return Store(connect, schema)


def backend_pid(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    return row[0]


def cpu_clock(conn: psycopg.Connection[Any]) -> CpuClock:
    """CPU seconds of this process and of ``conn``'s server process."""
    return plus_process(backend_cpu_clock(backend_pid(conn)))


def round_trips(run) -> int:
    before = CountingCursor.statements
    run()
    return CountingCursor.statements - before


# --- the reference's pattern -------------------------------------------------------------------
def baseline_create(conn: psycopg.Connection[Any], configuration_id: int, data: list[dict[str, Any]]) -> int:
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "INSERT INTO irp_batch (configuration_id, batch_type) VALUES (%s, 'Analysis') RETURNING id",
            (configuration_id,),
        )
        batch_id = cur.fetchone()[0]
        for item in data:
            cur.execute(
                "INSERT INTO irp_job_configuration (batch_id, configuration_id, job_configuration_data)"
                " VALUES (%s, %s, %s) RETURNING id",
                (batch_id, configuration_id, json.dumps(item)),
            )
            config_id = cur.fetchone()[0]
            cur.execute("INSERT INTO irp_job (batch_id, job_configuration_id) VALUES (%s, %s)", (batch_id, config_id))
    return batch_id


def baseline_jobs(conn: psycopg.Connection[Any], batch_id: int) -> list[dict[str, Any]]:
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM irp_job WHERE batch_id = %s ORDER BY id", (batch_id,))
        return cur.fetchall()


def baseline_recon(conn: psycopg.Connection[Any], batch_id: int) -> str:
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM irp_job_configuration WHERE batch_id = %s", (batch_id,))
        configs = cur.fetchall()
        cur.execute("SELECT * FROM irp_job WHERE batch_id = %s", (batch_id,))
        jobs = cur.fetchall()
    counts = Counter("SKIPPED" if j["skipped"] else j["status"] for j in jobs)
    finished = {j["job_configuration_id"] for j in jobs if j["status"] == "FINISHED"}
    unfulfilled = [c["id"] for c in configs if not c["skipped"] and c["id"] not in finished]
    live = [j for j in jobs if not j["skipped"]]
    terminal = {"FINISHED", "FAILED", "CANCELLED", "ERROR"}
    if not live or any(j["status"] not in terminal for j in live):
        status = "ACTIVE"
    elif counts["ERROR"]:
        status = "ERROR"
    elif counts["FAILED"]:
        status = "FAILED"
    else:
        status = "COMPLETED" if not unfulfilled else "ACTIVE"
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "INSERT INTO irp_batch_recon_log (batch_id, recon_result, recon_summary) VALUES (%s, %s, %s)",
            (batch_id, status, json.dumps({"job_status_counts": counts})),
        )
        cur.execute("UPDATE irp_batch SET status = %s WHERE id = %s", (status, batch_id))
    return status


HEADERS = [
    "operation",
    "baseline (row by row)",
    "irp",
    "speed-up",
    "CPU baseline",
    "CPU irp",
    "CPU ratio",
    "round trips baseline",
    "round trips irp",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    schema = f"irp_bench_{uuid.uuid4().hex[:8]}"
    store = counting_store(args.dsn, schema)
    migrations.upgrade(store)
    baseline = psycopg.connect(args.dsn, autocommit=True)
    baseline.cursor_factory = CountingCursor
    baseline.execute(f'SET search_path TO "{schema}"')
    try:
        cycle = ensure_cycle("bench-cycle", store=store)

        def new_configuration() -> int:
            with store.transaction() as cur:
                cur.execute(
                    "INSERT INTO irp_configuration (cycle_id, configuration_file_name, configuration_data, status,"
                    " file_last_updated_ts) VALUES (%s, 'bench.xlsx', '{}', 'VALID', now()) RETURNING id",
                    (cycle.id,),
                )
                return cur.fetchone()["id"]

        configuration_id = new_configuration()
        data = [
            {
                "Metadata": {"Cycle Type": "Quarterly"},
                "Analysis Name": f"A{n}",
                "Database": f"EDM{n % 7}",
                "Portfolio": f"P{n % 11}",
                "Analysis Profile": "DLM CBHU v23",
            }
            for n in range(args.jobs)
        ]
        types = iter(BatchType)

        def ours_create() -> int:
            return batches.create_batch(next(types), configuration_id, data, store=store)

        with store.transaction() as cur:
            ours_cpu = cpu_clock(cur.connection)
        base_cpu = cpu_clock(baseline)
        create_ours = timings(ours_create, min(args.repeat, 11), ours_cpu)
        create_base = timings(lambda: baseline_create(baseline, new_configuration(), data), 1, base_cpu)
        trips_ours = round_trips(lambda: batches.create_batch(next(types), configuration_id, data, store=store))
        trips_base = round_trips(lambda: baseline_create(baseline, new_configuration(), data))

        batch_id = batches.get_batches_for_configuration(configuration_id, store=store)[0].id
        with store.transaction() as cur:  # a realistic mix of statuses
            cur.execute(
                "UPDATE irp_job SET status = CASE WHEN id %% 50 = 0 THEN 'RUNNING' ELSE 'FINISHED' END::job_status_enum"
                " WHERE batch_id = %s",
                (batch_id,),
            )
        recon_ours = timings(lambda: recon_batch(batch_id, store=store), args.repeat, ours_cpu)
        recon_base = timings(lambda: baseline_recon(baseline, batch_id), args.repeat, base_cpu)
        recon_trips = (
            round_trips(lambda: recon_batch(batch_id, store=store)),
            round_trips(lambda: baseline_recon(baseline, batch_id)),
        )
        assert recon_batch(batch_id, store=store).status.value == baseline_recon(baseline, batch_id)
        reads = interleaved_timings(
            {
                "ours": lambda: batches.get_batch_jobs(batch_id, store=store),
                "baseline": lambda: baseline_jobs(baseline, batch_id),
            },
            args.repeat,
            {"ours": ours_cpu, "baseline": base_cpu},
        )
        jobs_ours, jobs_base = reads["ours"], reads["baseline"]
        assert len(batches.get_batch_jobs(batch_id, status=JobStatus.RUNNING, store=store)) == args.jobs // 50

        n = args.jobs

        def row(operation: str, base: Timing, ours: Timing, trips: tuple[int, int]) -> list[object]:
            return [operation, ms(base.wall), ms(ours.wall), ratio(base.wall, ours.wall), ms(base.cpu), ms(ours.cpu),
                    ratio(base.cpu, ours.cpu), *trips]  # fmt: skip

        print_table(
            f"Store benchmark: {n:,} jobs, median of {args.repeat} (baseline create: 1 run)",
            HEADERS,
            [
                row(f"create_batch ({n:,} configs)", create_base, create_ours, (trips_base, trips_ours)),
                row(f"recon_batch ({n:,} jobs)", recon_base, recon_ours, (recon_trips[1], recon_trips[0])),
                row(f"get_batch_jobs ({n:,} jobs)", jobs_base, jobs_ours, (1, 1)),
            ],
        )
        print("\nround trips = SQL statements sent (each transaction adds BEGIN and COMMIT).")
        print("CPU = this process's and its Postgres backend's CPU time (the backend's only for a local server).")
        print("get_batch_jobs: baseline = the raw query (SELECT *, dict rows); irp builds Job records (taking turns).")
    finally:
        store.close()
        baseline.execute(f'DROP SCHEMA "{schema}" CASCADE')
        baseline.close()


if __name__ == "__main__":
    main()
