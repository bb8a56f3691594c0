"""The store's Moody's side (submit_job, track_job_status, cancel_job, validate_batch)
through the real hook and the simulator over a socket."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from irp import batch as batches
from irp import job as jobs
from irp.constants import BatchType, JobStatus
from irp.exceptions import JobError
from moodys.cycle import EDM, METADATA
from tests.conftest import PG_DSN
from tests.store.conftest import insert_configuration

EDM_CREATION = BatchType.EDM_CREATION


@pytest.fixture
def edm_batch(store):
    def make(*names: str) -> tuple[int, list[int]]:
        config = insert_configuration(store)
        batch_id = batches.create_batch(
            EDM_CREATION, config, [{"Metadata": METADATA, "Database": name} for name in names], store=store
        )
        return batch_id, [j.id for j in batches.get_batch_jobs(batch_id, store=store)]

    return make


def moodys_jobs(sim) -> list[dict]:
    return [j for j in sim.admin.state()["jobs"] if j["kind"] == "riskdata"]


def test_submit_then_track_to_finished(store, hook, sim, edm_batch):
    """AS-10 / AS-23 / AS-30: one Moody's job, tracked to FINISHED, every poll logged."""
    _, (job_id,) = edm_batch(EDM)
    job = jobs.submit_job(job_id, hook, store=store)
    assert job.status is JobStatus.SUBMITTED
    assert job.moodys_workflow_id.isdigit()
    assert job.submission_request["configuration"]["Database"] == EDM
    assert jobs.submit_job(job_id, hook, store=store).moodys_workflow_id == job.moodys_workflow_id
    assert len(moodys_jobs(sim)) == 1  # the second call sent nothing
    seen = []
    while not seen or not seen[-1].terminal:
        seen.append(jobs.track_job_status(job_id, hook, store=store))
    assert seen[-1] is JobStatus.FINISHED
    final = jobs.read_job(job_id, store=store)
    assert final.completed_ts is not None
    log = jobs.get_job_tracking(job_id, store=store)
    assert [row.job_status for row in log][-len(seen) :] == seen
    assert log[-1].tracking_data["status"] == "FINISHED"


def test_failed_submission_is_error_then_retried(store, hook, sim, edm_batch):
    """AS-25 / AS-26: a refused submission leaves the job ERROR with its error; a later call submits."""
    _, (job_id,) = edm_batch(EDM)
    sim.admin.fault(method="POST", pathRegex="/exposuresets/[0-9]+/exposures$", status=400, times=1,
                    body={"code": "BAD", "message": "EDM name refused"})  # fmt: skip
    with pytest.raises(JobError, match=r"Job submission failed: .*EDM name refused"):
        jobs.submit_job(job_id, hook, store=store)
    job = jobs.read_job(job_id, store=store)
    assert job.status is JobStatus.ERROR
    assert job.moodys_workflow_id is None
    assert "EDM name refused" in job.last_error
    assert job.submission_response["error_type"]
    retried = jobs.submit_job(job_id, hook, store=store)
    assert retried.status is JobStatus.SUBMITTED
    assert retried.last_error is None


def test_skipped_and_synchronous_jobs_are_refused(store, hook, edm_batch):
    _, (job_id,) = edm_batch(EDM)
    jobs.skip_job(job_id, store=store)
    with pytest.raises(JobError, match="is skipped"):
        jobs.submit_job(job_id, hook, store=store)
    with pytest.raises(JobError, match="has no moodys_workflow_id"):
        jobs.track_job_status(job_id, hook, store=store)


def test_cancel_job(store, hook, sim, edm_batch):
    _, (job_id,) = edm_batch(EDM)
    jobs.submit_job(job_id, hook, store=store)
    jobs.cancel_job(job_id, hook, store=store)
    assert jobs.read_job(job_id, store=store).status is JobStatus.CANCEL_REQUESTED
    status = JobStatus.CANCEL_REQUESTED
    for _ in range(10):
        status = jobs.track_job_status(job_id, hook, store=store)
        if status.terminal:
            break
    assert status is JobStatus.CANCELLED


def test_validate_batch_lists_existing_edms(store, hook, sim, edm_batch):
    """AS-73: the EDM exists already → ENT-EDM-001 naming it; a finished batch is not re-validated."""
    batch_id, (job_id,) = edm_batch(EDM)
    assert batches.validate_batch(batch_id, hook, store=store) == []
    jobs.submit_job(job_id, hook, store=store)
    while not jobs.track_job_status(job_id, hook, store=store).terminal:
        pass
    other_id, _ = edm_batch(EDM)
    (message,) = batches.validate_batch(other_id, hook, store=store)
    assert message.code == "ENT-EDM-001"
    assert EDM in message.entities
    assert batches.validate_batch(batch_id, hook, store=store) == []  # its only job FINISHED


def test_submission_holds_no_transaction_and_resubmission_waits_for_it(store, hook, sim, edm_batch):
    """While Moody's answers slowly: no store transaction is left open, and a resubmission of the
    same job waits for the submission, then refuses to replace a job now in flight."""
    _, (job_id,) = edm_batch(EDM)
    jobs.update_job_status(job_id, JobStatus.ERROR, store=store)  # e.g. an earlier failed try
    sim.admin.fault(method="POST", pathRegex="/exposuresets/[0-9]+/exposures$", delayMs=1500, times=1)
    submitter = threading.Thread(target=jobs.submit_job, args=(job_id, hook), kwargs={"store": store})
    submitter.start()
    time.sleep(0.7)  # the POST is now waiting in the simulator
    with psycopg.connect(PG_DSN) as conn:
        idle = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND datname = current_database()"
        ).fetchone()[0]
    with pytest.raises(JobError, match="cancel it before resubmitting"):
        jobs.resubmit_job(job_id, store=store)
    submitter.join()
    assert idle == 0
    assert jobs.read_job(job_id, store=store).status is JobStatus.SUBMITTED
    assert len(moodys_jobs(sim)) == 1
