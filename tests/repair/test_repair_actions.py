"""``irp.repair`` against a real store (and the simulator for cancellations): what each repair
changes, what it records, and that a refused repair changes nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from irp import batch as batches
from irp import job as jobs
from irp.configuration import load_configuration
from irp.constants import BatchStatus, BatchType, CycleStatus, JobStatus
from irp.cycle import read_cycle
from irp.exceptions import ConfigurationError
from irp.repair import RepairRefused, repair, repair_log
from irp.repair_request import RepairAction, RepairOrigin, RepairRequest, Requester
from moodys_simulator.testing import RunningSimulator
from tests.repair.conftest import LoadedCycle, edited_workbook

ANALYST = Requester("ana", RepairOrigin.CLI)


def request(action: RepairAction, reason: str = "fixed upstream", **target: object) -> RepairRequest:
    return RepairRequest(action, reason, ANALYST, **target)  # type: ignore[arg-type]


def refusal(loaded: LoadedCycle, req: RepairRequest) -> list[tuple[str, str]]:
    """The findings of a refused repair, after checking it wrote nothing."""
    before = loaded.snapshot()
    with pytest.raises(RepairRefused) as refused:
        repair(req, store=loaded.store)
    assert loaded.snapshot() == before
    assert str(refused.value).startswith("Repair refused, nothing was changed:")
    return [(error.field, error.message) for error in refused.value.errors]


# -- resubmit with changes ------------------------------------------------------------------------------
def test_resubmit_with_changes_links_a_new_configuration_and_prepares_a_new_job(loaded: LoadedCycle) -> None:
    failed = loaded.job(BatchType.ANALYSIS, 1)
    jobs.update_job_status(failed.id, JobStatus.FAILED, store=loaded.store)
    before = loaded.data(failed.id)

    outcome = repair(
        request(RepairAction.RESUBMIT_WITH_CHANGES, "Event rate set wrong in the workbook",
                job_id=failed.id, parameters={"Event Rate": "RMS 2025 Stochastic Event Rates"}),
        store=loaded.store,
    )  # fmt: skip

    new_job = jobs.read_job(outcome.new_job_id, store=loaded.store)
    assert (new_job.status, new_job.skipped, new_job.parent_job_id) == (JobStatus.INITIATED, False, failed.id)
    assert loaded.data(new_job.id) == {**before, "Event Rate": "RMS 2025 Stochastic Event Rates"}
    old_config = jobs.get_job_config(failed.id, store=loaded.store)
    new_config = jobs.get_job_config(new_job.id, store=loaded.store)
    assert (old_config.skipped, old_config.skipped_reason_txt) == (True, "Event rate set wrong in the workbook")
    assert old_config.override_job_configuration_id == new_config.id
    assert new_config.parent_job_configuration_id == old_config.id
    original = jobs.read_job(failed.id, store=loaded.store)
    assert (original.skipped, original.status) == (True, JobStatus.FAILED)
    assert jobs.latest_job(failed.id, store=loaded.store).id == new_job.id  # what a cleared task finds
    (record,) = repair_log(job_id=failed.id, store=loaded.store)
    assert (record.id, record.action, record.requested_by, record.origin) == (
        outcome.repair_id, RepairAction.RESUBMIT_WITH_CHANGES, "ana", RepairOrigin.CLI,
    )  # fmt: skip
    assert (record.new_job_id, record.job_configuration_id, record.new_job_configuration_id) == (
        new_job.id, old_config.id, new_config.id,
    )  # fmt: skip
    assert record.reason == "Event rate set wrong in the workbook"
    assert record.parameters == {"Event Rate": "RMS 2025 Stochastic Event Rates"}
    assert repair_log(job_id=new_job.id, store=loaded.store) == [record]  # the job a repair created shows it too


def test_a_second_override_starts_from_the_first_one(loaded: LoadedCycle) -> None:
    job = loaded.job(BatchType.ANALYSIS)
    jobs.update_job_status(job.id, JobStatus.FAILED, store=loaded.store)
    first = repair(request(RepairAction.RESUBMIT_WITH_CHANGES, job_id=job.id, parameters={"Tag 2": "retry"}),
                   store=loaded.store)  # fmt: skip
    jobs.update_job_status(first.new_job_id, JobStatus.FAILED, store=loaded.store)

    second = repair(request(RepairAction.RESUBMIT_WITH_CHANGES, job_id=first.new_job_id,
                            parameters={"Tag 3": "again"}), store=loaded.store)  # fmt: skip

    data = loaded.data(second.new_job_id)
    assert (data["Tag 2"], data["Tag 3"]) == ("retry", "again")
    assert jobs.latest_job(job.id, store=loaded.store).id == second.new_job_id


def test_bad_parameters_are_refused_field_by_field(loaded: LoadedCycle) -> None:
    job = loaded.job(BatchType.ANALYSIS)
    jobs.update_job_status(job.id, JobStatus.FAILED, store=loaded.store)
    parameters = {"Analysis Profile": "DLM Nowhere v1", "Tag 1": None, "Colour": "red", "Output Profile": 3}

    findings = refusal(loaded, request(RepairAction.RESUBMIT_WITH_CHANGES, job_id=job.id, parameters=parameters))

    assert [field for field, _ in findings] == [
        "parameters.Colour", "parameters.Analysis Profile", "parameters.Output Profile", "parameters.Tag 1",
    ]  # fmt: skip
    messages = dict(findings)
    assert "not found in the Model Profiles list of Moody's Reference Data" in messages["parameters.Analysis Profile"]
    assert messages["parameters.Output Profile"] == "Output Profile must be text, found the number 3"
    assert messages["parameters.Tag 1"] == "Tag 1 is blank; every row needs a value"
    assert messages["parameters.Colour"].startswith("unknown field")


@pytest.mark.parametrize(
    ("batch_type", "parameters", "field", "expected"),
    [
        (BatchType.EDM_CREATION, {"Store in Data Bridge?": "yes"}, "parameters.Store in Data Bridge?",
         "does not match the required pattern [YN]"),
        (BatchType.CREATE_REINSURANCE_TREATIES, {"Expiration Date": "2025-06-30"}, "parameters.Expiration Date",
         "must be after Inception Date 2026-01-01"),
        (BatchType.DATA_EXTRACTION, {"accounts_import_file": "x.csv"}, "parameters.accounts_import_file",
         "is computed from the workbook"),
        (BatchType.GROUPING, {"items": ["GCHU_Coastal_LT", "Nowhere"]}, "parameters.items",
         "item 'Nowhere' of group '202606_GCHU_LT_Group' is not found"),
        (BatchType.EXPORT_TO_RDM, {"rdm_name": "Another_RDM"}, "parameters.rdm_name", "is derived from the workbook"),
        (BatchType.ANALYSIS, {"Metadata": {"Cycle Type": 5}}, "parameters.Metadata.Cycle Type",
         "expected string, found the number 5"),
    ],
)  # fmt: skip
def test_each_batch_type_checks_its_parameters_with_the_workbook_rules(
    loaded: LoadedCycle, batch_type: BatchType, parameters: dict, field: str, expected: str
) -> None:
    job = loaded.job(batch_type)
    if "Metadata" in parameters:
        parameters = {"Metadata": {**loaded.data(job.id)["Metadata"], **parameters["Metadata"]}}
    findings = refusal(loaded, request(RepairAction.RESUBMIT_WITH_CHANGES, job_id=job.id, parameters=parameters))
    assert [f for f, _ in findings] == [field]
    assert expected in findings[0][1]


def test_a_rename_that_breaks_other_rows_is_refused_naming_them(loaded: LoadedCycle) -> None:
    job = loaded.job(BatchType.ANALYSIS)
    findings = refusal(
        loaded, request(RepairAction.RESUBMIT_WITH_CHANGES, job_id=job.id, parameters={"Analysis Name": "Renamed"})
    )
    assert findings == [
        ("parameters", "Groupings!B2: item 'GCHU_Coastal_LT' of group '202606_GCHU_LT_Group' is not found: "
                       "it is neither a portfolio, an analysis nor a group defined above"),
        ("parameters", "Products and Perils!A2: Analysis Name 'GCHU_Coastal_LT' is not found in "
                       "Analysis Table.Analysis Name or Groupings.Group_Name"),
    ]  # fmt: skip


def test_computed_fields_follow_their_source(loaded: LoadedCycle) -> None:
    job = loaded.job(BatchType.DATA_EXTRACTION)
    outcome = repair(request(RepairAction.RESUBMIT_WITH_CHANGES, job_id=job.id,
                             parameters={"Import File": "GCHU_Inland"}), store=loaded.store)  # fmt: skip
    data = loaded.data(outcome.new_job_id)
    assert data["accounts_import_file"] == "Modeling_202606_Moodys_GCHU_Inland_Account.csv"
    assert data["locations_import_file"] == "Modeling_202606_Moodys_GCHU_Inland_Location.csv"


@pytest.mark.parametrize(
    ("setup", "parameters", "expected"),
    [
        ("running", {"Tag 2": "x"}, "job_id: job {id} is RUNNING in Moody's"),
        ("replaced", {"Tag 2": "x"}, "job_id: job {id} was replaced by job"),
        ("none", {"Event Rate": "RMS 2023 Historical Event Rates"}, "parameters: the parameters are unchanged"),
    ],
)
def test_resubmission_refusals(loaded: LoadedCycle, setup: str, parameters: dict, expected: str) -> None:
    job = loaded.job(BatchType.ANALYSIS)
    if setup == "running":
        with loaded.store.transaction() as cursor:
            cursor.execute("UPDATE irp_job SET moodys_workflow_id = '77', status = 'RUNNING' WHERE id = %s", (job.id,))
    if setup == "replaced":
        jobs.update_job_status(job.id, JobStatus.FAILED, store=loaded.store)
        jobs.resubmit_job(job.id, store=loaded.store)
    findings = refusal(loaded, request(RepairAction.RESUBMIT_WITH_CHANGES, job_id=job.id, parameters=parameters))
    field, message = findings[0]
    assert f"{field}: {message}".startswith(expected.format(id=job.id))


@pytest.mark.parametrize(
    ("req", "expected"),
    [
        (request(RepairAction.SKIP_JOB, "  ", job_id=1), ["reason: a reason is required: it is kept with the repair"]),
        (request(RepairAction.SKIP_JOB, job_id=None), ["job_id: Skip job needs job_id"]),
        (request(RepairAction.SKIP_JOB, job_id=1, batch_id=2),
         ["batch_id: is not used by Skip job; leave it empty"]),
        (request(RepairAction.RESUBMIT_WITH_CHANGES, job_id=1),
         ["parameters: the job's new parameters are required (a JSON object)"]),
        (request(RepairAction.CANCEL_BATCH, batch_id=1, parameters={"a": 1}),
         ["parameters: is not used by Cancel batch"]),
        (request(RepairAction.SKIP_JOB, job_id=999_999), ["job_id: Job with id 999999 not found"]),
        (request(RepairAction.ARCHIVE_CYCLE, cycle="nope"), ["cycle: Cycle 'nope' not found"]),
    ],
)  # fmt: skip
def test_incomplete_requests_are_refused(loaded: LoadedCycle, req: RepairRequest, expected: list[str]) -> None:
    assert [f"{field}: {message}" for field, message in refusal(loaded, req)] == expected


# -- skip ---------------------------------------------------------------------------------------------------
def test_skip_job_skips_job_and_configuration_and_a_started_batch_completes_without_it(loaded: LoadedCycle) -> None:
    edm_jobs = loaded.jobs(BatchType.EDM_CREATION)
    batch_id = loaded.batch_ids[BatchType.EDM_CREATION]
    batches.activate_batch(batch_id, store=loaded.store)
    for job in edm_jobs[1:]:
        jobs.update_job_status(job.id, JobStatus.FINISHED, store=loaded.store)
    jobs.update_job_status(edm_jobs[0].id, JobStatus.FAILED, store=loaded.store)
    assert batches.recon_batch(batch_id, store=loaded.store).status is BatchStatus.FAILED

    outcome = repair(request(RepairAction.SKIP_JOB, "EDM built by hand", job_id=edm_jobs[0].id), store=loaded.store)

    assert outcome.batch_status is BatchStatus.COMPLETED
    job = jobs.read_job(edm_jobs[0].id, store=loaded.store)
    config = jobs.get_job_config(job.id, store=loaded.store)
    assert (job.skipped, job.status, config.skipped, config.skipped_reason_txt) == (
        True, JobStatus.FAILED, True, "EDM built by hand",
    )  # fmt: skip
    assert batches.read_batch(batch_id, store=loaded.store).status is BatchStatus.COMPLETED
    (record,) = repair_log(batch_id=batch_id, store=loaded.store)
    assert (record.action, record.job_id) == (RepairAction.SKIP_JOB, job.id)
    assert record.outcome["batch_status"] == "COMPLETED"


def test_skipping_a_job_of_a_batch_not_started_leaves_the_batch_to_its_run(loaded: LoadedCycle) -> None:
    job = loaded.job(BatchType.GROUPING)
    outcome = repair(request(RepairAction.SKIP_JOB, job_id=job.id), store=loaded.store)
    assert outcome.batch_status is None
    assert batches.read_batch(job.batch_id, store=loaded.store).status is BatchStatus.INITIATED
    assert jobs.read_job(job.id, store=loaded.store).skipped


def test_a_running_or_skipped_job_cannot_be_skipped(loaded: LoadedCycle) -> None:
    job = loaded.job(BatchType.EDM_CREATION)
    with loaded.store.transaction() as cursor:
        cursor.execute("UPDATE irp_job SET moodys_workflow_id = '5', status = 'QUEUED' WHERE id = %s", (job.id,))
    assert refusal(loaded, request(RepairAction.SKIP_JOB, job_id=job.id)) == [
        ("job_id", f"job {job.id} is QUEUED in Moody's (workflow 5); cancel it first (cancel_job)")
    ]
    other = loaded.job(BatchType.EDM_CREATION, 1)
    jobs.skip_job(other.id, store=loaded.store)
    assert refusal(loaded, request(RepairAction.SKIP_JOB, job_id=other.id)) == [
        ("job_id", f"job {other.id} is skipped")
    ]


# -- cancel -------------------------------------------------------------------------------------------------
def submit_stalled(loaded: LoadedCycle, moodys: RunningSimulator) -> list[int]:
    """Submit the EDM Creation jobs to Moody's, where they stay RUNNING until cancelled."""
    from irp.repair import default_backend

    moodys.admin.job_outcome(kind="riskdata", nameRegex=".*", outcome="STALL")
    batch_id = loaded.batch_ids[BatchType.EDM_CREATION]
    batches.activate_batch(batch_id, store=loaded.store)
    backend = default_backend(BatchType.EDM_CREATION, loaded.name)
    ids = [job.id for job in loaded.jobs(BatchType.EDM_CREATION)]
    for job_id in ids:
        jobs.submit_job(job_id, backend, store=loaded.store)
        for _ in range(3):
            jobs.track_job_status(job_id, backend, store=loaded.store)
    assert {jobs.read_job(i, store=loaded.store).status for i in ids} == {JobStatus.RUNNING}
    return ids


