"""Issue 9, defect 2: a submission whose outcome is unknown (its answer lost, its worker killed
mid-call) is never sent blind again. A retry or a clear looks Moody's up first — the same key while
Moody's keeps it, else a search for what the job creates — and re-attaches the job to what it
finds, so exactly one Moody's job exists."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from irp import batch as batches
from irp import job as jobs
from irp.constants import BatchType, JobStatus
from irp.exceptions import JobError
from irp.installation import installation_id
from irp.moodys.api import ApiPath
from irp.moodys.jobs import RequestKeys, Step
from irp.resubmission import job_to_run
from moodys.cycle import EDM, METADATA, run_cycle_until
from tests.conftest import PG_DSN, ROOT
from tests.store.conftest import insert_configuration
from tests.unit.conftest import TaskInstance

EDM_POST = r"^/platform/riskdata/v1/exposuresets/\d+/exposures$"
PORTFOLIO_POST = r"^/platform/riskdata/v1/exposures/\d+/portfolios$"
#: The hook's first try and its retries (FAST_RETRIES): every answer of one submit_job call.
ATTEMPTS = 6
#: The job task's automatic retries (a clear keeps them all).
RETRIES = 2


def edm_job(store, name: str = EDM) -> int:
    batch_id = batches.create_batch(
        BatchType.EDM_CREATION, insert_configuration(store), [{"Metadata": METADATA, "Database": name}], store=store
    )
    (job,) = batches.get_batch_jobs(batch_id, store=store)
    return job.id


def riskdata_jobs(sim, name: str = EDM) -> list[str]:
    return [str(job["jobId"]) for job in sim.admin.state()["jobs"] if job["kind"] == "riskdata" and job["name"] == name]


def lose_every_answer(sim, path: str = EDM_POST) -> None:
    """Moody's creates the job, then every answer of the next submit_job call is lost."""
    sim.admin.fault(method="POST", pathRegex=path, dropConnection=True, afterCommit=True, times=ATTEMPTS)


def submit_with_lost_answers(store, hook, sim, job_id: int, path: str = EDM_POST) -> None:
    lose_every_answer(sim, path)
    with pytest.raises(JobError, match="no response"):
        jobs.submit_job(job_id, hook, store=store)
    sim.admin.clear_faults()


def age_attempt(store, job_id: int, hours: float) -> None:
    """Let the unknown attempt be ``hours`` old (its key then outlives Moody's 24 hours)."""
    with store.transaction() as cursor:
        cursor.execute(
            "UPDATE irp_job SET submission_attempted_ts = submission_attempted_ts - make_interval(secs => %s)"
            " WHERE id = %s",
            (hours * 3600, job_id),
        )


def test_a_lost_answer_leaves_the_outcome_unknown_and_a_retry_reattaches(store, hook, sim) -> None:
    job_id = edm_job(store)
    submit_with_lost_answers(store, hook, sim, job_id)
    lost = jobs.read_job(job_id, store=store)
    assert lost.status is JobStatus.ERROR
    assert lost.outcome_unknown
    assert "outcome is unknown" in lost.last_error
    (created,) = riskdata_jobs(sim)  # Moody's has it; we do not know its id

    retried = jobs.submit_job(job_id, hook, store=store)  # an automatic retry of the task
    assert retried.moodys_workflow_id == created
    assert retried.status is JobStatus.SUBMITTED
    assert not retried.outcome_unknown
    assert riskdata_jobs(sim) == [created]


def test_a_lost_submission_is_not_replaced_by_a_clear_but_looked_up(store, hook, sim) -> None:
    """What a person's clear does with it (the job task's own path: ``job_to_run``, then
    ``submit_job``): no replacement job (new id, new keys, a second Moody's job); the same job is
    submitted again, which finds the Moody's job through its key."""
    job_id = edm_job(store)
    submit_with_lost_answers(store, hook, sim, job_id)
    with pytest.raises(JobError, match="got no answer"):
        jobs.resubmit_job(job_id, store=store)
    cleared = {"ti": TaskInstance(try_number=2, max_tries=1 + RETRIES), "dag_run": None}
    again = job_to_run(job_id, cleared, retries=RETRIES, backend=hook, store=store)
    assert again.id == job_id  # not replaced
    assert jobs.submit_job(again.id, hook, store=store).status is JobStatus.SUBMITTED
    (created,) = riskdata_jobs(sim)
    job = jobs.read_job(job_id, store=store)
    assert (job.moodys_workflow_id, job.skipped, job.parent_job_id) == (created, False, None)


def test_past_the_key_lifetime_the_job_is_found_by_name_and_reattached(store, hook, sim) -> None:
    job_id = edm_job(store)
    submit_with_lost_answers(store, hook, sim, job_id)
    (created,) = riskdata_jobs(sim)
    sim.admin.advance_clock(25 * 3600)  # Moody's has forgotten the key...
    age_attempt(store, job_id, 25)  # ...and the store knows it may have
    posts = sim.admin.state()["submissions"]
    job = jobs.submit_job(job_id, hook, store=store)
    assert job.moodys_workflow_id == created
    assert job.submission_response["reattached"] is True
    assert riskdata_jobs(sim) == [created]
    assert sim.admin.state()["submissions"] == posts  # found by name: nothing was posted


