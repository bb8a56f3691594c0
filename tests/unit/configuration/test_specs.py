"""Typed job specs: a stored job configuration (JSON) → its batch type's spec → the same JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from irp.batch_types import entry
from irp.configuration import generate_job_configurations, parse_workbook
from irp.configuration.specs import (
    AnalysisSpec,
    ExportSpec,
    GroupingSpec,
    MriImportSpec,
    PortfolioMappingSpec,
    TreatySpec,
)
from irp.constants import BatchType
from irp.exceptions import JobError
from tests.conftest import REFERENCE_WORKBOOK, shared_file
from tools import make_sample_workbook

SAMPLE = Path(__file__).resolve().parents[3] / "include" / "workbooks" / "sample_cycle.xlsx"
#: Columns of the sample's rows that no spec field types: kept as they are.
UNTYPED = {
    BatchType.EDM_CREATION: {"Store in Data Bridge?"},
    BatchType.EDM_DB_UPGRADE: {"Store in Data Bridge?"},
    BatchType.CREATE_REINSURANCE_TREATIES: {"Producer", "Tags"},
}


def stored(data: dict[str, Any]) -> dict[str, Any]:
    """A job configuration as Postgres gives it back (JSON)."""
    return json.loads(json.dumps(data))


def round_trips(document: dict[str, Any]) -> int:
    count = 0
    for batch_type in BatchType:
        kind = entry(batch_type).spec.target
        for data in map(stored, generate_job_configurations(document, batch_type)):
            spec = kind.from_json(data)
            assert spec.to_json() == data, (batch_type, data)
            assert set(spec.extra) == UNTYPED.get(batch_type, set()), batch_type  # every other key typed
            assert kind.from_json(spec.to_json()) == spec
            count += 1
    return count


def test_every_job_of_the_sample_round_trips():
    assert round_trips(parse_workbook(SAMPLE)) == 61


def test_every_job_of_the_reference_workbook_round_trips():
    assert round_trips(parse_workbook(shared_file(REFERENCE_WORKBOOK))) == 465


def test_every_job_of_a_scaled_workbook_round_trips(tmp_path: Path):
    assert round_trips(parse_workbook(make_sample_workbook.write_sample(tmp_path / "x2.xlsx", scale=2))) == 122


def test_keys_a_row_lacks_stay_absent_and_unknown_keys_are_kept():
    data = {"Database": "EDM_A", "Portfolio": "P", "Analysis Name": "A", "Old Column": 3}
    spec = AnalysisSpec.from_json(data)
    assert (spec.database, spec.portfolio, spec.analysis_name, spec.event_rate) == ("EDM_A", "P", "A", None)
    assert spec.extra == {"Old Column": 3}
    assert spec.to_json() == data  # no "Event Rate": null appears


def test_typed_fields_name_the_workbook_values():
    data = {
        "Metadata": {"Cycle Type": "Quarterly", "Current Date Value": "202606"},
        "Database": "EDM_A",
        "Analysis Name": "A",
        "Reinsurance Treaty 1": "T1",
        "Reinsurance Treaty 2": None,
        "Reinsurance Treaty 3": "T1",
        "Reinsurance Treaty 4": " T2 ",
        "Tag 1": "Q2",
        "Tag 5": "",
    }
    spec = AnalysisSpec.from_json(data)
    assert spec.treaties == ("T1", "T2")
    assert spec.tags == ("Q2",)
    assert (spec.cycle_type, spec.current_date_value) == ("Quarterly", "202606")
    treaty = TreatySpec.from_json({"Treaty Name": "QS", "% Place": 0.5, "Reinstatements": 2})
    assert (treaty.treaty_name, treaty.pct_place, treaty.reinstatements) == ("QS", 0.5, 2)


def test_a_blank_required_field_is_an_error_naming_its_json_key():
    spec = MriImportSpec.from_json({"Database": "EDM_A", "Portfolio": "  ", "accounts_import_file": "a.csv"})
    assert spec.require("database") == "EDM_A"
    assert spec.require("accounts_import_file") == "a.csv"
    with pytest.raises(JobError, match="Missing required field: Portfolio"):
        spec.require("portfolio")
    with pytest.raises(JobError, match="Missing required field: locations_import_file"):
        spec.require("locations_import_file")


def test_an_export_job_that_does_not_say_is_the_seed():
    assert ExportSpec.from_json({"rdm_name": "RDM"}).seed
    assert not ExportSpec.from_json({"rdm_name": "RDM", "is_seed_job": False}).seed
    assert ExportSpec.from_json({"rdm_name": "RDM", "is_seed_job": True}).seed


def test_portfolio_mapping_reads_its_sub_portfolios_from_the_document():
    document = parse_workbook(SAMPLE)
    data = stored(generate_job_configurations(document, BatchType.PORTFOLIO_MAPPING)[0])
    with_document = PortfolioMappingSpec.from_json(data, document)
    assert with_document.portfolio == "GCHU_Coastal"
    assert with_document.sub_portfolios == ("GCHU_Coastal_Condo", "GCHU_Coastal_Renters")
    assert PortfolioMappingSpec.from_json(data).sub_portfolios == ()  # not stored with the job
    assert with_document.to_json() == data


def test_grouping_specs_carry_the_workbook_wide_maps():
    document = parse_workbook(SAMPLE)
    rollup = GroupingSpec.from_json(stored(generate_job_configurations(document, BatchType.GROUPING_ROLLUP)[0]))
    assert rollup.group_name in rollup.group_names
    assert any(item in rollup.group_names for item in rollup.items)
    assert all(rollup.analysis_edm_map[name].startswith("RM_EDM_") for name in rollup.analysis_edm_map)
