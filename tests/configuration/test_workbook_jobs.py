"""Job generation rules on small hand-written documents (specs/configuration.md §4)."""

from __future__ import annotations

from typing import Any

import pytest

from irp.configuration import generate_job_configurations, required_batch_types
from irp.configuration.jobs import geocode_version, target_edm_version
from irp.constants import BatchType
from irp.exceptions import ConfigurationError


def document(**sheets: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Metadata": {"Current Date Value": "202609", "Cycle Type": "Test_Demo", "EDM Data Version": "24.1.0",
                     "Geocode Version": "24", "Export RDM Name": "RM_RDM_X"},
        "Databases": [{"Database": "TEST_EDM_202609_A", "Store in Data Bridge?": "Y"}],
        "Portfolios": [
            {"Portfolio": "P1", "Database": "TEST_EDM_202609_A", "Import File": "P1", "Base Portfolio?": "Y"},
            {"Portfolio": "P1_sub", "Database": "TEST_EDM_202609_A", "Import File": "P1", "Base Portfolio?": "N"},
        ],
        "Reinsurance Treaties": [{"Treaty Name": "T1"}],
        "Analysis Table": [
            {"Database": "TEST_EDM_202609_A", "Portfolio": "P1", "Analysis Name": "A1", "Reinsurance Treaty 1": "T1",
             "Reinsurance Treaty 2": "T1"},
            {"Database": "TEST_EDM_202609_A", "Portfolio": "P1", "Analysis Name": "A2"},
        ],
        "Groupings": [
            {"Group_Name": "G2", "items": ["A1"]},
            {"Group_Name": "G1", "items": ["A2", "P1"]},
            {"Group_Name": "G_empty", "items": []},
            {"Group_Name": "R1", "items": ["G2", "G1"]},
        ],
    }  # fmt: skip
    base.update(sheets)
    return base


@pytest.mark.parametrize(("version", "target"), [("23.0.0", "23"), ("22.0.0", "22"), ("23", "23")])
def test_target_edm_version(version: str, target: str) -> None:
    assert target_edm_version(version) == target


@pytest.mark.parametrize(("version", "geocode"), [("23.0.0", "23.0"), ("23", "23"), ("24.1", "24.1")])
def test_geocode_version(version: str, geocode: str) -> None:
    assert geocode_version(version) == geocode


def test_unknown_batch_type_names_the_available_types() -> None:
    with pytest.raises(ConfigurationError, match="Available types"):
        generate_job_configurations(document(), "Staging ETL")


def test_batch_type_slug_is_accepted() -> None:
    assert len(generate_job_configurations(document(), "edm_creation")) == 1


def test_treaty_pairs_are_distinct() -> None:
    found = generate_job_configurations(document(), BatchType.CREATE_REINSURANCE_TREATIES)
    assert [(job["Treaty Name"], job["Database"]) for job in found] == [("T1", "TEST_EDM_202609_A")]


def test_group_names_follow_sheet_order_and_empty_groups_are_skipped() -> None:
    grouping = generate_job_configurations(document(), BatchType.GROUPING)
    assert [job["Group_Name"] for job in grouping] == ["G2", "G1"]
    assert grouping[0]["group_names"] == ["G2", "G1", "G_empty", "R1"]
    assert [job["Group_Name"] for job in generate_job_configurations(document(), BatchType.GROUPING_ROLLUP)] == ["R1"]
    exported = [job["analysis_names"][0] for job in generate_job_configurations(document(), BatchType.EXPORT_TO_RDM)]
    assert exported == ["A1", "A2", "G2", "G1", "R1"]


def test_required_batch_types_follow_the_orchestrator_rules() -> None:
    assert required_batch_types(document()) == list(BatchType)
    no_versions = document(Metadata={"Export RDM Name": None})
    assert BatchType.EDM_DB_UPGRADE not in required_batch_types(no_versions)
    assert BatchType.GEOHAZ not in required_batch_types(no_versions)
    assert BatchType.EXPORT_TO_RDM not in required_batch_types(no_versions)
    no_treaty = document(**{"Reinsurance Treaties": []})
    assert generate_job_configurations(no_treaty, BatchType.CREATE_REINSURANCE_TREATIES) == []
    assert BatchType.CREATE_REINSURANCE_TREATIES in required_batch_types(no_treaty)  # kept for chaining
    flat = document(Groupings=[{"Group_Name": "G", "items": ["A1"]}])
    assert BatchType.GROUPING_ROLLUP not in required_batch_types(flat)
    assert required_batch_types({}) == []


def test_cycle_type_and_dates_reach_the_file_names() -> None:
    job = generate_job_configurations(document(), BatchType.DATA_EXTRACTION)[0]
    assert job["accounts_import_file"] == "Modeling_202609_Moodys_P1_Account.csv"
    assert job["cycle_type"] == "Test_Demo"
    assert generate_job_configurations(document(), BatchType.EDM_DB_UPGRADE)[0]["target_edm_version"] == "24"


def test_job_configurations_share_no_data() -> None:
    jobs = generate_job_configurations(document(), BatchType.GROUPING)
    jobs[0]["Metadata"]["Cycle Type"] = "changed"
    jobs[0]["group_names"].append("changed")
    jobs[0]["analysis_edm_map"]["changed"] = "changed"

    assert jobs[1]["Metadata"]["Cycle Type"] == "Test_Demo"
    assert "changed" not in jobs[1]["group_names"]
    assert "changed" not in jobs[1]["analysis_edm_map"]
