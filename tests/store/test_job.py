from __future__ import annotations

import pytest

from irp import batch as batches
from irp import job as jobs
from irp.constants import BatchStatus, JobStatus
from irp.exceptions import JobError
from irp.records import Job


def tracking(store, job_id):
    return [(row.job_status, row.tracking_data) for row in jobs.get_job_tracking(job_id, store=store)]


def give_workflow_id(store, job_id, workflow_id="23000001"):
    with store.transaction() as cursor:
        cursor.execute("UPDATE irp_job SET moodys_workflow_id = %s WHERE id = %s", (workflow_id, job_id))


def test_update_job_status_sets_timestamps_only_on_change(make_batch, store):
    _, (job_id,) = make_batch([JobStatus.INITIATED])
    assert jobs.update_job_status(job_id, JobStatus.RUNNING, store=store) is True
    job = jobs.read_job(job_id, store=store)
    assert job.status is JobStatus.RUNNING
    assert job.completed_ts is None
    assert job.last_tracked_ts is not None
    assert jobs.update_job_status(job_id, "RUNNING", store=store) is False
    assert jobs.update_job_status(job_id, JobStatus.FINISHED, store=store) is True
    assert jobs.read_job(job_id, store=store).completed_ts is not None


def test_update_job_status_writes_the_tracking_log(make_batch, store):
    """AS-31 / AS-32: every observation of a submitted job is logged, status mirrors Moody's."""
    _, (job_id,) = make_batch([JobStatus.INITIATED])
    give_workflow_id(store, job_id)
    sequence = [JobStatus.QUEUED, JobStatus.CANCEL_REQUESTED, JobStatus.CANCELLING, JobStatus.CANCELLED]
    for status in sequence:
        jobs.update_job_status(job_id, status, tracking_data={"status": status.value}, store=store)
        job = jobs.read_job(job_id, store=store)
        assert job.status is status
        assert (job.completed_ts is not None) == (status is JobStatus.CANCELLED)
    assert tracking(store, job_id) == [(s, {"status": s.value}) for s in sequence]
    log = jobs.get_job_tracking(job_id, store=store)
    assert {row.moodys_workflow_id for row in log} == {"23000001"}


def test_unsubmitted_job_writes_no_tracking_row(make_batch, store):
    _, (job_id,) = make_batch([JobStatus.INITIATED])
    jobs.update_job_status(job_id, JobStatus.ERROR, store=store)
    assert tracking(store, job_id) == []


@pytest.mark.parametrize("status", ["SUCCEEDED", "finished", "", None])
def test_update_job_status_rejects_unknown_literals(make_batch, store, status):
    """AS-33: an unknown literal changes nothing."""
    _, (job_id,) = make_batch([JobStatus.RUNNING])
    with pytest.raises(JobError, match="Invalid status"):
        jobs.update_job_status(job_id, status, store=store)
    assert jobs.read_job(job_id, store=store).status is JobStatus.RUNNING


@pytest.mark.parametrize(
    "call",
    [
        lambda s: jobs.read_job(-1, store=s),
        lambda s: jobs.skip_job(-1, store=s),
        lambda s: jobs.get_job_config(-1, store=s),
        lambda s: jobs.resubmit_job(-1, store=s),
        lambda s: jobs.update_job_status(-1, JobStatus.FAILED, store=s),
    ],
)
def test_invalid_job_id(store, call):
    """AS-38."""
    with pytest.raises(JobError, match="Invalid job_id: -1"):
        call(store)


def test_unknown_job(store):
    with pytest.raises(JobError, match="Job with id 777 not found"):
        jobs.read_job(777, store=store)
    with pytest.raises(JobError, match="Job with id 777 not found"):
        jobs.update_job_status(777, JobStatus.FAILED, store=store)


def test_skip_job_keeps_status_and_batch(make_batch, store):
    """AS-39."""
    batch_id, (job_id,) = make_batch([JobStatus.INITIATED])
    jobs.skip_job(job_id, store=store)
    job = jobs.read_job(job_id, store=store)
    assert job.skipped
    assert job.status is JobStatus.INITIATED
    assert batches.read_batch(batch_id, store=store).status is BatchStatus.INITIATED


