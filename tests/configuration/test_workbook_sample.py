"""The project's own sample workbook: its job counts and field values per batch type, its valid
edge cases, and that the committed file is exactly what tools/make_sample_workbook.py writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from irp.configuration import generate_job_configurations, job_counts, required_batch_types
from irp.constants import BatchType
from tools import make_sample_workbook

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_COUNTS = {
    BatchType.DATA_EXTRACTION: 4,
    BatchType.EDM_CREATION: 3,
    BatchType.PORTFOLIO_CREATION: 4,
    BatchType.MRI_IMPORT: 4,
    BatchType.CREATE_REINSURANCE_TREATIES: 5,
    BatchType.EDM_DB_UPGRADE: 3,
    BatchType.GEOHAZ: 4,
    BatchType.PORTFOLIO_MAPPING: 4,
    BatchType.ANALYSIS: 9,
    BatchType.GROUPING: 4,
    BatchType.GROUPING_ROLLUP: 2,
    BatchType.EXPORT_TO_RDM: 15,
}
GCHU = "RM_EDM_202606_Quarterly_GCHU"
CAEQ = "RM_EDM_202606_Quarterly_CAEQ"
MWST = "RM_EDM_202606_Quarterly_MWST"
BASE = ["GCHU_Coastal", "GCHU_Inland", "CAEQ", "MWST"]


def jobs(document: dict[str, Any], batch_type: BatchType) -> list[dict[str, Any]]:
    return generate_job_configurations(document, batch_type)


def test_sample_job_counts(sample_document: dict[str, Any]) -> None:
    assert job_counts(sample_document) == SAMPLE_COUNTS
    assert required_batch_types(sample_document) == list(BatchType)


def test_committed_sample_is_what_the_generator_writes(tmp_path: Path, sample_path: Path) -> None:
    regenerated = make_sample_workbook.write_sample(tmp_path / "sample.xlsx")
    assert regenerated.read_bytes() == sample_path.read_bytes()


def test_generator_scales_the_analysis_table(tmp_path: Path) -> None:
    from irp.configuration import validate_workbook

    report = validate_workbook(make_sample_workbook.write_sample(tmp_path / "big.xlsx", analyses=250))

    assert report.valid, report.errors[:3]
    assert report.document is not None
    assert len(jobs(report.document, BatchType.ANALYSIS)) == 250


def test_sample_data_extraction_and_mri_import(sample_document: dict[str, Any]) -> None:
    extraction = jobs(sample_document, BatchType.DATA_EXTRACTION)
    assert [job["Portfolio"] for job in extraction] == BASE
    assert extraction[0]["accounts_import_file"] == "Modeling_202606_Moodys_GCHU_Coastal_Account.csv"
    assert extraction[0]["locations_import_file"] == "Modeling_202606_Moodys_GCHU_Coastal_Location.csv"
    assert (extraction[0]["date_value"], extraction[0]["cycle_type"]) == ("202606", "Quarterly")
    mri = jobs(sample_document, BatchType.MRI_IMPORT)
    assert [job["accounts_import_file"] for job in mri] == [job["accounts_import_file"] for job in extraction]
    assert "date_value" not in mri[0]


@pytest.mark.parametrize("batch_type", [BatchType.PORTFOLIO_CREATION, BatchType.PORTFOLIO_MAPPING, BatchType.GEOHAZ])
def test_sample_base_portfolio_jobs(sample_document: dict[str, Any], batch_type: BatchType) -> None:
    found = jobs(sample_document, batch_type)
    assert [job["Portfolio"] for job in found] == BASE
    assert [job["Database"] for job in found] == [GCHU, GCHU, CAEQ, MWST]
    assert all(job["Metadata"]["Export RDM Name"] == "RM_RDM_202606_QEM_DEMO" for job in found)


def test_sample_edm_jobs(sample_document: dict[str, Any]) -> None:
    assert [job["Database"] for job in jobs(sample_document, BatchType.EDM_CREATION)] == [GCHU, CAEQ, MWST]
    upgrade = jobs(sample_document, BatchType.EDM_DB_UPGRADE)
    assert [job["target_edm_version"] for job in upgrade] == ["23", "23", "23"]
    assert upgrade[2]["Store in Data Bridge?"] == "N"
    assert jobs(sample_document, BatchType.GEOHAZ)[0]["geocode_version"] == "23.0"


def test_sample_treaty_jobs(sample_document: dict[str, Any]) -> None:
    found = jobs(sample_document, BatchType.CREATE_REINSURANCE_TREATIES)
    assert [(job["Treaty Name"], job["Database"]) for job in found] == [
        ("CAT_XL_2026_L1", CAEQ),
        ("CAT_XL_2026_L1", GCHU),
        ("CAT_XL_2026_L2", GCHU),
        ("QS_Homeowners_25", GCHU),
        ("QS_Homeowners_25", MWST),
    ]
    layer_2 = found[2]
    assert layer_2["% Place"] == 37.5
    assert layer_2["Producer"] == "Demo Re Brokers"
    assert layer_2["Inception Date"] == "2026-01-01T00:00:00.000Z"
    assert layer_2["Occurrence Limit"] == 100_000_000


def test_sample_analysis_jobs_keep_edge_case_names(sample_document: dict[str, Any]) -> None:
    found = {job["Analysis Name"]: job for job in jobs(sample_document, BatchType.ANALYSIS)}
    assert len(found) == 9
    assert found["GCHU_Coastal_Condo_LT"]["Output Profile"] == "HAZARD_Analysis "
    assert found["CAEQ"]["Event Rate"] == "RMS 17.0 NA   Stochastic Event Rates"
    assert found["CAEQ"]["Portfolio"] == "CAEQ"
    assert found["MWST_Farm_WF"]["Analysis Profile"] == "HD USWF v2"
    assert found["MWST_Farm_WF"]["Event Rate"] is None
    assert found["MWST_Farm_WF"]["Portfolio"] == "MWST_Farm"
    assert found["MWST_Farm_WF"]["Tag 2"] == "Wildfire"


def test_sample_grouping_jobs(sample_document: dict[str, Any]) -> None:
    grouping = jobs(sample_document, BatchType.GROUPING)
    assert [job["Group_Name"] for job in grouping] == [
        "202606_GCHU_LT_Group", "202606_GCHU_NT_Group", "202606_CAEQ_Group", "202606_MWST_Group",
    ]  # fmt: skip
    # A gap between Item1 and Item3 is skipped; a portfolio is a valid item.
    assert grouping[0]["items"] == ["GCHU_Coastal_LT", "GCHU_Inland_LT", "GCHU_Coastal_Condo_LT"]
    assert grouping[2]["items"] == ["CAEQ", "CAEQ_Masonry"]
    assert grouping[3]["items"] == ["MWST_High_Frq", "MWST_Low_Frq", "MWST_Farm_WF"]
    assert grouping[0]["group_names"] == [
        "202606_GCHU_LT_Group", "202606_GCHU_NT_Group", "202606_CAEQ_Group", "202606_MWST_Group",
        "202606_LT_All_Group", "202606_NT_All_Group",
    ]  # fmt: skip
    assert grouping[0]["analysis_edm_map"]["MWST_Low_Frq"] == MWST
    rollups = jobs(sample_document, BatchType.GROUPING_ROLLUP)
    assert [job["Group_Name"] for job in rollups] == ["202606_LT_All_Group", "202606_NT_All_Group"]


def test_sample_export_jobs(sample_document: dict[str, Any]) -> None:
    found = jobs(sample_document, BatchType.EXPORT_TO_RDM)
    assert [job["is_seed_job"] for job in found] == [True] + [False] * 14
    assert found[0]["analysis_names"] == ["GCHU_Coastal_LT"]
    assert found[0]["edm_name"] == GCHU
    assert {job["rdm_name"] for job in found} == {"RM_RDM_202606_QEM_DEMO"}
    assert [job["is_group"] for job in found] == [False] * 9 + [True] * 6
    assert found[-1]["analysis_names"] == ["202606_NT_All_Group"]
    assert "Metadata" not in found[0]
