"""Deployment benchmark: one cycle on a real Airflow deployment (api-server, scheduler,
dag-processor, triggerer as processes; LocalExecutor or CeleryExecutor; Postgres metadata), this
checkout against a baseline revision, side by side.

    .venv/bin/python bench/deployment.py [--baseline REV] [--executor local|celery] [--workbook sample|minimal]
                                         [--scale N] [--defer-after SECONDS] [--running-seconds S] [--timeout S]

``--scale N`` runs N copies of the sample (``tools/make_sample_workbook.py --scale N``: 61 N jobs).
``--defer-after SECONDS`` sets every batch type's ``defer_after_seconds`` (both sides; default: the
cycle file's default).

Printed per side: wall time of the run against the simulated critical path (per batch type, its
longest Moody's job; batch types run one after another), task instances, task instances per
Moody's job, CPU seconds of every Airflow process per job, HTTP calls to Moody's per job (and of
them, job status reads), failed tries and stale executor events in the scheduler log, the CPU
seconds of this process (the in-process simulator, and the harness's REST polling), the peak
memory of the scheduler (with its LocalExecutor workers), triggerer, dag-processor and api-server,
and the scheduler's loop: the longest and the 95th percentile of Airflow's
``scheduler.scheduler_loop_duration`` timings during the run, which the components send as StatsD
metrics to a UDP socket of this process. The baseline runs from a temporary git worktree of REV
with this checkout's harness and simulator.

``--timeline`` prints, per task group, when its ``prepare`` was queued, started and ended and when
its job tasks ran (where the wall time goes between Moody's jobs).

``--running-seconds`` sets how long each simulated Moody's job runs (2 s, after 0.5 s queued and
0.5 s pending); a run that outlasts ``--timeout`` still reports its figures.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import _common
from _common import print_table

from tests.deployment.deployment import Executor, Role
from tests.deployment.environment import SAMPLE_WORKBOOK, cycle_deployment
from tests.deployment.scenario import CycleRun
from tools import make_sample_workbook

CYCLE = "bench"
#: Airflow's timer around one pass of the scheduler's loop (``SchedulerJobRunner._run_scheduler_loop``).
LOOP_METRIC = "scheduler.scheduler_loop_duration"
STATSD_PREFIX = "airflow"
MEMORY_ROLES = (Role.SCHEDULER, Role.TRIGGERER, Role.DAG_PROCESSOR, Role.API_SERVER)


@dataclass
class Figures:
    wall: float
    critical_path: float
    task_instances: int
    jobs: int
    cpu: float
    http_calls: int
    status_reads: int
    routes: dict[str, int]
    logs: Path | None
    failed_tries: int
    stale_events: int
    bench_cpu: float
    peaks: dict[Role, int]
    loops: list[float]
    state: str
    tasks: list[dict[str, Any]]

    def loop_max(self) -> float:
        return max(self.loops, default=math.nan)

    def loop_p95(self) -> float:
        if not self.loops:
            return math.nan
        ordered = sorted(self.loops)
        return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


class StatsdListener:
    """A UDP socket standing in for a StatsD daemon: keeps the timings (ms) of one metric while
    recording. Plain StatsD lines, ``<prefix>.<name>:<value>|ms``, several per datagram."""

    def __init__(self, metric: str) -> None:
        self.name = f"{STATSD_PREFIX}.{metric}".encode()
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.5)
        self.timings: list[float] = []
        self.recording = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)

    @property
    def port(self) -> int:
        return int(self.socket.getsockname()[1])

    def settings(self) -> dict[str, str]:
        """The Airflow settings that send the metric here, and no other."""
        return {
            "AIRFLOW__METRICS__STATSD_ON": "True",
            "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
            "AIRFLOW__METRICS__STATSD_PORT": str(self.port),
            "AIRFLOW__METRICS__STATSD_PREFIX": STATSD_PREFIX,
            "AIRFLOW__METRICS__METRICS_ALLOW_LIST": self.name.decode().removeprefix(f"{STATSD_PREFIX}."),
        }

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                datagram = self.socket.recv(65536)
            except TimeoutError:
                continue
            for line in datagram.splitlines():
                name, _, rest = line.partition(b":")
                value, _, kind = rest.partition(b"|")
                if name == self.name and kind.startswith(b"ms") and self.recording:
                    self.timings.append(float(value) / 1000)

    def __enter__(self) -> StatsdListener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


@contextmanager
def checkout(revision: str | None) -> Iterator[Path]:
    """This checkout, or ``revision`` in a temporary worktree."""
    if revision is None:
        yield _common.ROOT
        return
    folder = Path(tempfile.mkdtemp(prefix="irp_bench_baseline_")) / "project"
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), revision], cwd=_common.ROOT, check=True,
                   capture_output=True)  # fmt: skip
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=_common.ROOT, check=False)


def critical_path(run: CycleRun) -> float:
    """Sum over batch types of the longest planned Moody's job of the type."""
    batch_of = {str(j["moodys_workflow_id"]): j["batch_type"] for j in run.store_jobs() if j["moodys_workflow_id"]}
    longest: dict[str, float] = {}
    for job in run.moodys_jobs():
        batch_type = batch_of.get(str(job["jobId"]))
        if batch_type is not None:
            longest[batch_type] = max(longest.get(batch_type, 0.0), float(job["plannedSeconds"]))
    return sum(longest.values())