def test_skip_job_configuration(make_batch, store):
    """AS-40 / AS-41."""
    _, (job_a, job_b) = make_batch([JobStatus.INITIATED, JobStatus.INITIATED])
    config_a = jobs.read_job(job_a, store=store).job_configuration_id
    config_b = jobs.read_job(job_b, store=store).job_configuration_id
    jobs.skip_job_configuration(config_a, "Manual skip", store=store)
    config = jobs.get_job_config(job_a, store=store)
    assert (config.skipped, config.skipped_reason_txt, config.override_job_configuration_id) == (
        True,
        "Manual skip",
        None,
    )
    jobs.skip_job_configuration(config_a, "Replaced", config_b, store=store)
    assert jobs.get_job_config(job_a, store=store).override_job_configuration_id == config_b
    with pytest.raises(JobError, match="skipped_reason_txt"):
        jobs.skip_job_configuration(config_a, "   ", store=store)
    with pytest.raises(JobError, match="Invalid job_configuration_id"):
        jobs.skip_job_configuration(-1, "x", store=store)
    with pytest.raises(JobError, match="Invalid override_job_configuration_id"):
        jobs.skip_job_configuration(config_a, "x", 0, store=store)
    with pytest.raises(JobError, match="not found"):
        jobs.skip_job_configuration(999999, "x", store=store)


def test_resubmit_without_override_reuses_the_configuration(make_batch, store):
    """AS-42 / AS-46."""
    batch_id, (j1,) = make_batch([JobStatus.FAILED])
    assert batches.recon_batch(batch_id, store=store).status is BatchStatus.FAILED
    j2 = jobs.resubmit_job(j1, store=store)
    original, child = jobs.read_job(j1, store=store), jobs.read_job(j2, store=store)
    assert original.skipped
    assert original.status is JobStatus.FAILED
    assert (child.parent_job_id, child.job_configuration_id, child.status) == (
        j1,
        original.job_configuration_id,
        JobStatus.INITIATED,
    )
    config = jobs.get_job_config(j1, store=store)
    assert not config.skipped
    assert config.skipped_reason_txt is None
    assert config.override_job_configuration_id is None
    batch = batches.read_batch(batch_id, store=store)
    assert batch.status is BatchStatus.ACTIVE
    assert batch.completed_ts is None


def test_resubmit_with_override_creates_a_linked_configuration(make_batch, store):
    """AS-43."""
    _, (j1,) = make_batch([JobStatus.FAILED])
    c1 = jobs.read_job(j1, store=store).job_configuration_id
    data = {"Database": "OverriddenDB", "new_param": 999}
    j2 = jobs.resubmit_job(
        j1, job_configuration_data=data, override_reason="User requested parameter change", store=store
    )
    new_config = jobs.get_job_config(j2, store=store)
    old_config = jobs.get_job_config(j1, store=store)
    assert new_config.job_configuration_data == data
    assert new_config.parent_job_configuration_id == c1
    assert not new_config.skipped
    assert old_config.skipped
    assert old_config.skipped_reason_txt == "User requested parameter change"
    assert old_config.override_job_configuration_id == new_config.id
    assert jobs.read_job(j2, store=store).parent_job_id == j1
    assert jobs.read_job(j1, store=store).skipped


def test_override_requires_a_reason_and_writes_nothing(make_batch, store):
    """AS-44."""
    batch_id, (j1,) = make_batch([JobStatus.FAILED])
    with pytest.raises(JobError, match="override_reason is required"):
        jobs.resubmit_job(j1, job_configuration_data={"new": "config"}, store=store)
    assert [j.id for j in batches.get_batch_jobs(batch_id, store=store)] == [j1]
    assert not jobs.read_job(j1, store=store).skipped


