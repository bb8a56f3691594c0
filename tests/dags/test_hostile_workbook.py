"""Workbook values reach SQL only as bound parameters or validated names."""

from __future__ import annotations

import psycopg
import pytest

from irp import batch as batches
from irp.constants import BatchStatus, JobStatus
from irp.reports import cycle_batches
from tests.conftest import PG_DSN
from tests.dags.conftest import SAMPLE_WORKBOOK

HOSTILE = "CAEQ'; DROP TABLE irp_source.accounts; --"


@pytest.fixture
def hostile_workbook(tmp_path):
    from openpyxl import load_workbook

    book = load_workbook(SAMPLE_WORKBOOK)
    for sheet_name in ("Portfolios", "GeoHaz Thresholds"):
        sheet = book[sheet_name]
        headers = [cell.value for cell in sheet[1]]
        if "Import File" not in headers:
            continue
        column = headers.index("Import File") + 1
        for row in range(2, sheet.max_row + 1):
            if sheet.cell(row, column).value == "CAEQ":
                sheet.cell(row, column).value = HOSTILE
    path = tmp_path / "hostile.xlsx"
    book.save(path)
    return path


def source_accounts() -> int:
    with psycopg.connect(PG_DSN) as conn:
        return conn.execute("SELECT count(*) FROM irp_source.accounts").fetchone()[0]


def test_hostile_import_file_cannot_change_the_sql(cycle, hostile_workbook):
    before = source_accounts()
    cycle.declare(hostile_workbook)
    run = cycle.run()
    assert run.state == "failed"
    assert source_accounts() == before  # nothing was dropped or altered
    extraction = next(
        b for b in cycle_batches(cycle.name, store=cycle.store) if b.batch_type.value == "Data Extraction"
    )
    assert extraction.status is BatchStatus.ERROR
    jobs = batches.get_batch_jobs(extraction.batch_id, store=cycle.store)
    errors = [j.last_error for j in jobs if j.status is JobStatus.ERROR]
    assert len(errors) == 1
    assert "cannot name a SQL template" in errors[0]
    assert HOSTILE in errors[0]
    written = sorted(p.name for p in cycle.storage.rglob("*") if p.is_file())
    assert all("DROP" not in name for name in written)
    assert len(written) == 6  # the three other import files' account and location CSVs