#: Routes (as the simulator counts them) that read the status of Moody's jobs: one job or a list.
STATUS_ROUTES = re.compile(r"^GET /(platform/\w+/v1/jobs|riskmodeler/v1/workflows)(/\{id\})?$")


def status_reads(routes: dict[str, int]) -> int:
    return sum(count for route, count in routes.items() if STATUS_ROUTES.match(route))


#: How the scheduler reports a task it failed on a stale executor event (apache/airflow#66374 and
#: the open RUNNING variant): "... finished with state success, but the task instance's state
#: attribute is running ..." / "state mismatch".
STALE_EVENT = re.compile(r"but the task instance's state attribute is|state mismatch", re.IGNORECASE)


def stale_events(log: Path) -> int:
    return len(STALE_EVENT.findall(log.read_text(errors="replace"))) if log.exists() else 0


def keep_logs(logs: dict[Role, Path], folder: Path | None) -> Path | None:
    """Copies of the deployment's process logs (``--keep-logs``), which the run's folder loses."""
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="run_", dir=folder))
    for role, log in logs.items():
        if log.exists():
            shutil.copy(log, folder / f"{role.value}.log")
    return folder


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def measure(project: Path, executor: Executor, workbook: Path, options: argparse.Namespace, timeout: float) -> Figures:
    settings = {} if options.defer_after is None else {"defer_after_seconds": options.defer_after}
    with (
        tempfile.TemporaryDirectory(prefix="irp_bench_deployment_") as folder,
        StatsdListener(LOOP_METRIC) as loops,
        cycle_deployment(
            Path(folder), executor, {CYCLE: (workbook, "rerun")}, project=project, batch_settings=settings,
            simulator_options={"running_seconds": options.running_seconds}, airflow_settings=loops.settings(),
        ) as (running, services),
    ):  # fmt: skip
        run = CycleRun(running, services, CYCLE)
        peaks = dict.fromkeys(MEMORY_ROLES, 0)
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(1.0):
                for role in peaks:
                    peaks[role] = max(peaks[role], running.memory(role))

        sampler = threading.Thread(target=sample, daemon=True)
        running.wait_for_dag(run.dag_id)
        cpu_before, bench_cpu_before = running.cpu_seconds(), _own_cpu()
        before = run.admin.state()
        started = time.monotonic()
        sampler.start()
        loops.recording = True
        run.start()
        try:
            state = run.wait(timeout=timeout)
        except AssertionError:  # the figures so far still say where the time goes
            state = f"unfinished after {timeout:.0f} s"
        wall = time.monotonic() - started
        loops.recording = False
        cpu, bench_cpu = running.cpu_seconds() - cpu_before, _own_cpu() - bench_cpu_before
        stop.set()
        sampler.join()
        jobs = len(run.store_jobs())
        after = run.admin.state()
        routes = after["apiRoutes"]
        tasks = run.tasks()
        return Figures(
            wall=wall,
            critical_path=critical_path(run),
            task_instances=len(tasks),
            jobs=jobs,
            cpu=cpu,
            http_calls=after["apiRequests"] - before["apiRequests"],
            status_reads=status_reads(routes) - status_reads(before["apiRoutes"]),
            routes={r: n - earlier for r, n in routes.items() if n > (earlier := before["apiRoutes"].get(r, 0))},
            failed_tries=sum(max(int(ti.get("try_number") or 1) - 1, 0) for ti in tasks)
            + len([ti for ti in tasks if ti["state"] == "failed"]),
            stale_events=stale_events(running.logs()[Role.SCHEDULER]),
            logs=keep_logs(running.logs(), options.keep_logs),
            bench_cpu=bench_cpu,
            peaks=peaks,
            loops=list(loops.timings),
            state=state,
            tasks=tasks,
        )


