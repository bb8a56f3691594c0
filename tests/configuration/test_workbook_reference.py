"""Compatibility with the workbooks analysts already keep: the shared reference workbook
(../shared/reference/valid_excel_configuration.xlsx, never copied into the project) must parse
as the reference framework parses it and give the job counts of specs/configuration.md §4.4."""

from __future__ import annotations

from typing import Any

import pytest

from irp.configuration import generate_job_configurations, job_counts, required_batch_types
from irp.constants import BatchType

REFERENCE_COUNTS = {
    BatchType.DATA_EXTRACTION: 11,
    BatchType.EDM_CREATION: 7,
    BatchType.PORTFOLIO_CREATION: 11,
    BatchType.MRI_IMPORT: 11,
    BatchType.CREATE_REINSURANCE_TREATIES: 18,
    BatchType.EDM_DB_UPGRADE: 7,
    BatchType.GEOHAZ: 11,
    BatchType.PORTFOLIO_MAPPING: 11,
    BatchType.ANALYSIS: 93,
    BatchType.GROUPING: 88,
    BatchType.GROUPING_ROLLUP: 8,
    BatchType.EXPORT_TO_RDM: 189,
}
CBAP = "RM_EDM_202503_Quarterly_CBAP"


@pytest.mark.parametrize(("batch_type", "count"), REFERENCE_COUNTS.items(), ids=[t.slug for t in REFERENCE_COUNTS])
def test_reference_job_counts(reference_document: dict[str, Any], batch_type: BatchType, count: int) -> None:
    assert len(generate_job_configurations(reference_document, batch_type)) == count


def test_reference_needs_all_twelve_batch_types(reference_document: dict[str, Any]) -> None:
    assert required_batch_types(reference_document) == list(BatchType)
    assert job_counts(reference_document) == REFERENCE_COUNTS


def test_reference_metadata_is_read_exactly(reference_document: dict[str, Any]) -> None:
    assert reference_document["Metadata"] == {
        "Current Date Value": "202503",
        "EDM Data Version": "23.0.0",
        "Geocode Version": "23.0.0",
        "Hazard Version": "23.0.0",
        "DLM Model Version": 23,
        "Validate DLM Model Versions?": "Y",
        "Wildfire HD Model Version": 2,
        "SCS HD Model Version": 1,
        "Inland Flood HD Model Version": 1.2,
        "Validate HD Model Versions?": "Y",
        "Export RDM Name": "RM_RDM_202503_QEM_USAP",
        "Cycle Type": "Quarterly",
    }


def test_reference_document_shape(reference_document: dict[str, Any]) -> None:
    assert list(reference_document) == [
        "Metadata", "Databases", "Portfolios", "Reinsurance Treaties", "GeoHaz Thresholds", "Analysis Table",
        "Groupings", "Products and Perils", "Moody's Reference Data", "ExposureGroup <-> Portname", "_validation",
    ]  # fmt: skip
    assert reference_document["Databases"][0] == {"Database": CBAP, "Store in Data Bridge?": "Y"}
    assert len(reference_document["Databases"]) == 7
    shape = {
        sheet: (entry["row_count"], entry["column_count"]) for sheet, entry in reference_document["_validation"].items()
    }
    assert shape == {
        "Metadata": (12, 2), "Databases": (7, 2), "Portfolios": (70, 4), "Reinsurance Treaties": (3, 23),
        "GeoHaz Thresholds": (121, 4), "Analysis Table": (93, 16), "Groupings": (96, 51),
        "Products and Perils": (264, 3), "Moody's Reference Data": (75, 3), "ExposureGroup <-> Portname": (7, 2),
    }  # fmt: skip
    assert {entry["status"] for entry in reference_document["_validation"].values()} == {"SUCCESS"}


def test_reference_cell_values_keep_their_types(reference_document: dict[str, Any]) -> None:
    treaty = reference_document["Reinsurance Treaties"][0]
    assert treaty["Treaty Name"] == "XPR_1_95"
    assert treaty["Per-Risk Limit"] == 3000000
    assert treaty["% Place"] == 95
    assert treaty["Inception Date"] == "2000-01-01T00:00:00.000Z"
    assert treaty["Expiration Date"] == "2030-12-31T00:00:00.000Z"
    assert treaty["Producer"] is None
    geohaz = reference_document["GeoHaz Thresholds"][0]
    assert geohaz == {"Geocode Level": "Null", "Import File": "CBEQ", "% of Grand Total": 0.0, "Threshold %": 1.0}
    assert isinstance(geohaz["% of Grand Total"], float)
    reference = reference_document["Moody's Reference Data"]
    assert [len(reference[key]) for key in ("Model Profiles", "Output Profiles", "Event Rate Schemes")] == [53, 20, 75]
    assert "HAZARD_Analysis " in reference["Output Profiles"]
    assert "RMS 17.0 NA   Stochastic Event Rates" in reference["Event Rate Schemes"]
    groups = reference_document["Groupings"]
    assert len(groups) == 96
    assert sum(len(group["items"]) for group in groups) == 528


