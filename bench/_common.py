"""Helpers shared by the benchmark scripts: timing and a side-by-side table."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]


@dataclass(frozen=True)
class Timing:
    """Medians of one measured operation: wall seconds, and CPU seconds spent on it.

    On a shared machine the wall time stretches with everyone else's load; the CPU time barely
    does, so it is the steadier figure to compare runs by.
    """

    wall: float
    cpu: float


#: Reads a CPU-seconds counter (this process's, a database backend's, or their sum).
CpuClock = Callable[[], float]


def timings(run: Callable[[], object], repeat: int, cpu: CpuClock = time.process_time) -> Timing:
    return interleaved_timings({"run": run}, repeat, {"run": cpu})["run"]


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    return timings(run, repeat).wall


def interleaved_timings(
    runs: Mapping[str, Callable[[], object]], repeat: int, cpu: Mapping[str, CpuClock] | None = None
) -> dict[str, Timing]:
    """Medians of each run, taking turns: on a shared, noisy machine a burst of load then hits
    every implementation alike, so the side-by-side ratio stays fair. ``cpu`` names the CPU clock
    of a run (default: this process's)."""
    clocks = {name: (cpu or {}).get(name, time.process_time) for name in runs}
    walls: dict[str, list[float]] = {name: [] for name in runs}
    cpus: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            cpu_started = clocks[name]()
            started = time.perf_counter()
            run()
            walls[name].append(time.perf_counter() - started)
            cpus[name].append(clocks[name]() - cpu_started)
    return {name: Timing(statistics.median(walls[name]), statistics.median(cpus[name])) for name in runs}


def backend_cpu_clock(pid: int) -> CpuClock:
    """CPU seconds a local Postgres backend has used, from /proc (0 when it is not on this machine)."""
    stat = Path(f"/proc/{pid}/stat")
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    return read


def plus_process(clock: CpuClock) -> CpuClock:
    """The clock's CPU seconds plus this process's: client and server of one operation."""
    return lambda: clock() + time.process_time()


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def ratio(baseline: float, ours: float) -> str:
    return f"{baseline / ours:.1f}x" if ours else "-"