def moodys_status(moodys: RunningSimulator, workflow_id: str) -> str:
    (job,) = [job for job in moodys.admin.state()["jobs"] if str(job["jobId"]) == workflow_id]
    return job["status"]


def test_cancel_job_cancels_it_in_moodys_and_in_the_store(loaded: LoadedCycle, moodys: RunningSimulator) -> None:
    first, *others = submit_stalled(loaded, moodys)

    outcome = repair(request(RepairAction.CANCEL_JOB, "wrong EDM", job_id=first), store=loaded.store)

    job = jobs.read_job(first, store=loaded.store)
    assert job.status is JobStatus.CANCELLED
    assert moodys_status(moodys, job.moodys_workflow_id or "") == "CANCELLED"
    assert outcome.job_statuses == {first: "CANCELLED"}
    assert outcome.batch_status is BatchStatus.ACTIVE  # the others still run
    assert {jobs.read_job(i, store=loaded.store).status for i in others} == {JobStatus.RUNNING}
    assert [r.action for r in repair_log(job_id=first, store=loaded.store)] == [RepairAction.CANCEL_JOB]


def test_cancel_batch_cancels_every_unfinished_job_and_recon_says_cancelled(
    loaded: LoadedCycle, moodys: RunningSimulator
) -> None:
    ids = submit_stalled(loaded, moodys)
    batch_id = loaded.batch_ids[BatchType.EDM_CREATION]

    outcome = repair(request(RepairAction.CANCEL_BATCH, "stop the quarter", batch_id=batch_id), store=loaded.store)

    assert outcome.job_statuses == dict.fromkeys(ids, "CANCELLED")
    assert outcome.batch_status is BatchStatus.CANCELLED
    assert batches.read_batch(batch_id, store=loaded.store).status is BatchStatus.CANCELLED
    for job_id in ids:
        assert moodys_status(moodys, jobs.read_job(job_id, store=loaded.store).moodys_workflow_id or "") == "CANCELLED"
    (record,) = repair_log(batch_id=batch_id, store=loaded.store)
    assert record.outcome["job_statuses"] == {str(i): "CANCELLED" for i in ids}
    findings = refusal(loaded, request(RepairAction.CANCEL_BATCH, batch_id=batch_id))
    assert findings == [("batch_id", f"batch {batch_id} has nothing to cancel (jobs: CANCELLED)")]


