"""Every Moody's-backed batch type, submitted through MoodysHook and polled to FINISHED over a real
socket; post-conditions are checked in the simulator's state."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from irp.constants import SYNCHRONOUS_WORKFLOW_ID, BatchType, JobStatus
from irp.exceptions import JobError
from irp.moodys.errors import MoodysLookupError
from irp.moodys.hook import MoodysHook
from irp.moodys.jobs import RequestKeys, Step
from irp.moodys.protocol import StatusReport
from moodys.cycle import (
    ANALYSIS,
    ANALYSIS_2,
    CYCLE,
    CYCLE_TYPES,
    EDM,
    GROUP,
    INSTALLATION,
    PORTFOLIO,
    RDM,
    ROLLUP,
    SUB_PORTFOLIO,
    TREATY,
    cycle_configs,
    key,
    poll_to_terminal,
    run_batch,
    run_cycle_until,
)
from moodys_simulator.testing import RunningSimulator
from tests.support.specs import spec


def edm_state(sim: RunningSimulator) -> dict[str, Any]:
    return next(edm for edm in sim.admin.state()["edms"] if edm["exposureName"] == EDM)


def portfolio_state(sim: RunningSimulator) -> dict[str, Any]:
    return next(p for p in edm_state(sim)["portfolios"] if p["portfolioName"] == PORTFOLIO)


def analysis_names(sim: RunningSimulator) -> dict[str, dict[str, Any]]:
    return {row["analysisName"]: row for row in sim.admin.state()["analyses"]}


def check_edm_creation(sim: RunningSimulator) -> None:
    edm = edm_state(sim)
    assert edm["databaseName"].startswith(f"{EDM}_")
    assert edm["metrics"]["dataVersion"] == "21.0.0"


def check_portfolio(sim: RunningSimulator) -> None:
    assert portfolio_state(sim)["accountsCount"] == 0


def check_mri(sim: RunningSimulator) -> None:
    portfolio = portfolio_state(sim)
    assert (portfolio["accountsCount"], portfolio["locationsCount"]) == (2, 3)
    assert [c["cedantName"] for c in edm_state(sim)["cedants"]] == ["ASST"]


def check_treaty(sim: RunningSimulator) -> None:
    (treaty,) = edm_state(sim)["treaties"]
    assert treaty["treatyName"] == TREATY
    assert treaty["treatyType"] == "WORK"
    assert treaty["percentagePlaced"] == 95.0
    assert treaty["currency"] == {"id": 1, "code": "USD", "name": "US Dollar"}
    assert [lob["lobName"] for lob in treaty["lobs"]] == ["Home"]


def check_upgrade(sim: RunningSimulator) -> None:
    assert edm_state(sim)["metrics"]["dataVersion"] == "22.0.0"


def check_geohaz(sim: RunningSimulator) -> None:
    portfolio = portfolio_state(sim)
    assert (portfolio["geocodeVersion"], portfolio["hazardVersion"]) == ("22.0", "22.0")


def check_analysis(sim: RunningSimulator) -> None:
    analyses = analysis_names(sim)
    assert {ANALYSIS, ANALYSIS_2} <= set(analyses)
    assert analyses[ANALYSIS]["engineType"] == "DLM"
    assert analyses[ANALYSIS]["exposureName"] == EDM
    assert len(analyses[ANALYSIS]["treatyIds"]) == 1
    assert {tag["tagName"] for tag in sim.admin.state()["tags"]} == {
        f"202511_{ANALYSIS}",
        f"202511_{ANALYSIS_2}",
    }


def check_grouping(sim: RunningSimulator) -> None:
    group = analysis_names(sim)[GROUP]
    assert group["analysisFramework"] == "ELT"
    assert group["engineType"] == "Group"
    assert len(group["memberAnalysisIds"]) == 2


def check_rollup(sim: RunningSimulator) -> None:
    analyses = analysis_names(sim)
    assert analyses[GROUP]["analysisId"] in analyses[ROLLUP]["memberAnalysisIds"]


def check_export(sim: RunningSimulator) -> None:
    (rdm,) = [db for db in sim.admin.state()["databases"] if db["type"] == "RDM"]
    assert rdm["databaseName"].startswith(f"{RDM}_")
    analyses = analysis_names(sim)
    assert rdm["exportedAnalysisUris"] == [analyses[ANALYSIS]["uri"], analyses[GROUP]["uri"]]


CHECKS = {
    BatchType.EDM_CREATION: check_edm_creation,
    BatchType.PORTFOLIO_CREATION: check_portfolio,
    BatchType.MRI_IMPORT: check_mri,
    BatchType.CREATE_REINSURANCE_TREATIES: check_treaty,
    BatchType.EDM_DB_UPGRADE: check_upgrade,
    BatchType.GEOHAZ: check_geohaz,
    BatchType.ANALYSIS: check_analysis,
    BatchType.GROUPING: check_grouping,
    BatchType.GROUPING_ROLLUP: check_rollup,
    BatchType.EXPORT_TO_RDM: check_export,
}


#: Ids of the simulator's default PETs and simulation sets: one per (peril, model region), sorted.
_DEFAULT_REGIONS = ["NACS", "NAEQ", "NAFL", "NAWF", "NAWS"]
PET_IDS = {region: number for number, region in enumerate(_DEFAULT_REGIONS, start=1)}
SIMULATION_SET_IDS = PET_IDS


@pytest.mark.parametrize("batch_type", CYCLE_TYPES, ids=lambda batch_type: batch_type.slug)
def test_submit_poll_finished(hook: MoodysHook, sim: RunningSimulator, batch_type: BatchType) -> None:
    run_cycle_until(hook, batch_type)
    results = run_batch(hook, batch_type, cycle_configs(batch_type), first_job_id=5000)
    for result in results:
        assert result.skipped_reason is None
        if batch_type.synchronous:
            assert result.workflow_id == SYNCHRONOUS_WORKFLOW_ID
            assert result.response["status"] == "COMPLETED"
        else:
            assert result.workflow_id.isdigit()
            assert result.response["status"] == "ACCEPTED"
            assert result.request["http_request_body"]
    CHECKS[batch_type](sim)


def test_async_statuses_progress_through_the_lifecycle(hook: MoodysHook) -> None:
    result = hook.submit_job(
        BatchType.EDM_CREATION,
        1,
        spec(BatchType.EDM_CREATION, cycle_configs(BatchType.EDM_CREATION)[0]),
        installation_id=INSTALLATION,
    )
    statuses = poll_to_terminal(hook, BatchType.EDM_CREATION, result.workflow_id)
    assert statuses == [
        JobStatus.QUEUED,
        JobStatus.PENDING,
        JobStatus.RUNNING,
        JobStatus.RUNNING,
        JobStatus.FINISHED,
    ]


def test_every_post_carries_a_request_id_derived_from_the_job(hook: MoodysHook, sim: RunningSimulator) -> None:
    run_cycle_until(hook, BatchType.MRI_IMPORT)
    run_batch(hook, BatchType.MRI_IMPORT, cycle_configs(BatchType.MRI_IMPORT), first_job_id=77)
    submissions = sim.admin.state()["submissions"]
    assert {key(77, Step.FOLDER), key(77, Step.IMPORT)} <= set(submissions)
    assert submissions[key(77, Step.IMPORT)]["path"] == "/platform/import/v1/jobs"
    assert uuid.UUID(key(77, Step.IMPORT)).version == 5  # Moody's asks for a UUID


def test_resubmitting_the_same_job_replays_the_first_submission(hook: MoodysHook, sim: RunningSimulator) -> None:
    config = cycle_configs(BatchType.EDM_CREATION)[0]
    first = hook.submit_job(
        BatchType.EDM_CREATION, 9, spec(BatchType.EDM_CREATION, config), installation_id=INSTALLATION
    )
    second = hook.submit_job(
        BatchType.EDM_CREATION, 9, spec(BatchType.EDM_CREATION, config), installation_id=INSTALLATION
    )
    assert second.workflow_id == first.workflow_id
    assert len(sim.admin.state()["jobs"]) == 1
    third = hook.submit_job(
        BatchType.EDM_CREATION, 10, spec(BatchType.EDM_CREATION, config), installation_id=INSTALLATION
    )
    assert third.workflow_id != first.workflow_id


def test_synchronous_types_are_idempotent_per_job(hook: MoodysHook, sim: RunningSimulator) -> None:
    run_cycle_until(hook, BatchType.PORTFOLIO_CREATION)
    config = cycle_configs(BatchType.PORTFOLIO_CREATION)[0]
    first = hook.submit_job(
        BatchType.PORTFOLIO_CREATION, 11, spec(BatchType.PORTFOLIO_CREATION, config), installation_id=INSTALLATION
    )
    again = hook.submit_job(
        BatchType.PORTFOLIO_CREATION, 11, spec(BatchType.PORTFOLIO_CREATION, config), installation_id=INSTALLATION
    )
    assert again.response["portfolio_id"] == first.response["portfolio_id"]
    assert len(edm_state(sim)["portfolios"]) == 1


def test_grouping_skips_when_every_item_is_missing(hook: MoodysHook, sim: RunningSimulator) -> None:
    run_cycle_until(hook, BatchType.ANALYSIS)
    config = {**cycle_configs(BatchType.GROUPING)[0], "items": ["nope_1", "nope_2"]}
    result = hook.submit_job(BatchType.GROUPING, 1, spec(BatchType.GROUPING, config), installation_id=INSTALLATION)
    assert result.workflow_id == ""
    assert "All 2 items" in (result.skipped_reason or "")
    assert not [job for job in sim.admin.state()["jobs"] if job["kind"] == "grouping"]


def test_grouping_reports_skipped_and_included_items(hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.GROUPING)
    config = {**cycle_configs(BatchType.GROUPING)[0], "items": [ANALYSIS, "missing_analysis"]}
    result = hook.submit_job(BatchType.GROUPING, 1, spec(BatchType.GROUPING, config), installation_id=INSTALLATION)
    assert result.response["included_items"] == [ANALYSIS]
    assert result.response["skipped_items"] == ["missing_analysis"]


def test_export_skips_a_missing_item(hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.EDM_DB_UPGRADE)
    result = hook.submit_job(
        BatchType.EXPORT_TO_RDM,
        1,
        spec(BatchType.EXPORT_TO_RDM, cycle_configs(BatchType.EXPORT_TO_RDM)[0]),
        installation_id=INSTALLATION,
    )
    assert result.skipped_reason is not None


def test_name_marker_fails_the_job(hook: MoodysHook) -> None:
    config = {**cycle_configs(BatchType.EDM_CREATION)[0], "Database": "RM_EDM_202511___SIMFAIL__"}
    result = hook.submit_job(
        BatchType.EDM_CREATION, 1, spec(BatchType.EDM_CREATION, config), installation_id=INSTALLATION
    )
    report = None
    for _ in range(10):
        report = hook.get_job_status(BatchType.EDM_CREATION, result.workflow_id)
        if report.status.terminal:
            break
    assert report is not None
    assert report.status is JobStatus.FAILED
    assert "__SIMFAIL__" in report.payload["details"]["summary"]


def test_cancel_running_job(hook: MoodysHook) -> None:
    result = hook.submit_job(
        BatchType.EDM_CREATION,
        1,
        spec(BatchType.EDM_CREATION, cycle_configs(BatchType.EDM_CREATION)[0]),
        installation_id=INSTALLATION,
    )
    for _ in range(3):
        hook.get_job_status(BatchType.EDM_CREATION, result.workflow_id)
    hook.cancel_job(BatchType.EDM_CREATION, result.workflow_id)
    statuses = poll_to_terminal(hook, BatchType.EDM_CREATION, result.workflow_id)
    assert statuses == [JobStatus.CANCEL_REQUESTED, JobStatus.CANCELLING, JobStatus.CANCELLED]
    assert not [edm for edm in hook.api.find_edms([EDM])]


def test_cancel_legacy_workflow(hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.EDM_DB_UPGRADE)
    config = cycle_configs(BatchType.EDM_DB_UPGRADE)[0]
    result = hook.submit_job(
        BatchType.EDM_DB_UPGRADE, 1, spec(BatchType.EDM_DB_UPGRADE, config), installation_id=INSTALLATION
    )
    hook.cancel_job(BatchType.EDM_DB_UPGRADE, result.workflow_id)
    assert poll_to_terminal(hook, BatchType.EDM_DB_UPGRADE, result.workflow_id) == [JobStatus.CANCELLED]
    assert hook.api.edm(EDM).data_version == "21.0.0"


def test_async_status_poll_and_cancel(hook: MoodysHook) -> None:
    result = hook.submit_job(
        BatchType.EDM_CREATION,
        1,
        spec(BatchType.EDM_CREATION, cycle_configs(BatchType.EDM_CREATION)[0]),
        installation_id=INSTALLATION,
    )

    async def poll_cancel_poll() -> tuple[StatusReport, StatusReport]:
        async with hook:
            first = await hook.aget_job_status(BatchType.EDM_CREATION, result.workflow_id)
            await hook.acancel_job(BatchType.EDM_CREATION, result.workflow_id)
            return first, await hook.aget_job_status(BatchType.EDM_CREATION, result.workflow_id)

    first, second = asyncio.run(poll_cancel_poll())
    assert first.status is JobStatus.QUEUED
    assert second.status is JobStatus.CANCELLED
    assert second.payload["jobId"] == result.workflow_id


def test_every_batch_type_of_the_cycle_is_covered() -> None:
    assert {batch_type for batch_type, _ in CYCLE} == {t for t in BatchType if t not in SQL_TYPES}


SQL_TYPES = {BatchType.DATA_EXTRACTION, BatchType.PORTFOLIO_MAPPING}


def test_map_sub_portfolios_applies_the_mapping_idempotently(hook: MoodysHook, sim: RunningSimulator) -> None:
    run_cycle_until(hook, BatchType.CREATE_REINSURANCE_TREATIES)
    assignments = {SUB_PORTFOLIO: ["A-1"], "USFL_Other_Renters": ["A-2", "A-1"]}
    keys = RequestKeys(INSTALLATION, 7)
    first = hook.map_sub_portfolios(EDM, PORTFOLIO, assignments, keys)
    again = hook.map_sub_portfolios(EDM, PORTFOLIO, assignments, keys)
    assert first == again == {SUB_PORTFOLIO: 1, "USFL_Other_Renters": 2}
    portfolios = {p["portfolioName"]: p for p in edm_state(sim)["portfolios"]}
    assert set(portfolios) == {PORTFOLIO, SUB_PORTFOLIO, "USFL_Other_Renters"}
    assert (portfolios[SUB_PORTFOLIO]["accountsCount"], portfolios[SUB_PORTFOLIO]["locationsCount"]) == (1, 2)
    assert portfolios["USFL_Other_Renters"]["accountsCount"] == 2
    assert keys(Step.PORTFOLIO, "USFL_Other_Renters") in sim.admin.state()["submissions"]


def test_map_sub_portfolios_rejects_unknown_accounts(hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.CREATE_REINSURANCE_TREATIES)
    with pytest.raises(MoodysLookupError, match=r"Accounts not in .*: NOPE"):
        hook.map_sub_portfolios(EDM, PORTFOLIO, {SUB_PORTFOLIO: ["A-1", "NOPE"]}, RequestKeys(INSTALLATION, 8))


def test_names_that_headers_cannot_carry_are_hashed_into_request_ids(hook: MoodysHook, sim: RunningSimulator) -> None:
    run_cycle_until(hook, BatchType.ANALYSIS)
    tag = "洪水 flood tag"
    config = {**cycle_configs(BatchType.ANALYSIS)[0], "Tag 1": tag}
    result = hook.submit_job(BatchType.ANALYSIS, 3, spec(BatchType.ANALYSIS, config), installation_id=INSTALLATION)
    assert poll_to_terminal(hook, BatchType.ANALYSIS, result.workflow_id)[-1] is JobStatus.FINISHED
    assert tag in {row["tagName"] for row in sim.admin.state()["tags"]}
    assert key(3, Step.TAG, tag) in sim.admin.state()["submissions"]
    assert key(3, Step.TAG, tag).isascii()


def test_hd_analysis_is_plt_and_propagates_to_grouping_and_export(hook: MoodysHook, sim: RunningSimulator) -> None:
    run_cycle_until(hook, BatchType.ANALYSIS)
    hd = {**cycle_configs(BatchType.ANALYSIS)[0], "Analysis Name": "USWF_HD", "Analysis Profile": "HD USWF v2"}
    hd.pop("Event Rate")
    run_batch(hook, BatchType.ANALYSIS, [hd, cycle_configs(BatchType.ANALYSIS)[0]], first_job_id=1)
    assert analysis_names(sim)["USWF_HD"]["analysisFramework"] == "PLT"
    grouping = {**cycle_configs(BatchType.GROUPING)[0], "items": ["USWF_HD", ANALYSIS]}
    grouping["analysis_edm_map"] = {"USWF_HD": EDM, ANALYSIS: EDM}
    (group,) = run_batch(hook, BatchType.GROUPING, [grouping], first_job_id=10)
    settings = group.request["http_request_body"]["settings"]
    assert settings["simulateToPLT"] is True
    plt_row, elt_row = settings["regionPerilSimulationSet"]
    assert (plt_row["perilCode"], plt_row["modelRegionCode"], plt_row["eventRateSchemeId"]) == ("FR", "NAWF", 0)
    assert (plt_row["simulationPeriods"], plt_row["simulationSetId"]) == (50000, PET_IDS["NAWF"])
    assert (elt_row["perilCode"], elt_row["modelRegionCode"]) == ("FL", "NAFL")
    assert elt_row["eventRateSchemeId"] > 0
    assert (elt_row["simulationPeriods"], elt_row["simulationSetId"]) == (50000, SIMULATION_SET_IDS["NAFL"])
    assert analysis_names(sim)[GROUP]["analysisFramework"] == "PLT"
    export = {**cycle_configs(BatchType.EXPORT_TO_RDM)[0], "analysis_names": ["USWF_HD"]}
    (exported,) = run_batch(hook, BatchType.EXPORT_TO_RDM, [export], first_job_id=20)
    assert exported.request["http_request_body"]["settings"]["exportHdLossesAs"] == "PLT"


def test_dlm_analysis_without_event_rate_is_refused(hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.ANALYSIS)
    config = dict(cycle_configs(BatchType.ANALYSIS)[0])
    config.pop("Event Rate")
    with pytest.raises(JobError, match="needs an Event Rate"):
        hook.submit_job(BatchType.ANALYSIS, 1, spec(BatchType.ANALYSIS, config), installation_id=INSTALLATION)


def test_export_append_without_database_id_finds_the_seed_rdm(hook: MoodysHook, sim: RunningSimulator) -> None:
    run_cycle_until(hook, BatchType.EXPORT_TO_RDM)
    seed, append = cycle_configs(BatchType.EXPORT_TO_RDM)
    with pytest.raises(MoodysLookupError, match="found 0"):
        hook.submit_job(BatchType.EXPORT_TO_RDM, 1, spec(BatchType.EXPORT_TO_RDM, append), installation_id=INSTALLATION)
    run_batch(hook, BatchType.EXPORT_TO_RDM, [seed], first_job_id=2)
    result = hook.submit_job(
        BatchType.EXPORT_TO_RDM, 3, spec(BatchType.EXPORT_TO_RDM, append), installation_id=INSTALLATION
    )
    assert result.request["http_request_body"]["settings"]["databaseId"] == hook.rdm_database(RDM)[0]
    assert poll_to_terminal(hook, BatchType.EXPORT_TO_RDM, result.workflow_id)[-1] is JobStatus.FINISHED
    check_export(sim)


def test_grouping_lists_regions_when_event_rate_schemes_conflict(hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.ANALYSIS)
    first, second = cycle_configs(BatchType.ANALYSIS)
    second = {**second, "Event Rate": "RMS 2023 Historical Event Rates"}
    run_batch(hook, BatchType.ANALYSIS, [first, second], first_job_id=1)
    (group,) = run_batch(hook, BatchType.GROUPING, cycle_configs(BatchType.GROUPING), first_job_id=10)
    settings = group.request["http_request_body"]["settings"]
    assert settings["simulateToPLT"] is False
    rows = settings["regionPerilSimulationSet"]
    assert len({row["eventRateSchemeId"] for row in rows}) == 2
    assert {(row["simulationSetId"], row["simulationPeriods"]) for row in rows} == {(0, 0)}


def test_elt_only_grouping_sends_no_simulation_set(hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.GROUPING)
    (group,) = run_batch(hook, BatchType.GROUPING, cycle_configs(BatchType.GROUPING), first_job_id=10)
    assert group.request["http_request_body"]["settings"]["regionPerilSimulationSet"] == []


def test_mri_import_without_a_data_directory_is_a_job_error(hook: MoodysHook) -> None:
    hook.data_directory = None
    with pytest.raises(JobError, match="cannot locate the import files"):
        hook.submit_job(
            BatchType.MRI_IMPORT,
            1,
            spec(BatchType.MRI_IMPORT, cycle_configs(BatchType.MRI_IMPORT)[0]),
            installation_id=INSTALLATION,
        )