def test_reference_data_extraction_job(reference_document: dict[str, Any]) -> None:
    job = generate_job_configurations(reference_document, BatchType.DATA_EXTRACTION)[0]
    assert job["Portfolio"] == "CBHU"
    assert job["accounts_import_file"] == "Modeling_202503_Moodys_CBHU_Account.csv"
    assert job["locations_import_file"] == "Modeling_202503_Moodys_CBHU_Location.csv"
    assert job["date_value"] == "202503"
    assert job["cycle_type"] == "Quarterly"
    assert job["Metadata"] == reference_document["Metadata"]


def test_reference_base_portfolio_jobs(reference_document: dict[str, Any]) -> None:
    base = ["CBHU", "CBEQ", "USEQ", "USFF", "USFL_Other", "USFL_Excess", "USFL_Commercial", "USHU_Leak",
            "USHU_Full", "USST", "USWF"]  # fmt: skip
    for batch_type in (BatchType.PORTFOLIO_CREATION, BatchType.MRI_IMPORT, BatchType.GEOHAZ,
                       BatchType.PORTFOLIO_MAPPING):  # fmt: skip
        assert sorted(
            job["Portfolio"] for job in generate_job_configurations(reference_document, batch_type)
        ) == sorted(base)
    geohaz = generate_job_configurations(reference_document, BatchType.GEOHAZ)[0]
    assert geohaz["geocode_version"] == "23.0"


def test_reference_edm_jobs(reference_document: dict[str, Any]) -> None:
    creation = generate_job_configurations(reference_document, BatchType.EDM_CREATION)
    assert creation[0]["Database"] == CBAP
    upgrade = generate_job_configurations(reference_document, BatchType.EDM_DB_UPGRADE)
    assert {job["target_edm_version"] for job in upgrade} == {"23"}


def test_reference_treaty_job_order(reference_document: dict[str, Any]) -> None:
    jobs = generate_job_configurations(reference_document, BatchType.CREATE_REINSURANCE_TREATIES)
    suffixes = [(job["Treaty Name"], job["Database"].rsplit("_", 1)[1]) for job in jobs]
    seven = ["CBAP", "USEQ", "USFF", "USFL", "USHU", "USST", "USWF"]
    assert suffixes == (
        [("Geico_2.075QS", edm) for edm in ("USFF", "USHU", "USST", "USWF")]
        + [("XPR_1_100", edm) for edm in seven]
        + [("XPR_1_95", edm) for edm in seven]
    )
    assert jobs[0]["Type"] == "Quota Share"
    assert len(jobs[0]) == 1 + 1 + 23  # Metadata, Database, the treaty's 23 columns


def test_reference_analysis_and_grouping_jobs(reference_document: dict[str, Any]) -> None:
    analysis = generate_job_configurations(reference_document, BatchType.ANALYSIS)[0]
    assert analysis["Analysis Name"] == "CBHU_LT"
    assert analysis["Analysis Profile"] == "DLM CBHU v23"
    rollups = generate_job_configurations(reference_document, BatchType.GROUPING_ROLLUP)
    assert [job["Group_Name"] for job in rollups] == [
        "202503_LT_USAP_Group", "202503_LT_USAPxWFIF_Group", "202503_NT_USAP_Group", "202503_NT_USAPxWFIF_Group",
        "202503_LT_USAPxCB_Group", "202503_LT_USAPxWFIFxCB_Group", "202503_NT_USAPxCB_Group",
        "202503_NT_USAPxWFIFxCB_Group",
    ]  # fmt: skip
    grouping = generate_job_configurations(reference_document, BatchType.GROUPING)[0]
    assert grouping["Group_Name"] == "202503_USST_Geico_HIP2_Group"
    assert grouping["items"] == ["USST_Geico_75HIP2_High_Frq", "USST_Geico_75HIP2_Low_Frq"]
    assert len(grouping["group_names"]) == 96
    assert grouping["group_names"][0] == "202503_USST_Geico_HIP2_Group"
    assert len(grouping["analysis_edm_map"]) == 93


def test_reference_export_jobs(reference_document: dict[str, Any]) -> None:
    jobs = generate_job_configurations(reference_document, BatchType.EXPORT_TO_RDM)
    assert jobs[0] == {
        "rdm_name": "RM_RDM_202503_QEM_USAP",
        "server_name": "databridge-1",
        "analysis_names": ["CBHU_LT"],
        "is_seed_job": True,
        "database_id": None,
        "is_group": False,
        "edm_name": CBAP,
    }
    assert [job["is_seed_job"] for job in jobs].count(True) == 1
    assert all(job["is_group"] and job["edm_name"] is None for job in jobs[93:])
    assert not any(job["is_group"] for job in jobs[:93])