def rows(sides: list[tuple[str, Figures]]) -> list[list[str]]:
    def line(label: str, value) -> list[str]:  # type: ignore[no-untyped-def]
        return [label, *[value(f) for _, f in sides]]

    mib = 1024 * 1024
    return [
        line("run state", lambda f: f.state),
        line("wall time", lambda f: f"{f.wall:.1f} s"),
        line("simulated critical path", lambda f: f"{f.critical_path:.1f} s"),
        line("wall / critical path", lambda f: f"{f.wall / f.critical_path:.2f}" if f.critical_path else "-"),
        line("task instances", lambda f: str(f.task_instances)),
        line("Moody's/store jobs", lambda f: str(f.jobs)),
        line("task instances per job", lambda f: f"{f.task_instances / f.jobs:.2f}"),
        line("CPU s of Airflow (all processes)", lambda f: f"{f.cpu:.0f}"),
        line("CPU s per job", lambda f: f"{f.cpu / f.jobs:.2f}"),
        line("HTTP calls to Moody's per job", lambda f: f"{f.http_calls / f.jobs:.1f}"),
        line("of them job status reads", lambda f: f"{f.status_reads / f.jobs:.1f}"),
        line("failed tries (retried or failed)", lambda f: str(f.failed_tries)),
        line("stale executor events (scheduler log)", lambda f: str(f.stale_events)),
        line("CPU s of the simulator and harness", lambda f: f"{f.bench_cpu:.0f}"),
        *[line(f"{role.value} peak memory", lambda f, r=role: f"{f.peaks[r] / mib:,.0f} MiB") for role in MEMORY_ROLES],
        line("scheduler loops", lambda f: str(len(f.loops))),
        line("slowest scheduler loop", lambda f: f"{f.loop_max():.2f} s"),
        line("scheduler loop p95", lambda f: f"{f.loop_p95():.2f} s"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", help="git revision to compare with (e.g. a tag or commit)")
    parser.add_argument("--executor", choices=["local", "celery"], default="local")
    parser.add_argument("--workbook", choices=["sample", "minimal"], default="sample")
    parser.add_argument("--scale", type=int, default=1, help="copies of the sample (61 jobs each)")
    parser.add_argument("--defer-after", type=float, help="defer_after_seconds of every batch type (both sides)")
    parser.add_argument("--keep-logs", type=Path, help="copy each side's process logs into this folder")
    parser.add_argument("--running-seconds", type=float, default=2.0, help="running time of each Moody's job")
    parser.add_argument("--timeout", type=float, help="longest wait for the run, seconds (default 900 + 60 per copy)")
    parser.add_argument("--timeline", action="store_true", help="print when each task group's tasks ran")
    args = parser.parse_args()
    timeout = args.timeout or 900 + 60 * args.scale
    executor = Executor.LOCAL if args.executor == "local" else Executor.CELERY
    with tempfile.TemporaryDirectory(prefix="irp_bench_workbook_") as folder:
        workbook = SAMPLE_WORKBOOK
        if args.workbook == "minimal" or args.scale > 1:
            minimal = args.workbook == "minimal"
            workbook = make_sample_workbook.write_sample(Path(folder) / "bench.xlsx", minimal=minimal, scale=args.scale)
        sides: list[tuple[str, Figures]] = []
        if args.baseline:
            with checkout(args.baseline) as baseline:
                figures = measure(baseline, executor, workbook, args, timeout)
                sides.append((f"baseline {args.baseline}", figures))
        sides.append(("this checkout", measure(_common.ROOT, executor, workbook, args, timeout)))
    size = f"{args.scale} x the {args.workbook}" if args.scale > 1 else f"the {args.workbook}"
    title = (f"{size} cycle on a real deployment ({executor.value}, {_cores()} cores, "
             f"Moody's jobs 0.5 + 0.5 + {args.running_seconds:g} s)")  # fmt: skip
    print_table(title, ["", *[name for name, _ in sides]], rows(sides))
    print_routes(sides)
    if args.timeline:
        print_timeline(sides)
    if len(sides) == 2:
        base, ours = sides[0][1], sides[1][1]
        cpu = (base.cpu / base.jobs) / (ours.cpu / ours.jobs)
        tis = (base.task_instances / base.jobs) / (ours.task_instances / ours.jobs)
        print(f"\nbaseline / this checkout: wall {base.wall / ours.wall:.2f}x, CPU per job {cpu:.2f}x, "
              f"task instances per job {tis:.2f}x")  # fmt: skip


def _moment(text: str | None) -> float | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() if text else None


def timeline(figures: Figures) -> list[list[str]]:
    """Per task group (batch type) in run order, seconds from the first task's queueing: when its
    ``prepare`` was queued, started and ended, when its first job task started and its last ended.
    The gaps between one group's last job and the next ``prepare`` are what Airflow adds."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for ti in figures.tasks:
        groups.setdefault(str(ti["task_id"]).split(".", 1)[0], []).append(ti)
    stamps = [m for ti in figures.tasks if (m := _moment(ti.get("queued_when") or ti.get("start_date")))]
    if not stamps:
        return []
    zero = min(stamps)

    def at(value: float | None) -> str:
        return f"{value - zero:6.1f}" if value is not None else "-"

    table = []
    for group, tis in sorted(
        groups.items(), key=lambda item: min(_moment(t.get("start_date")) or 1e18 for t in item[1])
    ):
        prepare = [t for t in tis if str(t["task_id"]).endswith(".prepare")]
        jobs = [t for t in tis if not str(t["task_id"]).endswith(".prepare")]
        starts = [m for t in jobs if (m := _moment(t.get("start_date")))]
        ends = [m for t in jobs if (m := _moment(t.get("end_date")))]
        first = prepare[0] if prepare else {}
        prepared = [at(_moment(first.get(key))) for key in ("queued_when", "start_date", "end_date")]
        table.append([group, *prepared, str(len(jobs)), at(min(starts, default=None)), at(max(ends, default=None))])
    return table


def print_timeline(sides: list[tuple[str, Figures]]) -> None:
    header = ["task group", "prepare queued", "started", "ended", "job tasks", "first job started", "last job ended"]
    for name, figures in sides:
        print_table(f"Where the wall time goes ({name}; seconds from the first task queued)", header, timeline(figures))


def print_routes(sides: list[tuple[str, Figures]], top: int = 15) -> None:
    """The routes that cost the most HTTP calls per job (on any side), side by side."""
    totals: dict[str, int] = {}
    for _, figures in sides:
        for route, count in figures.routes.items():
            totals[route] = max(totals.get(route, 0), count)
    busiest = sorted(totals, key=lambda route: -totals[route])[:top]
    table = [[route, *[f"{f.routes.get(route, 0) / f.jobs:.2f}" for _, f in sides]] for route in busiest]
    print_table("HTTP calls per job, by route", ["route", *[name for name, _ in sides]], table)


def _cores() -> int:
    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
