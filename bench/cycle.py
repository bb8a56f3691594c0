"""Cycle benchmark: how irp waits for Moody's against the framework it replaces.

    .venv/bin/python bench/cycle.py [--jobs 300] [--running-seconds 6] [--spread 0.8]

A batch of ``--jobs`` asynchronous Moody's jobs (EDM Creation) on the simulator (its own
process, time mode), with log-normally spread running times. Printed side by side:

* irp — submissions through an 8-slot pool (the ``moodys_api`` pool), each job then waited for
  by the real ``MoodysJobTrigger`` (the triggerer's event loop, one shared poller: one list
  request per round for every job in flight): no worker slot is held while Moody's computes;
* baseline — the framework's pattern: submit every job in turn, then poll each job in turn
  with a fixed sleep between passes, in one worker slot for the whole time.

Makespan is compared to the critical path — the longest job's own duration, the physical
limit when every job is in flight at once — with HTTP calls per job and worker-slot seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import _common  # noqa: F401  (puts plugins/ on sys.path)
import httpx
from _common import print_table

from irp.constants import BatchType
from irp.moodys.hook import MoodysHook
from irp.triggers.job import MoodysJobTrigger
from moodys_simulator.testing import simulator_process

CONN_ID = "moodys_bench"
EDM = BatchType.EDM_CREATION
#: The benchmark is one store of its own: its own namespace of idempotency keys.
INSTALLATION = uuid.uuid4()


@dataclass
class Outcome:
    makespan: float
    critical_path: float
    api_calls: int
    slot_seconds: float
    finished: int


def configure(base_url: str) -> None:
    os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = json.dumps(
        {"conn_type": "http", "host": base_url, "password": "sim-key", "extra": {"resource_group_id": "bench"}}
    )


def sim_state(base_url: str) -> dict:
    return httpx.get(f"{base_url}/_sim/state", timeout=60).json()


def summarize(base_url: str, started: float, ended: float, slot_seconds: float) -> Outcome:
    state = sim_state(base_url)
    jobs = [j for j in state["jobs"] if j["kind"] == "riskdata"]
    return Outcome(
        makespan=ended - started,
        critical_path=max(j["plannedSeconds"] for j in jobs),
        api_calls=state["apiRequests"],
        slot_seconds=slot_seconds,
        finished=sum(j["status"] == "FINISHED" for j in jobs),
    )


def config(number: int, label: str) -> dict[str, str]:
    return {"Database": f"RM_EDM_BENCH_{label}_{number:04d}"}


def run_irp(base_url: str, jobs: int, slots: int, poll_interval: float) -> Outcome:
    """Pool-limited submissions, then the real trigger per job (in one event loop)."""

    busy = 0.0

    def submit(number: int) -> str:
        nonlocal busy
        began = time.perf_counter()
        hook = MoodysHook(CONN_ID)
        workflow_id = hook.submit_job(EDM, number, config(number, "IRP"), installation_id=INSTALLATION).workflow_id
        hook.close()
        busy += time.perf_counter() - began
        return workflow_id

    async def wait(number: int, workflow_id: str) -> None:
        trigger = MoodysJobTrigger(
            job_id=number, batch_type=EDM.value, workflow_id=workflow_id, moodys_conn_id=CONN_ID,
            poll_interval=poll_interval, deadline=time.time() + 3600,
        )  # fmt: skip
        async for event in trigger.run():
            assert event.payload["outcome"] == "ended", event.payload
            return

    async def main() -> None:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(slots) as pool:
            submissions = [loop.run_in_executor(pool, submit, n) for n in range(1, jobs + 1)]
            waits = []
            for number, future in enumerate(submissions, start=1):
                waits.append(asyncio.create_task(wait(number, await future)))
            await asyncio.gather(*waits)

    started = time.perf_counter()
    asyncio.run(main())
    return summarize(base_url, started, time.perf_counter(), busy)


def run_baseline(base_url: str, jobs: int, sleep: float) -> Outcome:
    """Submit every job in turn, then poll each job in turn, sleeping between passes."""
    started = time.perf_counter()
    hook = MoodysHook(CONN_ID)
    pending = [
        hook.submit_job(EDM, n, config(n, "BASE"), installation_id=INSTALLATION).workflow_id for n in range(1, jobs + 1)
    ]
    while pending:
        pending = [w for w in pending if not hook.get_job_status(EDM, w).status.terminal]
        if pending:
            time.sleep(sleep)
    hook.close()
    ended = time.perf_counter()
    return summarize(base_url, started, ended, ended - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--running-seconds", type=float, default=20.0, help="median running time of a job")
    parser.add_argument("--spread", type=float, default=0.5, help="log-normal spread of running times")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="Moody's response time added per call")
    parser.add_argument("--slots", type=int, default=8, help="submission pool slots (irp)")
    parser.add_argument("--poll-interval", type=float, default=10.0, help="seconds between polls of one job (irp)")
    parser.add_argument("--baseline-sleep", type=float, default=10.0, help="sleep between polling passes (baseline)")
    args = parser.parse_args()

    timing = ["--mode", "time", "--queued-seconds", "0.5", "--pending-seconds", "0.5",
              "--running-seconds", str(args.running_seconds), "--running-spread", str(args.spread),
              "--latency-ms", str(args.latency_ms)]  # fmt: skip
    results = {}
    for name, run in (
        ("baseline", lambda url: run_baseline(url, args.jobs, args.baseline_sleep)),
        ("irp", lambda url: run_irp(url, args.jobs, args.slots, args.poll_interval)),
    ):
        with simulator_process(*timing) as base_url:  # a fresh simulator (same seed) per pattern
            configure(base_url)
            results[name] = run(base_url)
    base, ours = results["baseline"], results["irp"]
    rows = [
        ["jobs finished", base.finished, ours.finished, ""],
        ["critical path (longest job)", f"{base.critical_path:.1f} s", f"{ours.critical_path:.1f} s", ""],
        ["makespan", f"{base.makespan:.1f} s", f"{ours.makespan:.1f} s", f"{base.makespan / ours.makespan:.2f}x"],
        ["makespan / critical path", f"{base.makespan / base.critical_path:.2f}",
         f"{ours.makespan / ours.critical_path:.2f}", ""],
        ["HTTP calls per job", f"{base.api_calls / args.jobs:.1f}", f"{ours.api_calls / args.jobs:.1f}",
         f"{base.api_calls / ours.api_calls:.2f}x"],
        ["worker-slot seconds", f"{base.slot_seconds:.0f}", f"{ours.slot_seconds:.0f}",
         f"{base.slot_seconds / ours.slot_seconds:.1f}x"],
        ["worker slots held while waiting", "1", "0", ""],
    ]  # fmt: skip
    print_table(
        f"{args.jobs} EDM Creation jobs, running time median {args.running_seconds:.0f} s (log-normal spread "
        f"{args.spread}), {args.latency_ms:.0f} ms per call; irp: {args.slots} submission slots, "
        f"poll every {args.poll_interval:.0f} s; "
        f"baseline: sleep {args.baseline_sleep:.0f} s between passes",
        ["metric", "baseline (framework)", "irp", "baseline / irp"],
        rows,
    )


if __name__ == "__main__":
    main()
