"""tools/make_sample_workbook.py --scale N: N copies of every sheet of the sample, still a valid
workbook, exactly N times the sample's jobs, every name unique and within Moody's limits."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from irp.configuration import generate_job_configurations, job_counts, required_batch_types, validate_workbook
from irp.configuration.schema import (
    ANALYSIS_TREATY_COLUMNS,
    AnalysisColumn,
    DatabasesColumn,
    ExposureColumn,
    GroupingsColumn,
    PortfoliosColumn,
    ProductsColumn,
    SheetName,
    TreatyColumn,
)
from irp.constants import BatchType
from irp.moodys.api import PORTFOLIO_NUMBER_LIMIT
from irp.moodys.jobs import PORTFOLIO_NAME_LIMIT, TREATY_NUMBER_LIMIT
from tools import make_sample_workbook
from tools.make_sample_workbook import scale_suffix

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_JOBS = 61
#: (sheet, column) of every name a copy renames: each must be unique across the workbook.
NAME_COLUMNS = [
    (SheetName.DATABASES, DatabasesColumn.DATABASE),
    (SheetName.PORTFOLIOS, PortfoliosColumn.PORTFOLIO),
    (SheetName.REINSURANCE_TREATIES, TreatyColumn.TREATY_NAME),
    (SheetName.REINSURANCE_TREATIES, TreatyColumn.TREATY_NUMBER),
    (SheetName.ANALYSIS_TABLE, AnalysisColumn.ANALYSIS_NAME),
    (SheetName.GROUPINGS, GroupingsColumn.GROUP_NAME),
    (SheetName.PRODUCTS_AND_PERILS, ProductsColumn.ANALYSIS_NAME),
    (SheetName.EXPOSURE_GROUP_PORTNAME, ExposureColumn.EXPOSURE_GROUP),
    (SheetName.EXPOSURE_GROUP_PORTNAME, ExposureColumn.PORTNAME),
]


def scaled_document(path: Path) -> dict[str, Any]:
    report = validate_workbook(path)
    assert report.valid, report.errors[:5]
    assert report.document is not None
    return report.document


@pytest.fixture(scope="module")
def scaled3(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return scaled_document(make_sample_workbook.write_sample(tmp_path_factory.mktemp("x3") / "x3.xlsx", scale=3))


def copy_of(name: str, scale: int) -> int:
    """The copy a name belongs to, from its suffix (copy 1 has none)."""
    return next((copy for copy in range(scale, 1, -1) if name.endswith(scale_suffix(copy))), 1)


def test_scale_3_has_three_times_the_sample_jobs_of_every_batch_type(
    scaled3: dict[str, Any], sample_document: dict[str, Any]
) -> None:
    sample = job_counts(sample_document)
    assert sum(sample.values()) == SAMPLE_JOBS
    assert job_counts(scaled3) == {batch_type: 3 * count for batch_type, count in sample.items()}
    assert required_batch_types(scaled3) == list(BatchType)
    for batch_type in BatchType:  # the counts are the jobs really generated
        assert len(generate_job_configurations(scaled3, batch_type)) == 3 * sample[batch_type]


def test_scale_3_copies_every_sheet_three_times(scaled3: dict[str, Any], sample_document: dict[str, Any]) -> None:
    for sheet in SheetName:
        if sheet in (SheetName.METADATA, SheetName.MOODYS_REFERENCE_DATA):
            assert scaled3[sheet] == sample_document[sheet]  # one cycle, one Moody's tenant
        else:
            assert len(scaled3[sheet]) == 3 * len(sample_document[sheet]), sheet
    # Copy 1 is the sample itself.
    assert scaled3[SheetName.ANALYSIS_TABLE][:9] == sample_document[SheetName.ANALYSIS_TABLE]


def test_scaled_names_are_unique_and_within_moodys_limits(scaled3: dict[str, Any]) -> None:
    for sheet, column in NAME_COLUMNS:
        names = [row[column] for row in scaled3[sheet]]
        repeated = [name for name, count in Counter(names).items() if count > 1]
        assert not repeated, f"{sheet}.{column}: {repeated}"
    portfolios = scaled3[SheetName.PORTFOLIOS]
    bases = [row[PortfoliosColumn.PORTFOLIO] for row in portfolios if row[PortfoliosColumn.BASE_PORTFOLIO] == "Y"]
    assert max(map(len, bases)) <= PORTFOLIO_NUMBER_LIMIT  # Portfolio Creation: name = number
    assert max(len(row[PortfoliosColumn.PORTFOLIO]) for row in portfolios) <= PORTFOLIO_NAME_LIMIT
    treaty_numbers = [row[TreatyColumn.TREATY_NUMBER] for row in scaled3[SheetName.REINSURANCE_TREATIES]]
    assert max(map(len, treaty_numbers)) <= TREATY_NUMBER_LIMIT
    # Jobs that create an entity create a different one in each copy.
    treaty_jobs = generate_job_configurations(scaled3, BatchType.CREATE_REINSURANCE_TREATIES)
    pairs = [(job[TreatyColumn.TREATY_NAME], job["Database"]) for job in treaty_jobs]
    assert len(set(pairs)) == len(pairs) == 15
    exported = [job["analysis_names"][0] for job in generate_job_configurations(scaled3, BatchType.EXPORT_TO_RDM)]
    assert len(set(exported)) == len(exported) == 45


def test_each_copy_refers_only_to_its_own_entities(scaled3: dict[str, Any]) -> None:
    for row in scaled3[SheetName.ANALYSIS_TABLE]:
        copy = copy_of(row[AnalysisColumn.ANALYSIS_NAME], 3)
        references = [row[AnalysisColumn.DATABASE], row[AnalysisColumn.PORTFOLIO]]
        references += [row[column] for column in ANALYSIS_TREATY_COLUMNS if row[column]]
        assert {copy_of(name, 3) for name in references} == {copy}, row
    for group in scaled3[SheetName.GROUPINGS]:
        copy = copy_of(group[GroupingsColumn.GROUP_NAME], 3)
        assert {copy_of(item, 3) for item in group["items"]} == {copy}, group
    for row in scaled3[SheetName.PORTFOLIOS]:
        assert copy_of(row[PortfoliosColumn.PORTFOLIO], 3) == copy_of(row[PortfoliosColumn.DATABASE], 3)
    # Import files are shared by the copies: the source warehouse and mapping SQL serve them all.
    import_files = {row[PortfoliosColumn.IMPORT_FILE] for row in scaled3[SheetName.PORTFOLIOS]}
    assert import_files == {"GCHU_Coastal", "GCHU_Inland", "CAEQ", "MWST"}


def test_scale_1_is_the_committed_sample(tmp_path: Path, sample_path: Path) -> None:
    assert make_sample_workbook.write_sample(tmp_path / "x1.xlsx", scale=1).read_bytes() == sample_path.read_bytes()


def test_minimal_workbook_scales(tmp_path: Path) -> None:
    minimal = scaled_document(make_sample_workbook.write_sample(tmp_path / "m1.xlsx", minimal=True))
    scaled = scaled_document(make_sample_workbook.write_sample(tmp_path / "m4.xlsx", minimal=True, scale=4))
    assert job_counts(scaled) == {batch_type: 4 * count for batch_type, count in job_counts(minimal).items()}


def test_scale_10_from_the_command_line_validates(tmp_path: Path) -> None:
    output = tmp_path / "x10.xlsx"
    tool = ROOT / "tools" / "make_sample_workbook.py"
    subprocess.run([sys.executable, str(tool), str(output), "--scale", "10"], check=True, capture_output=True)
    document = scaled_document(output)
    assert sum(job_counts(document).values()) == 10 * SAMPLE_JOBS
    names = [row[AnalysisColumn.ANALYSIS_NAME] for row in document[SheetName.ANALYSIS_TABLE]]
    assert len(set(names)) == 90
    assert names[-1] == "MWST_Low_Frq_s0010"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--scale", "2"], "give an OUTPUT path"),
        (["OUT", "--scale", "0"], "scale must be between 1 and 9999"),
        (["OUT", "--scale", "2", "--analyses", "40"], "cannot be combined"),
    ],
)
def test_command_line_refuses_bad_scales(tmp_path: Path, sample_path: Path, arguments: list[str], message: str) -> None:
    """A variant never overwrites the committed sample; impossible scales are refused."""
    before = sample_path.read_bytes()
    command = [sys.executable, str(ROOT / "tools" / "make_sample_workbook.py")]
    command += [str(tmp_path / "out.xlsx") if argument == "OUT" else argument for argument in arguments]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert message in result.stderr
    assert sample_path.read_bytes() == before
    assert not (tmp_path / "out.xlsx").exists()
