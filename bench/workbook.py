"""Workbook benchmark: irp's reader/validator against a pandas ``read_excel``-per-sheet baseline.

    python bench/workbook.py [--repeat 20] [--process-repeat 3] [--sizes 1000 10000]

Workloads: the sample workbook, the shared reference workbook (when ../shared is present), and
the sample with an Analysis Table of 1,000 and 10,000 rows (tools/make_sample_workbook.py).
For each: "warm" = validate + parse (and count the jobs) in a warmed-up process, median of
--repeat runs (its wall time, and its CPU time: on a shared machine the CPU time stays put while
the wall time stretches with the load); "process" = a whole ``python`` process validating the file
once, median wall time, and its peak resident memory (VmHWM: it counts numpy's and calamine's
native buffers, which a Python-heap measure such as tracemalloc would miss). The baseline is what
the framework we replace does: ``pandas.read_excel`` (openpyxl engine) once per sheet, then
column-wise checks and ``to_dict("records")``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import _common
from _common import interleaved_timings, ms, print_table, ratio

ROOT = _common.ROOT
SAMPLE = ROOT / "include" / "workbooks" / "sample_cycle.xlsx"
REFERENCE = ROOT.parent / "shared" / "reference" / "valid_excel_configuration.xlsx"
TARGET_WARM_MS = 40
TARGET_10K_MS = 300

SHEETS = [
    "Metadata", "Databases", "Portfolios", "Reinsurance Treaties", "GeoHaz Thresholds", "Analysis Table",
    "Groupings", "Products and Perils", "Moody's Reference Data", "ExposureGroup <-> Portname",
]  # fmt: skip
BASELINE_REQUIRED = {
    "Databases": ["Database", "Store in Data Bridge?"],
    "Portfolios": ["Portfolio", "Database", "Import File", "Base Portfolio?"],
    "GeoHaz Thresholds": ["Geocode Level", "Import File", "% of Grand Total", "Threshold %"],
    "Analysis Table": ["Database", "Portfolio", "Analysis Name", "Analysis Profile", "Output Profile", "Tag 1"],
    "Products and Perils": ["Analysis Name"],
    "ExposureGroup <-> Portname": ["ExposureGroup", "Portname"],
}


# --- the baseline: the reference's reading pattern --------------------------------------------
def baseline_validate(path: Path) -> dict[str, Any]:
    """Read every sheet with pandas/openpyxl and run the reference's column-wise checks."""
    import pandas as pd

    errors: list[str] = []
    document: dict[str, Any] = {}
    with pd.ExcelFile(path, engine="openpyxl") as workbook:
        missing = [sheet for sheet in SHEETS if sheet not in workbook.sheet_names]
        if missing:
            raise ValueError(f"Missing required sheets: {missing}")
        for sheet in SHEETS:
            if sheet == "Metadata":
                frame = pd.read_excel(workbook, sheet_name=sheet, header=None)
                document[sheet] = {row[0]: (None if pd.isna(row[1]) else row[1]) for row in frame.itertuples(False)}
                continue
            frame = pd.read_excel(workbook, sheet_name=sheet)
            for column in BASELINE_REQUIRED.get(sheet, []):
                if column not in frame.columns:
                    errors.append(f"{sheet}: missing {column}")
                elif frame[column].isna().any():
                    errors.append(f"{sheet}: {column} has null values")
            if sheet == "Databases":
                bad = ~frame["Database"].astype(str).str.match(r"(RM_|RMS_|TEST_)EDM_\d{6}_.*")
                errors.extend(f"Databases: pattern row {index + 2}" for index in frame.index[bad])
            if sheet == "Analysis Table" and frame["Analysis Name"].duplicated().any():
                errors.append("Analysis Table: duplicate Analysis Name")
            if sheet == "Moody's Reference Data":
                document[sheet] = {column: frame[column].dropna().tolist() for column in frame.columns}
            elif sheet == "Groupings":
                items = [column for column in frame.columns if str(column).startswith("Item")]
                document[sheet] = [
                    {"Group_Name": row["Group_Name"], "items": [row[c] for c in items if pd.notna(row[c])]}
                    for row in frame.to_dict("records")
                ]
            else:
                document[sheet] = frame.astype(object).where(frame.notna(), None).to_dict("records")
    analyses = pd.DataFrame(document["Analysis Table"])
    portfolios = {row["Portfolio"] for row in document["Portfolios"]}
    errors.extend(f"Broken reference {value}" for value in analyses["Portfolio"] if value not in portfolios)
    profiles = set(document["Moody's Reference Data"]["Model Profiles"])
    errors.extend(f"Profile {value} not found" for value in analyses["Analysis Profile"] if value not in profiles)
    if errors:
        raise ValueError("\n".join(errors[:10]))
    return document


