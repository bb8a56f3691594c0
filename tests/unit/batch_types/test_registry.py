"""The batch-type registry: every batch type has an entry, and each entry declares its facts."""

from __future__ import annotations

import re

import pytest

from irp.batch_types import REGISTRY, BatchTypeEntry, entry
from irp.configuration import generate_job_configurations, job_counts, parse_workbook, required_batch_types
from irp.configuration.schema import (
    AnalysisColumn,
    DatabasesColumn,
    GroupingsColumn,
    MetadataKey,
    PortfoliosColumn,
    SheetName,
    TreatyColumn,
)
from irp.constants import BatchType
from irp.labels import job_label
from irp.moodys.paths import ApiPath
from irp.settings import PROJECT_ROOT
from tests.support.specs import spec

SAMPLE = PROJECT_ROOT / "include" / "workbooks" / "sample_cycle.xlsx"

SYNCHRONOUS = {
    BatchType.DATA_EXTRACTION,
    BatchType.PORTFOLIO_CREATION,
    BatchType.CREATE_REINSURANCE_TREATIES,
    BatchType.PORTFOLIO_MAPPING,
}
STATUS_PATHS = {
    BatchType.EDM_CREATION: ApiPath.RISKDATA_JOBS,
    BatchType.MRI_IMPORT: ApiPath.IMPORT_JOBS,
    BatchType.EDM_DB_UPGRADE: ApiPath.WORKFLOWS,
    BatchType.GEOHAZ: ApiPath.GEOHAZ_JOBS,
    BatchType.ANALYSIS: ApiPath.MODEL_JOBS,
    BatchType.GROUPING: ApiPath.GROUPING_JOBS,
    BatchType.GROUPING_ROLLUP: ApiPath.GROUPING_JOBS,
    BatchType.EXPORT_TO_RDM: ApiPath.EXPORT_JOBS,
}
STATUS_LISTS = {
    BatchType.EDM_CREATION: ApiPath.RISKDATA_JOBS,
    BatchType.EDM_DB_UPGRADE: ApiPath.WORKFLOWS,
    BatchType.GEOHAZ: ApiPath.RISKDATA_JOBS,
    BatchType.ANALYSIS: ApiPath.MODEL_JOBS,
}
LABEL_FIELDS = {
    BatchType.DATA_EXTRACTION: "Import File",
    BatchType.EDM_CREATION: "Database",
    BatchType.PORTFOLIO_CREATION: "Portfolio",
    BatchType.MRI_IMPORT: "Portfolio",
    BatchType.CREATE_REINSURANCE_TREATIES: "Treaty Name",
    BatchType.EDM_DB_UPGRADE: "Database",
    BatchType.GEOHAZ: "Portfolio",
    BatchType.PORTFOLIO_MAPPING: "Portfolio",
    BatchType.ANALYSIS: "Analysis Name",
    BatchType.GROUPING: "Group_Name",
    BatchType.GROUPING_ROLLUP: "Group_Name",
    BatchType.EXPORT_TO_RDM: "analysis_names",
}
EXISTING_CODES = {
    BatchType.ANALYSIS: "ENT-ANALYSIS-001",
    BatchType.GROUPING: "ENT-GROUP-001",
    BatchType.GROUPING_ROLLUP: "ENT-GROUP-001",
    BatchType.EXPORT_TO_RDM: "ENT-RDM-001",
}
ASSETS = {BatchType.EDM_CREATION: ("edms", "Database"), BatchType.EXPORT_TO_RDM: ("rdm", "rdm_name")}
#: Synchronous types whose lost submission is looked up by the entity they create; EDM DB Upgrade
#: is looked up by nothing (sending it again creates nothing twice).
FOUND_BY_ENTITY = {BatchType.PORTFOLIO_CREATION, BatchType.CREATE_REINSURANCE_TREATIES}


def test_every_batch_type_has_one_entry_in_dependency_order():
    assert list(REGISTRY) == list(BatchType)
    assert all(isinstance(e, BatchTypeEntry) and e.batch_type is bt for bt, e in REGISTRY.items())


@pytest.mark.parametrize("batch_type", BatchType, ids=lambda bt: bt.slug)
def test_an_entry_is_found_by_its_batch_type_display_name_or_slug(batch_type):
    assert entry(batch_type) is entry(batch_type.value) is entry(batch_type.slug) is REGISTRY[batch_type]


def test_an_unknown_batch_type_has_no_entry():
    with pytest.raises(ValueError, match="Unknown batch_type 'Reporting'"):
        entry("Reporting")


@pytest.mark.parametrize("batch_type", BatchType, ids=lambda bt: bt.slug)
def test_every_behaviour_an_entry_names_exists_and_is_callable(batch_type):
    refs = entry(batch_type).refs()
    assert {"required", "generate", "count", "backend"} <= set(refs)
    for name, ref in refs.items():
        assert callable(ref.target), f"{batch_type}.{name}: {ref} is not callable"


def test_synchronous_batch_types_have_no_status_endpoint_and_the_others_theirs():
    assert {bt for bt, e in REGISTRY.items() if e.synchronous} == SYNCHRONOUS
    assert {bt for bt in BatchType if bt.synchronous} == SYNCHRONOUS  # BatchType asks the registry
    assert {bt: e.status_path for bt, e in REGISTRY.items() if e.status_path} == STATUS_PATHS
    assert set(STATUS_PATHS) == set(BatchType) - SYNCHRONOUS
    assert {bt: e.status_list for bt, e in REGISTRY.items() if e.status_list} == STATUS_LISTS