def test_past_the_key_lifetime_a_job_moodys_never_got_is_sent_again(store, hook, sim) -> None:
    job_id = edm_job(store)
    sim.admin.fault(method="POST", pathRegex=EDM_POST, dropConnection=True, times=ATTEMPTS)  # before any effect
    with pytest.raises(JobError, match="no response"):
        jobs.submit_job(job_id, hook, store=store)
    assert riskdata_jobs(sim) == []
    age_attempt(store, job_id, 25)
    job = jobs.submit_job(job_id, hook, store=store)
    assert riskdata_jobs(sim) == [job.moodys_workflow_id]
    assert "reattached" not in job.submission_response


def test_past_the_key_lifetime_other_jobs_of_the_batch_are_not_taken(store, hook, sim) -> None:
    """Two Moody's jobs of the same name cannot be told apart, so nothing is sent; once the other
    one turns out to be owned by another job of the batch, the one left is re-attached."""
    job_id = edm_job(store)
    submit_with_lost_answers(store, hook, sim, job_id)
    (created,) = riskdata_jobs(sim)
    sim.admin.advance_clock(25 * 3600)
    age_attempt(store, job_id, 25)
    exposure_set = hook.api.get_or_create_exposure_set(EDM, None)
    body = {"exposureName": EDM, "serverId": hook.api.server_id()}
    hook.api.post(ApiPath.EXPOSURE_SET_EXPOSURES.at(exposure_set_id=exposure_set), body, None)  # someone else's
    other = next(job for job in riskdata_jobs(sim) if job != created)
    with pytest.raises(JobError, match=r"looking it up in Moody's failed.*2 jobs named"):
        jobs.submit_job(job_id, hook, store=store)
    assert jobs.read_job(job_id, store=store).outcome_unknown  # nothing was sent
    assert len(riskdata_jobs(sim)) == 2
    with store.transaction() as cursor:  # the other Moody's job is a sibling's
        cursor.execute(
            "INSERT INTO irp_job (batch_id, job_configuration_id, moodys_workflow_id, status)"
            " SELECT batch_id, job_configuration_id, %s, 'SUBMITTED' FROM irp_job WHERE id = %s",
            (other, job_id),
        )
    assert jobs.submit_job(job_id, hook, store=store).moodys_workflow_id == created
    assert len(riskdata_jobs(sim)) == 2


def test_a_lost_portfolio_creation_is_found_by_name(store, hook, sim) -> None:
    """Synchronous types: the entity itself is what the lost submission created."""
    run_cycle_until(hook, BatchType.PORTFOLIO_CREATION)
    batch_id = batches.create_batch(
        BatchType.PORTFOLIO_CREATION,
        insert_configuration(store),
        [{"Metadata": METADATA, "Database": EDM, "Portfolio": "USFL_Lost"}],
        store=store,
    )
    (job,) = batches.get_batch_jobs(batch_id, store=store)
    submit_with_lost_answers(store, hook, sim, job.id, PORTFOLIO_POST)
    age_attempt(store, job.id, 25)
    sim.admin.advance_clock(25 * 3600)
    found = jobs.submit_job(job.id, hook, store=store)
    assert found.status is JobStatus.FINISHED
    assert found.submission_response["reattached"] is True
    (edm,) = [e for e in sim.admin.state()["edms"] if e["exposureName"] == EDM]
    assert [p["portfolioName"] for p in edm["portfolios"]].count("USFL_Lost") == 1


def test_a_worker_killed_mid_submit_is_finished_by_its_retry(store, hook, sim) -> None:
    """The deployment's failure: the task runner is SIGKILLed while its POST is in flight. The
    store remembers the attempt; Moody's finishes the request; the retry re-attaches to it."""
    job_id = edm_job(store)
    key = RequestKeys(installation_id(store=store), job_id)(Step.EDM)
    sim.admin.fault(method="POST", pathRegex=EDM_POST, delayMs=800, times=1)  # < 30 waits of 409
    script = (
        "from irp import job; from irp.store import Store; from irp.moodys.hook import MoodysHook; "
        f"job.submit_job({job_id}, MoodysHook('moodys_default'), store=Store.from_dsn({PG_DSN!r}, {store.schema!r}))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    worker = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while key not in sim.admin.state()["submissions"]:
            assert worker.poll() is None, "the worker ended before its POST was in flight"
            assert time.monotonic() < deadline, "the worker never sent its POST"
            time.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    killed = jobs.read_job(job_id, store=store)
    assert killed.outcome_unknown
    assert killed.status is JobStatus.INITIATED

    retried = jobs.submit_job(job_id, hook, store=store)
    (created,) = riskdata_jobs(sim)
    assert retried.moodys_workflow_id == created
    assert retried.status is JobStatus.SUBMITTED
