"""A whole cycle on the users' own workbook (../shared/reference), read where it lies."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import psycopg
import pytest

from irp.constants import BatchStatus
from irp.reports import cycle_batches
from moodys_simulator.testing import RunningSimulator, running_simulator
from tests.conftest import PG_DSN, REFERENCE_WORKBOOK, ROOT, shared_file
from tests.dags.conftest import CycleHarness, harness

EXPECTED_JOBS = {
    "Data Extraction": 11, "EDM Creation": 7, "Portfolio Creation": 11, "MRI Import": 11,
    "Create Reinsurance Treaties": 18, "EDM DB Upgrade": 7, "GeoHaz": 11, "Portfolio Mapping": 11,
    "Analysis": 93, "Grouping": 88, "Grouping Rollup": 8, "Export to RDM": 189,
}  # fmt: skip
ACCOUNTS_PER_SUB_PORTFOLIO = 2

pytestmark = pytest.mark.slow


def reference_document() -> dict:
    from irp.configuration import validate_workbook

    report = validate_workbook(REFERENCE_WORKBOOK)
    assert report.valid
    return report.document


@pytest.fixture(scope="module")
def reference_simulator() -> Iterator[RunningSimulator]:
    with running_simulator(
        mode="time", queued_seconds=0.02, pending_seconds=0.02, running_seconds=0.1,
        seed_workbook=str(shared_file(REFERENCE_WORKBOOK)),
    ) as simulator:  # fmt: skip
        yield simulator


@pytest.fixture
def source_for_reference(source_warehouse, tmp_path, monkeypatch) -> None:
    """Source rows for the workbook's import files, and mapping SQL that splits each base
    portfolio into the sub-portfolios the workbook lists (the users' own SQL lives elsewhere)."""
    document = reference_document()
    date_value = str(document["Metadata"]["Current Date Value"])
    portfolios = document["Portfolios"]
    subs = {p["Import File"]: [] for p in portfolios if p["Base Portfolio?"] == "Y"}
    for row in portfolios:
        if row["Base Portfolio?"] != "Y" and row["Import File"] in subs:
            subs[row["Import File"]].append(row["Portfolio"])
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS irp_source.portfolio_mapping "
                     "(import_file text, date_value text, sub_portfolio text, accntnum text)")  # fmt: skip
        for table in ("locations", "accounts", "portfolio_mapping"):
            conn.execute(f"DELETE FROM irp_source.{table} WHERE date_value = %s", (date_value,))
        for import_file, names in subs.items():
            count = ACCOUNTS_PER_SUB_PORTFOLIO * len(names) + 3
            numbers = [f"{import_file[:6]}{n:04d}" for n in range(1, count + 1)]
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO irp_source.accounts VALUES (%s, %s, %s, %s, 'CED01', 'Reference Cedant', 'LOB', 'X')",
                    [(import_file, date_value, number, f"{import_file} {number}") for number in numbers],
                )
                cur.executemany(
                    "INSERT INTO irp_source.locations VALUES (%s, %s, %s, %s, '1 Main St', 'Miami', 'FL', '33101',"
                    " 'US', '1', '301', 250000)",
                    [(import_file, date_value, number, f"{number}-L1") for number in numbers],
                )
                cur.executemany(
                    "INSERT INTO irp_source.portfolio_mapping VALUES (%s, %s, %s, %s)",
                    [
                        (import_file, date_value, name, numbers[i * ACCOUNTS_PER_SUB_PORTFOLIO + k])
                        for i, name in enumerate(names)
                        for k in range(ACCOUNTS_PER_SUB_PORTFOLIO)
                    ],
                )
    sql = tmp_path / "sql"
    shutil.copytree(ROOT / "include" / "sql", sql)
    mapping = sql / "portfolio_mapping" / "quarterly"
    for import_file in subs:
        (mapping / f"{import_file}.sql").write_text(
            "SELECT sub_portfolio, accntnum AS account_number FROM irp_source.portfolio_mapping\n"
            "WHERE import_file = %(import_file)s AND date_value = %(date_value)s ORDER BY 1, 2\n"
        )
    monkeypatch.setenv("AIRFLOW__IRP__SQL_FOLDER", str(sql))


@pytest.fixture
def reference_cycle(
    airflow_db, source_for_reference, store, reference_simulator, monkeypatch, tmp_path
) -> Iterator[CycleHarness]:
    with harness(reference_simulator, store, monkeypatch, tmp_path, workbook=REFERENCE_WORKBOOK) as ready:
        yield ready


def test_reference_workbook_cycle_completes(reference_cycle):
    run = reference_cycle.run()
    batches = cycle_batches(reference_cycle.name, store=reference_cycle.store)
    report = {b.batch_type.value: (b.status.value, b.job_counts) for b in batches}
    assert run.state == "success", report
    assert {b.batch_type.value: b.status for b in batches} == dict.fromkeys(EXPECTED_JOBS, BatchStatus.COMPLETED)
    assert {b.batch_type.value: b.finished_jobs for b in batches} == EXPECTED_JOBS