@pytest.mark.parametrize("override", [False, True])
def test_resubmission_chain_three_deep(make_batch, store, override):
    """AS-45: J1 -> J2 -> J3 -> J4; ancestors skipped, recon follows the newest job."""
    batch_id, (job_id,) = make_batch([JobStatus.FAILED])
    chain = [job_id]
    for depth in range(3):
        kwargs = {"job_configuration_data": {"Database": f"DB-{depth}"}, "override_reason": f"try {depth}"}
        chain.append(jobs.resubmit_job(chain[-1], store=store, **(kwargs if override else {})))
        jobs.update_job_status(chain[-1], JobStatus.FAILED, store=store)
    records = [jobs.read_job(j, store=store) for j in chain]
    assert [r.parent_job_id for r in records] == [None, *chain[:-1]]
    assert [r.skipped for r in records] == [True, True, True, False]
    configs = batches.get_batch_job_configurations(batch_id, store=store)
    if override:
        assert [c.parent_job_configuration_id for c in configs] == [None, *[c.id for c in configs[:-1]]]
        assert [c.skipped for c in configs] == [True, True, True, False]
    else:
        assert len(configs) == 1
        assert not configs[0].skipped
    assert batches.recon_batch(batch_id, store=store).status is BatchStatus.FAILED
    jobs.update_job_status(chain[-1], JobStatus.FINISHED, store=store)
    assert batches.recon_batch(batch_id, store=store).status is BatchStatus.COMPLETED


def test_a_job_is_replaced_at_most_once(make_batch, store):
    """BUG-20 fixed: neither the replaced job nor a skipped job can be resubmitted again."""
    batch_id, (j1, j2) = make_batch([JobStatus.FAILED, (JobStatus.FAILED, True)])
    child = jobs.resubmit_job(j1, store=store)
    with pytest.raises(JobError, match=f"already resubmitted as job {child}"):
        jobs.resubmit_job(j1, store=store)
    with pytest.raises(JobError, match="is skipped and cannot be resubmitted"):
        jobs.resubmit_job(j2, store=store)
    assert len(batches.get_batch_jobs(batch_id, store=store)) == 3


def test_resubmit_jobs_reports_each_outcome(make_batch, store):
    """AS-48 / AS-49."""
    _, (j1, j2) = make_batch([JobStatus.FAILED, JobStatus.FAILED])
    outcomes = jobs.resubmit_jobs([j1, 999999, j2], store=store)
    assert [o.old_job_id for o in outcomes] == [j1, 999999, j2]
    assert [o.new_job_id is not None for o in outcomes] == [True, False, True]
    assert "not found" in (outcomes[1].error or "")
    assert jobs.resubmit_jobs([], store=store) == []


def test_update_job_configuration_data_merges(make_batch, store):
    _, (job_id,) = make_batch([JobStatus.INITIATED])
    config_id = jobs.read_job(job_id, store=store).job_configuration_id
    jobs.update_job_configuration_data(config_id, {"database_id": 42}, store=store)
    assert jobs.get_job_config(job_id, store=store).job_configuration_data == {"Database": "DB0", "database_id": 42}
    with pytest.raises(JobError, match="not found"):
        jobs.update_job_configuration_data(999999, {}, store=store)


def test_read_jobs_keeps_order_and_names_missing(make_batch, store):
    _, ids = make_batch([JobStatus.INITIATED] * 3)
    assert [j.id for j in jobs.read_jobs(ids[::-1], store=store)] == ids[::-1]
    with pytest.raises(JobError, match=r"Jobs not found: \[999999\]"):
        jobs.read_jobs([ids[0], 999999], store=store)


def test_latest_job_follows_the_resubmission_chain(make_batch, store):
    _, (j1, other) = make_batch([JobStatus.FAILED, JobStatus.FINISHED])
    assert jobs.latest_job(j1, store=store).id == j1
    j2 = jobs.resubmit_job(j1, store=store)
    jobs.update_job_status(j2, JobStatus.FAILED, store=store)
    j3 = jobs.resubmit_job(j2, job_configuration_data={"x": 1}, override_reason="fix", store=store)
    assert jobs.latest_job(j1, store=store).id == j3
    assert jobs.latest_job(j2, store=store).id == j3
    assert jobs.latest_job(other, store=store).id == other
    with pytest.raises(JobError, match="not found"):
        jobs.latest_job(999999, store=store)


@pytest.mark.parametrize("value", ["DONE", "finished", None, ["FINISHED"]])
def test_job_record_refuses_an_unknown_status(value):
    """The status lookup that speeds up 10,000-job reads still refuses what JobStatus refuses."""
    fields = dict.fromkeys(Job.__dataclass_fields__)
    with pytest.raises(ValueError, match="is not a valid JobStatus"):
        Job(**{**fields, "status": value})
    assert Job(**{**fields, "status": "FINISHED"}).status is JobStatus.FINISHED
    assert Job(**{**fields, "status": JobStatus.QUEUED}).status is JobStatus.QUEUED