def irp_validate(path: Path) -> dict[str, Any]:
    from irp.configuration import job_counts, validate_workbook

    report = validate_workbook(path)
    if not report.valid:
        raise ValueError(str(report.errors[:10]))
    assert report.document is not None
    job_counts(report.document)
    return report.document


IMPLEMENTATIONS: dict[str, Callable[[Path], Any]] = {"irp": irp_validate, "baseline": baseline_validate}


# --- measuring --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Measurement:
    warm_seconds: float
    warm_cpu_seconds: float
    process_seconds: float
    process_peak_rss_kib: int


#: Runs a module or script as ``python -m``/``python path`` would, then reports the process's
#: peak RSS from /proc (VmHWM: ru_maxrss would include the parent's pages copied at fork).
_CHILD = """
import runpy, sys
kind, target, *argv = sys.argv[1:]
sys.argv = [target, *argv]
try:
    if kind == "module":
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.path.insert(0, target.rpartition("/")[0])
        runpy.run_path(target, run_name="__main__")
except SystemExit as stop:
    if stop.code:
        raise
with open("/proc/self/status") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
print("VmHWM_KIB=" + peak, file=sys.stderr)
"""


def run_process(args: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one child process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "plugins"), str(ROOT)])}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{args} failed ({result.returncode}): {result.stderr}")
    peak = next(line for line in result.stderr.splitlines() if line.startswith("VmHWM_KIB="))
    return elapsed, int(peak.partition("=")[2])


def process_command(implementation: str, path: Path) -> list[str]:
    if implementation == "irp":
        return ["module", "irp.configuration", "validate", str(path)]
    return ["script", str(Path(__file__).resolve()), "--baseline-once", str(path)]


def measure(path: Path, repeat: int, process_repeat: int) -> dict[str, Measurement]:
    """Every implementation on one workbook, taking turns run by run (noise hits them alike)."""
    for validate in IMPLEMENTATIONS.values():
        validate(path)  # warm up: imports, caches
    warm = interleaved_timings({name: partial(validate, path) for name, validate in IMPLEMENTATIONS.items()}, repeat)
    runs: dict[str, list[tuple[float, int]]] = {name: [] for name in IMPLEMENTATIONS}
    for _ in range(process_repeat):
        for name in IMPLEMENTATIONS:
            runs[name].append(run_process(process_command(name, path)))
    return {
        name: Measurement(
            warm[name].wall, warm[name].cpu, statistics.median(s for s, _ in samples), max(kib for _, kib in samples)
        )
        for name, samples in runs.items()
    }


def _row(label: str, implementation: str, measurement: Measurement) -> list[str]:
    return [
        label,
        implementation,
        ms(measurement.warm_seconds),
        ms(measurement.warm_cpu_seconds),
        ms(measurement.process_seconds),
        mib(measurement.process_peak_rss_kib * 1024),
    ]


def mib(value: float) -> str:
    return f"{value / (1024 * 1024):.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="warm runs per workload (fewer for big ones)")
    parser.add_argument("--process-repeat", type=int, default=3, help="whole-process runs per workload")
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000], help="Analysis Table rows")
    parser.add_argument("--baseline-once", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.baseline_once:
        baseline_validate(args.baseline_once)
        return

    with tempfile.TemporaryDirectory(prefix="irp_bench_") as folder:
        workloads: list[tuple[str, Path, int]] = [("sample (9 analyses)", SAMPLE, args.repeat)]
        if REFERENCE.is_file():
            workloads.append(("reference (93 analyses)", REFERENCE, args.repeat))
        from tools import make_sample_workbook as make

        for size in args.sizes:
            path = make.write_sample(Path(folder) / f"analyses_{size}.xlsx", analyses=size)
            workloads.append((f"{size:,} analyses", path, max(7, args.repeat * 100 // max(size, 100))))
        rows = []
        figures = {}
        for label, path, repeat in workloads:
            measured = measure(path, repeat, args.process_repeat)
            ours, base = measured["irp"], measured["baseline"]
            figures[label] = {"irp": ours.__dict__, "baseline": base.__dict__}
            rows.append(_row(label, "irp", ours))
            rows.append(_row("", "baseline", base))
            rows.append(
                [
                    "",
                    "baseline / irp",
                    ratio(base.warm_seconds, ours.warm_seconds),
                    ratio(base.warm_cpu_seconds, ours.warm_cpu_seconds),
                    ratio(base.process_seconds, ours.process_seconds),
                    ratio(base.process_peak_rss_kib, ours.process_peak_rss_kib),
                ]
            )
    print_table(
        f"Validate + parse a workbook (targets: warm <= {TARGET_WARM_MS} ms, 10,000 rows <= {TARGET_10K_MS} ms)",
        ["workload", "impl", "warm (median)", "warm CPU (median)", "process (median)", "process peak memory"],
        rows,
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
