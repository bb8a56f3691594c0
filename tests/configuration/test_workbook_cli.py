"""``python -m irp.configuration`` run as a real process, as analysts and CI run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    return subprocess.run(
        [sys.executable, "-m", "irp.configuration", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_validate_valid_workbook_prints_valid_and_job_counts(sample_path: Path) -> None:
    result = run("validate", sample_path)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "valid"
    counts = {line[:28].strip(): int(line[28:].split()[0]) for line in lines[2:]}
    assert counts == {
        "Data Extraction": 4, "EDM Creation": 3, "Portfolio Creation": 4, "MRI Import": 4,
        "Create Reinsurance Treaties": 5, "EDM DB Upgrade": 3, "GeoHaz": 4, "Portfolio Mapping": 4,
        "Analysis": 9, "Grouping": 4, "Grouping Rollup": 2, "Export to RDM": 15,
    }  # fmt: skip


def test_validate_invalid_workbook_prints_one_line_per_error(mutate: Callable[[Any], Path]) -> None:
    def break_two_sheets(workbook: Any) -> None:
        workbook["Metadata"]["B2"] = "v1"
        workbook["Analysis Table"]["D3"] = "DLM XX"

    result = run("validate", mutate(break_two_sheets))

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        r"Metadata!B2: EDM Data Version 'v1' does not match the required pattern \d+(\.\d+)?(\.\d+)? (e.g. 23.0.0)",
        "Analysis Table!D3: Analysis Profile 'DLM XX' is not found in the Model Profiles list of "
        "Moody's Reference Data",
    ]
    assert "2 error(s)" in result.stderr


def test_validate_json_prints_the_parsed_document(sample_path: Path) -> None:
    result = run("validate", sample_path, "--json")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["Metadata"]["Current Date Value"] == "202606"
    assert len(document["Analysis Table"]) == 9
    assert document["_validation"]["Groupings"]["status"] == "SUCCESS"


def test_validate_json_of_invalid_workbook_lists_errors(mutate: Callable[[Any], Path]) -> None:
    result = run("validate", mutate(lambda workbook: workbook["Databases"].__setitem__("B3", "n")), "--json")

    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert payload["valid"] is False
    assert [(e["sheet"], e["cell"], e["rule"], e["value"]) for e in payload["errors"]] == [
        ("Databases", "B3", "pattern", "n")
    ]


def test_jobs_prints_the_batch_type_configurations(sample_path: Path) -> None:
    result = run("jobs", sample_path, "Create Reinsurance Treaties")

    assert result.returncode == 0, result.stderr
    jobs = json.loads(result.stdout)
    assert len(jobs) == 5
    assert jobs[0]["Treaty Name"] == "CAT_XL_2026_L1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("validate", ROOT / "absent.xlsx"), "Configuration file not found"),
        (("validate", ROOT / "pyproject.toml"), "Failed to read Excel file"),
        (("validate", ROOT / "include"), "Failed to read Excel file"),
        (("jobs", ROOT / "include" / "workbooks" / "sample_cycle.xlsx", "Staging ETL"), "Available types"),
    ],
    ids=["missing", "not-a-workbook", "directory", "unknown-batch-type"],
)
def test_unusable_input_is_one_line_and_exit_2(args: tuple[str | Path, ...], message: str) -> None:
    result = run(*args)

    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr


def test_importing_the_package_loads_no_workbook_or_database_library() -> None:
    """Airflow imports plugins in every component: the package must stay cheap to import."""
    code = (
        "import sys, irp.configuration; "
        "print(sorted(m for m in ('python_calamine', 'openpyxl', 'pandas', 'psycopg') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_warnings_go_to_stderr_and_keep_the_workbook_valid(mutate: Callable[[Any], Path]) -> None:
    result = run("validate", mutate(lambda workbook: workbook["Groupings"].append(["202606_Empty_Group"])))

    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "valid"
    assert result.stderr.splitlines() == [
        "warning: Groupings!A8: group '202606_Empty_Group' has no items; it is neither created nor exported"
    ]


def test_batch_types_the_cycle_skips_are_marked(mutate: Callable[[Any], Path]) -> None:
    result = run("validate", mutate(lambda workbook: workbook["Metadata"].__setitem__("B11", None)))

    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1] == "Export to RDM                    -  (not created)"