def test_cancelling_a_batch_not_started_cancels_its_jobs_in_the_store_only(
    loaded: LoadedCycle, moodys: RunningSimulator
) -> None:
    batch_id = loaded.batch_ids[BatchType.GEOHAZ]
    outcome = repair(request(RepairAction.CANCEL_BATCH, batch_id=batch_id), store=loaded.store)
    assert set(outcome.job_statuses.values()) == {"CANCELLED"}
    assert outcome.batch_status is BatchStatus.CANCELLED
    assert moodys.admin.state()["jobs"] == []
    job = loaded.job(BatchType.GEOHAZ)
    with pytest.raises(jobs.JobError, match="was cancelled before it was submitted"):
        jobs.submit_job(job.id, object(), store=loaded.store)  # type: ignore[arg-type]


def test_a_job_not_running_cannot_be_cancelled(loaded: LoadedCycle) -> None:
    job = loaded.job(BatchType.EDM_CREATION)
    assert refusal(loaded, request(RepairAction.CANCEL_JOB, job_id=job.id)) == [
        ("job_id", f"job {job.id} is INITIATED: nothing to cancel (it was never submitted, so nothing runs in "
                   "Moody's; skip it instead)"),
    ]  # fmt: skip


# -- archive -------------------------------------------------------------------------------------------------
def test_archive_cycle_lets_an_edited_workbook_start_a_new_cycle(loaded: LoadedCycle, tmp_path: Path) -> None:
    edited = edited_workbook(tmp_path, "Metadata", "B12", "Annual")
    with pytest.raises(ConfigurationError, match="archive the cycle") as refused:
        load_configuration(loaded.name, edited, store=loaded.store)
    assert "irp_repair" in str(refused.value)

    outcome = repair(request(RepairAction.ARCHIVE_CYCLE, "workbook fixed", cycle=loaded.name), store=loaded.store)

    assert read_cycle(loaded.name, store=loaded.store).status is CycleStatus.ARCHIVED
    assert repair_log(cycle_name=loaded.name, store=loaded.store)[0].id == outcome.repair_id
    with pytest.raises(ConfigurationError, match="ARCHIVED"):
        load_configuration(loaded.name, edited, store=loaded.store)
    assert load_configuration(f"{loaded.name}-v2", edited, store=loaded.store).created
    assert refusal(loaded, request(RepairAction.ARCHIVE_CYCLE, cycle=loaded.name))[0][1].startswith(
        f"cycle {loaded.name!r} is already ARCHIVED"
    )


def test_a_cycle_with_jobs_running_in_moodys_is_not_archived(loaded: LoadedCycle, moodys: RunningSimulator) -> None:
    submit_stalled(loaded, moodys)
    batch_id = loaded.batch_ids[BatchType.EDM_CREATION]
    assert refusal(loaded, request(RepairAction.ARCHIVE_CYCLE, cycle=loaded.name)) == [
        ("cycle", f"jobs of cycle {loaded.name!r} are still running in Moody's (EDM Creation batch {batch_id}: "
                  "3 job(s)); cancel those batches first (cancel_batch)"),
    ]  # fmt: skip


def test_a_cancellation_moodys_has_not_confirmed_is_reported(loaded: LoadedCycle, moodys: RunningSimulator) -> None:
    (first, *_) = submit_stalled(loaded, moodys)
    outcome = repair(request(RepairAction.CANCEL_JOB, job_id=first), cancel_wait=timedelta(0), store=loaded.store)
    assert outcome.job_statuses[first] in ("CANCEL_REQUESTED", "CANCELLING")
    assert any("has not confirmed every cancellation" in message for message in outcome.messages)