def test_submission_and_lookup_of_lost_submissions():
    # The SQL runners submit nothing to Moody's themselves.
    assert {bt for bt, e in REGISTRY.items() if e.submit is None} == {
        BatchType.DATA_EXTRACTION,
        BatchType.PORTFOLIO_MAPPING,
    }
    looked_up = {bt for bt, e in REGISTRY.items() if e.find_submission is not None}
    by_job_list = {bt for bt, e in REGISTRY.items() if e.job_list is not None}
    assert by_job_list == set(STATUS_PATHS) - {BatchType.EDM_DB_UPGRADE}
    assert looked_up == by_job_list | FOUND_BY_ENTITY
    assert all(e.job_list.path is e.status_path for e in REGISTRY.values() if e.job_list)
    assert entry(BatchType.EDM_CREATION).job_list.job_type == "CREATE_EDM"


def test_labels_name_the_entity_a_job_is_about():
    assert {bt: e.label.field for bt, e in REGISTRY.items()} == LABEL_FIELDS
    assert {bt for bt, e in REGISTRY.items() if e.label.with_database} == {BatchType.CREATE_REINSURANCE_TREATIES}
    treaty = {"Treaty Name": "QS_25", "Database": "RM_EDM_A"}
    assert job_label(BatchType.CREATE_REINSURANCE_TREATIES, 7, treaty) == "RM_EDM_A/QS_25"
    assert job_label(BatchType.EXPORT_TO_RDM, 7, {"analysis_names": ["A", "B"]}) == "A, B"
    assert job_label(BatchType.ANALYSIS, 7, {"Database": "RM_EDM_A"}) == "job 7"


def test_existing_entity_policy_assets_and_seed():
    assert {bt: e.existing.code for bt, e in REGISTRY.items() if e.existing} == EXISTING_CODES
    assert {bt for bt, e in REGISTRY.items() if e.may_exist} == set(EXISTING_CODES)
    analysis = entry(BatchType.ANALYSIS).existing
    assert analysis.matches({"Database": "E", "Analysis Name": "A"}, "E/A")
    assert not analysis.matches({"Database": "E", "Analysis Name": "A"}, "E/A_2")
    rdm = entry(BatchType.EXPORT_TO_RDM).existing
    assert rdm.matches({"rdm_name": "RDM_Q2"}, "RDM_Q2_5f3a")  # Moody's suffixes the database name
    assert not rdm.matches({"rdm_name": "RDM_Q2"}, "RDM_Q20")
    assert {bt: (e.asset.kind, e.asset.entity_field) for bt, e in REGISTRY.items() if e.asset} == ASSETS
    assert [bt for bt, e in REGISTRY.items() if e.seeded] == [BatchType.EXPORT_TO_RDM]
    export = entry(BatchType.EXPORT_TO_RDM)
    assert export.is_seed({"is_seed_job": True})
    assert not export.is_seed({"is_seed_job": False})
    assert export.is_seed({}) is spec(BatchType.EXPORT_TO_RDM, {}).seed is True  # one rule for prepare and client
    assert not entry(BatchType.ANALYSIS).is_seed({"is_seed_job": True})


def test_validation_and_row_sources():
    assert {bt for bt, e in REGISTRY.items() if e.validate is None} == {BatchType.DATA_EXTRACTION}
    assert {bt for bt, e in REGISTRY.items() if e.entity_exists is None} == {BatchType.DATA_EXTRACTION}
    # Export to RDM jobs come from no single row: only where the RDM lives may change.
    assert [bt for bt, e in REGISTRY.items() if e.row_source is None] == [BatchType.EXPORT_TO_RDM]
    assert entry(BatchType.EXPORT_TO_RDM).changeable == {"database_id", "server_name"}
    treaty = entry(BatchType.CREATE_REINSURANCE_TREATIES).row_source
    assert (treaty.sheet, treaty.key, treaty.also) == ("Reinsurance Treaties", "Treaty Name", ("Database",))


def test_the_sample_workbook_generates_and_counts_through_the_registry():
    document = parse_workbook(SAMPLE)
    assert required_batch_types(document) == list(BatchType)
    counts = job_counts(document)
    for batch_type in BatchType:
        jobs = generate_job_configurations(document, batch_type)
        assert len(jobs) == counts[batch_type] == entry(batch_type).count(document) > 0


PLUGINS = PROJECT_ROOT / "plugins" / "irp"


def _sources(*excluded: str) -> dict[str, str]:
    return {
        str(path.relative_to(PLUGINS)): path.read_text()
        for path in PLUGINS.rglob("*.py")
        if not any(str(path.relative_to(PLUGINS)).startswith(prefix) for prefix in excluded)
    }


def test_generic_code_names_no_batch_type_member():
    """Only the registry's modules (and each job generator, naming its own batch type in errors)
    name a batch type; everything else asks the registry."""
    member = re.compile(r"\bBatchType\.(" + "|".join(bt.name for bt in BatchType) + r")\b")
    found = {
        (name, match.group(0))
        for name, text in _sources("batch_types/", "configuration/jobs.py").items()
        for match in member.finditer(text)
    }
    assert found == set()


def test_no_workbook_heading_is_spelled_outside_the_configuration_package():
    headings = {
        member.value
        for enum in (SheetName, MetadataKey, DatabasesColumn, PortfoliosColumn, TreatyColumn, AnalysisColumn)
        for member in enum
    } | {GroupingsColumn.GROUP_NAME.value}
    # "Portfolio" is also an Exposure Level value the treaty body maps to Moody's code.
    allowed = {("moodys/jobs.py", '"Portfolio"')}
    literal = re.compile("|".join(re.escape(f'"{heading}"') for heading in sorted(headings, key=len, reverse=True)))
    found = {
        (name, match.group(0)) for name, text in _sources("configuration/").items() for match in literal.finditer(text)
    }
    assert found == allowed
