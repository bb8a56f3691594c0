"""Entity validation (batch_job.md §7) for every batch type, in the exists and the missing case,
plus the "does the created entity still exist" check and the deletes of analyses and groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from irp.constants import BatchType
from irp.moodys.errors import MoodysUnavailableError
from irp.moodys.hook import MoodysHook
from moodys.cycle import (
    ANALYSIS,
    CONFIGURATION,
    CYCLE_TYPES,
    EDM,
    GROUP,
    PORTFOLIO,
    RDM,
    SUB_PORTFOLIO,
    cycle_configs,
    run_batch,
    run_cycle_until,
)
from moodys_simulator.testing import RunningSimulator
from tests.support.specs import spec, specs

NOTHING = None  # run no batch type before validating


@dataclass(frozen=True)
class Case:
    """Validate ``batch_type`` after running the cycle up to (excluding) ``after``."""

    id: str
    batch_type: BatchType
    after: BatchType | None
    expected: frozenset[str]
    configs: list[dict[str, Any]] = field(default_factory=list)

    def job_configs(self) -> list[dict[str, Any]]:
        return self.configs or cycle_configs(self.batch_type)


def next_type(batch_type: BatchType) -> BatchType | None:
    """The batch type after ``batch_type`` in the cycle (running up to it runs ``batch_type``)."""
    index = CYCLE_TYPES.index(batch_type)
    return CYCLE_TYPES[index + 1] if index + 1 < len(CYCLE_TYPES) else None


def codes(*names: str) -> frozenset[str]:
    return frozenset(names)


MAPPING_CONFIG = [{"Metadata": CONFIGURATION["Metadata"], **CONFIGURATION["Portfolios"][0]}]
BAD_REFERENCE = [
    {
        **cycle_configs(BatchType.ANALYSIS)[0],
        "Analysis Name": "other",
        "Analysis Profile": "No such profile",
        "Output Profile": "No such output",
    },
    {**cycle_configs(BatchType.ANALYSIS)[0], "Analysis Name": "other2", "Event Rate": "No such rates"},
]

CASES = [
    Case("edm-missing-ok", BatchType.EDM_CREATION, BatchType.EDM_CREATION, codes()),
    Case("edm-exists", BatchType.EDM_CREATION, BatchType.PORTFOLIO_CREATION, codes("ENT-EDM-001")),
    Case("portfolio-edm-missing", BatchType.PORTFOLIO_CREATION, BatchType.EDM_CREATION, codes("ENT-EDM-002")),
    Case("portfolio-ok", BatchType.PORTFOLIO_CREATION, BatchType.PORTFOLIO_CREATION, codes()),
    Case("portfolio-exists", BatchType.PORTFOLIO_CREATION, BatchType.MRI_IMPORT, codes("ENT-PORT-001")),
    Case("mri-portfolio-missing", BatchType.MRI_IMPORT, BatchType.PORTFOLIO_CREATION, codes("ENT-PORT-002")),
    Case("mri-ok", BatchType.MRI_IMPORT, BatchType.MRI_IMPORT, codes()),
    Case("mri-accounts-exist", BatchType.MRI_IMPORT, BatchType.CREATE_REINSURANCE_TREATIES, codes("ENT-ACCT-001")),
    Case(
        "mri-files-missing",
        BatchType.MRI_IMPORT,
        BatchType.MRI_IMPORT,
        codes("ENT-FILE-001"),
        [{**cycle_configs(BatchType.MRI_IMPORT)[0], "accounts_import_file": "absent.csv"}],
    ),
    Case("treaty-edm-missing", BatchType.CREATE_REINSURANCE_TREATIES, BatchType.EDM_CREATION, codes("ENT-EDM-002")),
    Case(
        "treaty-no-cedant", BatchType.CREATE_REINSURANCE_TREATIES, BatchType.PORTFOLIO_CREATION, codes("ENT-CEDANT-001")
    ),
    Case("treaty-ok", BatchType.CREATE_REINSURANCE_TREATIES, BatchType.CREATE_REINSURANCE_TREATIES, codes()),
    Case("treaty-exists", BatchType.CREATE_REINSURANCE_TREATIES, BatchType.EDM_DB_UPGRADE, codes("ENT-TREATY-001")),
    Case("upgrade-edm-missing", BatchType.EDM_DB_UPGRADE, BatchType.EDM_CREATION, codes("ENT-EDM-002")),
    Case("upgrade-ok", BatchType.EDM_DB_UPGRADE, BatchType.PORTFOLIO_CREATION, codes()),
    Case("geohaz-portfolio-missing", BatchType.GEOHAZ, BatchType.PORTFOLIO_CREATION, codes("ENT-PORT-002")),
    Case("geohaz-no-locations", BatchType.GEOHAZ, BatchType.MRI_IMPORT, codes("ENT-LOC-001")),
    Case("geohaz-ok", BatchType.GEOHAZ, BatchType.GEOHAZ, codes()),
    Case(
        "mapping-no-accounts", BatchType.PORTFOLIO_MAPPING, BatchType.MRI_IMPORT, codes("ENT-ACCT-002"), MAPPING_CONFIG
    ),
    Case("mapping-ok", BatchType.PORTFOLIO_MAPPING, BatchType.CREATE_REINSURANCE_TREATIES, codes(), MAPPING_CONFIG),
    Case("analysis-treaty-missing", BatchType.ANALYSIS, BatchType.CREATE_REINSURANCE_TREATIES, codes("ENT-TREATY-002")),
    Case("analysis-ok", BatchType.ANALYSIS, BatchType.ANALYSIS, codes()),
    Case("analysis-exists", BatchType.ANALYSIS, BatchType.GROUPING, codes("ENT-ANALYSIS-001")),
    Case(
        "analysis-reference-missing",
        BatchType.ANALYSIS,
        BatchType.ANALYSIS,
        codes("API-REF-001", "API-REF-002", "API-REF-003"),
        BAD_REFERENCE,
    ),
    Case("grouping-members-missing", BatchType.GROUPING, BatchType.ANALYSIS, codes("WARN-ANALYSIS-001")),
    Case("grouping-ok", BatchType.GROUPING, BatchType.GROUPING, codes()),
    Case("grouping-exists", BatchType.GROUPING, BatchType.GROUPING_ROLLUP, codes("ENT-GROUP-001")),
    Case("rollup-child-missing", BatchType.GROUPING_ROLLUP, BatchType.GROUPING, codes("WARN-GROUP-001")),
    Case("rollup-ok", BatchType.GROUPING_ROLLUP, BatchType.GROUPING_ROLLUP, codes()),
    Case("rollup-exists", BatchType.GROUPING_ROLLUP, BatchType.EXPORT_TO_RDM, codes("ENT-GROUP-001")),
    Case(
        "export-all-missing",
        BatchType.EXPORT_TO_RDM,
        BatchType.ANALYSIS,
        codes("WARN-ANALYSIS-001", "WARN-GROUP-001", "ENT-RDM-002"),
    ),
    Case("export-ok", BatchType.EXPORT_TO_RDM, BatchType.EXPORT_TO_RDM, codes()),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_entity_rules(hook: MoodysHook, case: Case) -> None:
    if case.after is not None:
        run_cycle_until(hook, case.after)
    messages = hook.validate_entities(case.batch_type, specs(case.batch_type, case.job_configs(), CONFIGURATION))
    assert {message.code for message in messages} == case.expected, [str(m) for m in messages]


def test_every_moodys_batch_type_has_an_exists_and_a_missing_case() -> None:
    covered = {case.batch_type for case in CASES}
    assert covered == {*CYCLE_TYPES, BatchType.PORTFOLIO_MAPPING}
    for batch_type in covered:
        outcomes = {bool(case.expected) for case in CASES if case.batch_type is batch_type}
        assert outcomes == {True, False}, batch_type


def test_export_rdm_exists(hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.EXPORT_TO_RDM)
    run_batch(hook, BatchType.EXPORT_TO_RDM, cycle_configs(BatchType.EXPORT_TO_RDM)[:1], first_job_id=1)
    messages = hook.validate_entities(
        BatchType.EXPORT_TO_RDM, specs(BatchType.EXPORT_TO_RDM, cycle_configs(BatchType.EXPORT_TO_RDM), CONFIGURATION)
    )
    (message,) = messages
    assert message.code == "ENT-RDM-001"
    assert message.entities[0].startswith("RM_RDM_202511_QEM_USAP_")


def test_messages_list_the_offending_entities(hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.MRI_IMPORT)
    (message,) = hook.validate_entities(
        BatchType.PORTFOLIO_CREATION,
        specs(BatchType.PORTFOLIO_CREATION, cycle_configs(BatchType.PORTFOLIO_CREATION), CONFIGURATION),
    )
    assert message.blocking
    assert str(message) == f"ENT-PORT-001: Portfolios already exist:\n  - {EDM}/{PORTFOLIO}"


def test_portfolio_creation_checks_only_pending_portfolios(hook: MoodysHook) -> None:
    """BUG-9: sub-portfolios of the sheet (created later by mapping) do not block a re-run."""
    run_cycle_until(hook, BatchType.PORTFOLIO_CREATION)
    sub = {**cycle_configs(BatchType.PORTFOLIO_CREATION)[0], "Portfolio": SUB_PORTFOLIO}
    run_batch(hook, BatchType.PORTFOLIO_CREATION, [sub], first_job_id=1)
    assert (
        hook.validate_entities(
            BatchType.PORTFOLIO_CREATION,
            specs(BatchType.PORTFOLIO_CREATION, cycle_configs(BatchType.PORTFOLIO_CREATION), CONFIGURATION),
        )
        == []
    )


def test_portfolio_mapping_sub_portfolios_must_not_exist(hook: MoodysHook) -> None:
    """BUG-10: the sub-portfolios are derived from the configuration."""
    run_cycle_until(hook, BatchType.CREATE_REINSURANCE_TREATIES)
    sub = {**cycle_configs(BatchType.PORTFOLIO_CREATION)[0], "Portfolio": SUB_PORTFOLIO}
    run_batch(hook, BatchType.PORTFOLIO_CREATION, [sub], first_job_id=1)
    (message,) = hook.validate_entities(
        BatchType.PORTFOLIO_MAPPING, specs(BatchType.PORTFOLIO_MAPPING, MAPPING_CONFIG, CONFIGURATION)
    )
    assert (message.code, message.entities) == ("ENT-PORT-001", (f"{EDM}/{SUB_PORTFOLIO}",))


def test_unresolvable_data_directory_fails_the_file_check(
    sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch, hook: MoodysHook
) -> None:
    """BUG-33: no directory to look in is an error, not a silent pass."""
    run_cycle_until(hook, BatchType.MRI_IMPORT)
    hook.data_directory = None
    messages = hook.validate_entities(
        BatchType.MRI_IMPORT, specs(BatchType.MRI_IMPORT, cycle_configs(BatchType.MRI_IMPORT), CONFIGURATION)
    )
    assert {message.code for message in messages} == {"ENT-FILE-001"}


@pytest.mark.parametrize("status", [429, 503])
def test_an_outage_raises_never_a_message(hook: MoodysHook, sim: RunningSimulator, status: int) -> None:
    """Rate limiting or an outage longer than the client's retries is no answer: it raises (the task
    retries) instead of failing validation with ENT-API-001, and is never reported as 'missing'."""
    run_cycle_until(hook, BatchType.PORTFOLIO_CREATION)
    sim.admin.fault(method="GET", pathRegex="^/platform/riskdata/v1/exposures$", status=status, times=100, retryAfter=0)
    with pytest.raises(MoodysUnavailableError, match=f"HTTP {status}"):
        hook.validate_entities(
            BatchType.EDM_DB_UPGRADE,
            specs(BatchType.EDM_DB_UPGRADE, cycle_configs(BatchType.EDM_DB_UPGRADE), CONFIGURATION),
        )


def test_a_reference_data_outage_raises_never_a_message(hook: MoodysHook, sim: RunningSimulator) -> None:
    run_cycle_until(hook, BatchType.ANALYSIS)
    sim.admin.fault(method="GET", pathRegex="modelprofiles", status=429, times=100, retryAfter=0)
    with pytest.raises(MoodysUnavailableError, match="HTTP 429"):
        hook.validate_entities(
            BatchType.ANALYSIS, specs(BatchType.ANALYSIS, cycle_configs(BatchType.ANALYSIS), CONFIGURATION)
        )


def test_an_api_refusal_is_still_a_message(hook: MoodysHook, sim: RunningSimulator) -> None:
    """An answer that retrying cannot change (here 403) stays a validation message, never 'missing'."""
    run_cycle_until(hook, BatchType.PORTFOLIO_CREATION)
    sim.admin.fault(method="GET", pathRegex="^/platform/riskdata/v1/exposures$", status=403, times=100)
    messages = hook.validate_entities(
        BatchType.EDM_DB_UPGRADE,
        specs(BatchType.EDM_DB_UPGRADE, cycle_configs(BatchType.EDM_DB_UPGRADE), CONFIGURATION),
    )
    assert [message.code for message in messages] == ["ENT-API-001"]
    assert "HTTP 403" in messages[0].description


def test_a_same_named_analysis_is_not_an_existing_group(hook: MoodysHook) -> None:
    """BUG-39: group existence filters on engineType = "Group"."""
    run_cycle_until(hook, BatchType.GROUPING)
    config = {**cycle_configs(BatchType.GROUPING)[0], "Group_Name": ANALYSIS}
    messages = hook.validate_entities(BatchType.GROUPING, specs(BatchType.GROUPING, [config], CONFIGURATION))
    assert messages == []


# -- entity_exists ----------------------------------------------------------------------------------
ENTITY_TYPES = [*CYCLE_TYPES, BatchType.PORTFOLIO_MAPPING]


def entity_config(batch_type: BatchType) -> dict[str, Any]:
    return MAPPING_CONFIG[0] if batch_type is BatchType.PORTFOLIO_MAPPING else cycle_configs(batch_type)[0]


@pytest.mark.parametrize("batch_type", ENTITY_TYPES, ids=lambda batch_type: batch_type.slug)
def test_entity_exists_after_the_cycle_and_not_before(hook: MoodysHook, batch_type: BatchType) -> None:
    config = entity_config(batch_type)
    assert hook.entity_exists(batch_type, spec(batch_type, config, CONFIGURATION)) is False
    if batch_type is BatchType.PORTFOLIO_MAPPING:
        run_cycle_until(hook, BatchType.GEOHAZ)
        assert hook.entity_exists(batch_type, spec(batch_type, config, CONFIGURATION)) is False
        sub = {**cycle_configs(BatchType.PORTFOLIO_CREATION)[0], "Portfolio": SUB_PORTFOLIO}
        run_batch(hook, BatchType.PORTFOLIO_CREATION, [sub], first_job_id=1)
    elif batch_type is BatchType.EXPORT_TO_RDM:
        run_cycle_until(hook, batch_type)
        run_batch(hook, batch_type, cycle_configs(batch_type), first_job_id=1)
    else:
        run_cycle_until(hook, next_type(batch_type) or BatchType.EXPORT_TO_RDM)
    assert hook.entity_exists(batch_type, spec(batch_type, config, CONFIGURATION)) is True


def test_entity_exists_raises_on_an_outage(hook: MoodysHook, sim: RunningSimulator) -> None:
    """BUG-11: an outage must not look like a missing entity."""
    sim.admin.fault(method="GET", pathRegex="exposures$", status=500, times=100)
    with pytest.raises(MoodysUnavailableError):
        hook.entity_exists(
            BatchType.EDM_CREATION,
            spec(BatchType.EDM_CREATION, cycle_configs(BatchType.EDM_CREATION)[0], CONFIGURATION),
        )


def test_upgrade_entity_requires_the_target_version(hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.EDM_DB_UPGRADE)
    assert (
        hook.entity_exists(
            BatchType.EDM_DB_UPGRADE,
            spec(BatchType.EDM_DB_UPGRADE, cycle_configs(BatchType.EDM_DB_UPGRADE)[0], CONFIGURATION),
        )
        is False
    )


# -- deletes ------------------------------------------------------------------------------------------
def test_delete_analyses(hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.GROUPING)
    errors = hook.delete_analyses([(ANALYSIS, EDM), ("ghost", EDM), ("", EDM)])
    assert errors == [
        f"ghost ({EDM}): Analysis not found in Moody's",
        f"Invalid job info - missing analysis_name or edm: {('', EDM)}",
    ]
    assert hook.api.find_analyses([ANALYSIS], EDM) == []


def test_delete_groups_only_deletes_groups(hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.GROUPING_ROLLUP)
    assert hook.delete_groups([GROUP, ANALYSIS]) == [f"{ANALYSIS}: Group not found in Moody's"]
    assert hook.api.find_groups([GROUP]) == []
    assert [analysis.name for analysis in hook.api.find_analyses([ANALYSIS], EDM)] == [ANALYSIS]


def test_delete_raises_on_an_outage(hook: MoodysHook, sim: RunningSimulator) -> None:
    """An outage is retried by the task, not reported as a failed delete."""
    run_cycle_until(hook, BatchType.GROUPING_ROLLUP)
    sim.admin.fault(method="DELETE", pathRegex="analyses", status=500, times=100)
    with pytest.raises(MoodysUnavailableError, match="HTTP 500"):
        hook.delete_groups([GROUP])
    with pytest.raises(MoodysUnavailableError):
        hook.delete_analyses([(ANALYSIS, EDM)])


def test_delete_reports_a_refusal_per_item(hook: MoodysHook, sim: RunningSimulator) -> None:
    run_cycle_until(hook, BatchType.GROUPING_ROLLUP)
    sim.admin.fault(method="DELETE", pathRegex="analyses", status=403, times=100)
    (error,) = hook.delete_groups([GROUP])
    assert error.startswith(f"{GROUP}: Moody's API DELETE /platform/riskdata/v1/analyses/")
    assert "HTTP 403" in error


def test_simulated_portfolio_mapping_creates_checked_sub_portfolios(hook: MoodysHook, sim: RunningSimulator) -> None:
    run_cycle_until(hook, BatchType.GEOHAZ)
    database_name, portfolio_id = hook.portfolio_mapping_target(EDM, PORTFOLIO)
    assert database_name.startswith(f"{EDM}_")
    assert portfolio_id == 1
    mapped = sim.admin.map_portfolio(
        EDM, PORTFOLIO, [{"name": SUB_PORTFOLIO, "accountFilter": 'accountNumber = "A-1"'}]
    )
    assert mapped["portfolios"][0]["accounts"] == 1
    assert (
        hook.entity_exists(
            BatchType.PORTFOLIO_MAPPING, spec(BatchType.PORTFOLIO_MAPPING, MAPPING_CONFIG[0], CONFIGURATION)
        )
        is True
    )
    (message,) = hook.validate_entities(
        BatchType.PORTFOLIO_MAPPING, specs(BatchType.PORTFOLIO_MAPPING, MAPPING_CONFIG, CONFIGURATION)
    )
    assert message.code == "ENT-PORT-001"


def test_delete_rdms_waits_for_data_bridge(hook: MoodysHook, sim: RunningSimulator) -> None:
    run_cycle_until(hook, BatchType.EXPORT_TO_RDM)
    run_batch(hook, BatchType.EXPORT_TO_RDM, cycle_configs(BatchType.EXPORT_TO_RDM), first_job_id=1)
    hook.databridge_poll_seconds = 0.0
    assert hook.delete_rdms([RDM, "RM_RDM_ABSENT"]) == [
        "RM_RDM_ABSENT: expected 1 RDM database named 'RM_RDM_ABSENT*', found 0"
    ]
    assert [db for db in sim.admin.state()["databases"] if db["type"] == "RDM"] == []
    assert (
        hook.validate_entities(
            BatchType.EXPORT_TO_RDM,
            specs(BatchType.EXPORT_TO_RDM, cycle_configs(BatchType.EXPORT_TO_RDM), CONFIGURATION),
        )
        == []
    )
    assert (
        hook.entity_exists(
            BatchType.EXPORT_TO_RDM,
            spec(BatchType.EXPORT_TO_RDM, cycle_configs(BatchType.EXPORT_TO_RDM)[0], CONFIGURATION),
        )
        is False
    )


def test_delete_rdms_reports_a_failed_data_bridge_job(hook: MoodysHook, sim: RunningSimulator) -> None:
    run_cycle_until(hook, BatchType.EXPORT_TO_RDM)
    run_batch(hook, BatchType.EXPORT_TO_RDM, cycle_configs(BatchType.EXPORT_TO_RDM)[:1], first_job_id=1)
    sim.admin.job_outcome(kind="databridge", nameRegex=RDM, outcome="FAILED")
    hook.databridge_poll_seconds = 0.0
    (error,) = hook.delete_rdms([RDM])
    assert error.startswith(f"{RDM}: Data Bridge delete job ")
    assert error.endswith("ended 'Failed'")
