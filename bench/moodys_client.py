"""Benchmark of the Moody's client against the simulator (in-process, real socket).

    .venv/bin/python bench/moodys_client.py [--jobs 200] [--concurrency 16]

Measures, sync vs async:
The simulator runs as its own process (``python -m moodys_simulator``).

* submissions per second (EDM Creation: server look-up, exposure-set get-or-create, POST) —
  sync = one hook, one job after another; async = ``asyncio.to_thread`` over ``--concurrency``
  hooks (submission is synchronous by design, the event loop only fans it out);
* status polls per second — sync = ``get_job_status`` in a loop; async = ``aget_job_status``
  with ``--concurrency`` polls in flight on one aiohttp session;
* HTTP calls per tracked job — submit, then poll every ``--poll-interval`` seconds until
  FINISHED, in time mode (1 s queued, 1 s pending, 4 s running, scaled by ``--time-scale``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]

from irp.configuration.specs import EdmCreationSpec  # noqa: E402
from irp.constants import BatchType  # noqa: E402
from irp.moodys.hook import MoodysHook  # noqa: E402
from irp.moodys.retry import RetryPolicy  # noqa: E402
from moodys_simulator.testing import simulator_process  # noqa: E402

API_KEY = "bench-key-0123456789"
CONN_ID = "moodys_bench"
EDM_CREATION = BatchType.EDM_CREATION
#: The benchmark is one store of its own: its own namespace of idempotency keys.
INSTALLATION = uuid.uuid4()


@dataclass
class Row:
    metric: str
    sync: float
    asynchronous: float
    unit: str

    @property
    def ratio(self) -> float:
        return self.asynchronous / self.sync if self.sync else float("nan")


def use_simulator(base_url: str) -> None:
    os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = json.dumps(
        {
            "conn_type": "http",
            "host": base_url,
            "schema": "http",
            "password": API_KEY,
            "extra": {"resource_group_id": "bench-rg"},
        }
    )


def new_hook() -> MoodysHook:
    return MoodysHook(moodys_conn_id=CONN_ID, retry_policy=RetryPolicy(backoff_factor=0.01))


def edm_config(number: int) -> EdmCreationSpec:
    return EdmCreationSpec(database=f"RM_EDM_202511_Bench_{number}")


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def bench_submissions(jobs: int, concurrency: int) -> tuple[float, float, list[str]]:
    hook = new_hook()
    workflow_ids: list[str] = []
    sync_seconds = timed(
        lambda: workflow_ids.extend(
            hook.submit_job(EDM_CREATION, n, edm_config(n), installation_id=INSTALLATION).workflow_id
            for n in range(jobs)
        )
    )
    hooks = [new_hook() for _ in range(concurrency)]

    async def submit_all() -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for number in range(jobs, 2 * jobs):
            queue.put_nowait(number)

        async def worker(worker_hook: MoodysHook) -> None:
            while not queue.empty():
                number = queue.get_nowait()
                await asyncio.to_thread(
                    worker_hook.submit_job, EDM_CREATION, number, edm_config(number), installation_id=INSTALLATION
                )

        await asyncio.gather(*(worker(worker_hook) for worker_hook in hooks))

    async_seconds = timed(lambda: asyncio.run(submit_all()))
    return jobs / sync_seconds, jobs / async_seconds, workflow_ids


def bench_polls(workflow_ids: list[str], polls: int, concurrency: int) -> tuple[float, float]:
    hook = new_hook()
    sync_seconds = timed(
        lambda: [hook.get_job_status(EDM_CREATION, workflow_ids[n % len(workflow_ids)]) for n in range(polls)]
    )

    async def poll_all() -> None:
        semaphore = asyncio.Semaphore(concurrency)

        async def poll(number: int) -> None:
            async with semaphore:
                await hook.aget_job_status(EDM_CREATION, workflow_ids[number % len(workflow_ids)])

        async with hook:
            await asyncio.gather(*(poll(number) for number in range(polls)))

    async_seconds = timed(lambda: asyncio.run(poll_all()))
    return polls / sync_seconds, polls / async_seconds


def bench_calls_per_job(jobs: int, poll_interval: float) -> tuple[float, float]:
    """HTTP round trips per job, from submission to FINISHED."""
    sync_hook = new_hook()
    for number in range(jobs):
        workflow_id = sync_hook.submit_job(
            EDM_CREATION, 10_000 + number, edm_config(10_000 + number), installation_id=INSTALLATION
        ).workflow_id
        while not sync_hook.get_job_status(EDM_CREATION, workflow_id).status.terminal:
            time.sleep(poll_interval)
    sync_calls = sync_hook.client.counter.calls / jobs

    async_hook = new_hook()
    submitted = [
        async_hook.submit_job(
            EDM_CREATION, 20_000 + n, edm_config(20_000 + n), installation_id=INSTALLATION
        ).workflow_id
        for n in range(jobs)
    ]

    async def track(workflow_id: str) -> None:
        while not (await async_hook.aget_job_status(EDM_CREATION, workflow_id)).status.terminal:
            await asyncio.sleep(poll_interval)

    async def track_all() -> int:
        async with async_hook:
            await asyncio.gather(*(track(workflow_id) for workflow_id in submitted))
            client = await async_hook.aclient()
            return client.counter.calls

    async_polls = asyncio.run(track_all())
    return sync_calls, (async_hook.client.counter.calls + async_polls) / jobs


def print_table(rows: list[Row]) -> None:
    print(f"{'metric':<38} {'sync':>12} {'async':>12} {'async/sync':>11}  unit")
    print("-" * 86)
    for row in rows:
        print(f"{row.metric:<38} {row.sync:>12.1f} {row.asynchronous:>12.1f} {row.ratio:>10.2f}x  {row.unit}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--polls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--tracked-jobs", type=int, default=10)
    parser.add_argument("--time-scale", type=float, default=0.1, help="simulated seconds per real second")
    args = parser.parse_args()
    scale = args.time_scale
    cli = ["--api-key", API_KEY, "--mode", "time"]
    for option, seconds in (("--queued-seconds", 1), ("--pending-seconds", 1), ("--running-seconds", 4)):
        cli += [option, str(seconds * scale)]
    with simulator_process(*cli) as base_url:
        use_simulator(base_url)
        sync_submit, async_submit, workflow_ids = bench_submissions(args.jobs, args.concurrency)
        sync_poll, async_poll = bench_polls(workflow_ids, args.polls, args.concurrency)
        sync_calls, async_calls = bench_calls_per_job(args.tracked_jobs, poll_interval=1 * scale)
    print_table(
        [
            Row("submissions per second", sync_submit, async_submit, "jobs/s"),
            Row("status polls per second", sync_poll, async_poll, "polls/s"),
            Row("HTTP calls per tracked job (1 s polls)", sync_calls, async_calls, "calls/job"),
        ]
    )
    print(
        f"\n{args.jobs} submissions, {args.polls} polls, concurrency {args.concurrency}; "
        f"tracked {args.tracked_jobs} jobs through QUEUED 1 s, PENDING 1 s, RUNNING 4 s (x{scale} real time)."
    )


if __name__ == "__main__":
    main()
