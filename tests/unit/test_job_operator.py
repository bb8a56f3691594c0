"""``MoodysJobOperator``, one branch at a time, on a real store and the simulator: ``execute``
submits and defers (or re-attaches, or resubmits after a clear), ``execute_complete`` records how
the Moody's job ended and reconciles the batch."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException, TaskDeferred

from irp import batch as batches
from irp import job as jobs
from irp.constants import BatchStatus, BatchType, JobStatus
from irp.operators.job import MoodysJobOperator
from irp.triggers.job import MoodysJobTrigger, TriggerOutcome
from tests.unit.conftest import TaskInstance, context

RETRIES = 2


def operator(job_id: int, batch_id: int, **kwargs: Any) -> MoodysJobOperator:
    return MoodysJobOperator(
        task_id="job", job={"job_id": job_id, "batch_id": batch_id, "label": f"EDM {job_id}"},
        batch_type=BatchType.EDM_CREATION.value, cycle_name="2026-Q1", poll_interval=0.01, retries=RETRIES,
        **kwargs,
    )  # fmt: skip


def deferred(task: MoodysJobOperator, ti: TaskInstance) -> MoodysJobTrigger:
    with pytest.raises(TaskDeferred) as raised:
        task.execute(context(ti))
    assert raised.value.method_name == "execute_complete"
    trigger = raised.value.trigger
    assert isinstance(trigger, MoodysJobTrigger)
    return trigger


def ended(trigger: MoodysJobTrigger, status: JobStatus, outcome: TriggerOutcome = TriggerOutcome.ENDED) -> dict:
    return {"outcome": outcome.value, "job_id": trigger.job_id, "workflow_id": trigger.workflow_id,
            "job_url": trigger.job_url, "status": status.value, "polls": 3}  # fmt: skip


def status_reads(sim: Any) -> int:
    routes = sim.admin.state()["apiRoutes"]
    return sum(count for route, count in routes.items() if route.startswith("GET /platform/riskdata/v1/jobs"))


def test_execute_submits_and_defers_at_once_in_the_same_task_instance(edm_jobs, sim, airflow_store):
    """With no ``defer_after`` a just-submitted job is not polled in the worker: Moody's answered
    its submission, and the trigger's shared poller asks next."""
    batch_id, (job_id,) = edm_jobs()
    task = operator(job_id, batch_id)
    trigger = deferred(task, TaskInstance())
    job = jobs.read_job(job_id, store=airflow_store)
    assert job.submitted
    assert trigger.workflow_id == job.moodys_workflow_id
    assert trigger.job_id == job_id
    assert trigger.job_url == task.moodys_job_url
    assert job.moodys_workflow_id in trigger.job_url
    assert [t.job_status for t in jobs.get_job_tracking(job_id, store=airflow_store)][-1] is JobStatus.SUBMITTED
    assert status_reads(sim) == 0


def test_a_reattached_job_is_checked_once_before_deferring(edm_jobs, sim, airflow_store):
    """What the store knows of a job submitted by an earlier try may be old: one poll."""
    batch_id, (job_id,) = edm_jobs()
    deferred(operator(job_id, batch_id), TaskInstance())
    retry = TaskInstance(try_number=2, max_tries=RETRIES)
    deferred(operator(job_id, batch_id), retry)
    assert status_reads(sim) == 1
    assert [t.job_status for t in jobs.get_job_tracking(job_id, store=airflow_store)][-1] is not JobStatus.SUBMITTED


def test_a_finished_event_returns_the_job_and_completes_the_batch(edm_jobs, sim, airflow_store, teams):
    batch_id, (job_id,) = edm_jobs()
    task = operator(job_id, batch_id)
    trigger = deferred(task, TaskInstance())
    resumed = operator(job_id, batch_id)  # a new process resumes
    assert resumed.execute_complete(context(TaskInstance()), ended(trigger, JobStatus.FINISHED)) == job_id
    assert resumed.moodys_job_url == trigger.job_url  # the link needs no XCom
    assert jobs.read_job(job_id, store=airflow_store).status is JobStatus.FINISHED
    assert batches.read_batch(batch_id, store=airflow_store).status is BatchStatus.COMPLETED
    assert teams.messages == []


def test_a_failed_job_fails_the_task_and_the_last_job_to_end_tells_teams(edm_jobs, sim, airflow_store, teams):
    batch_id, (failing, other) = edm_jobs("EDM_A", "EDM_B")
    first, second = operator(failing, batch_id), operator(other, batch_id)
    first_trigger, second_trigger = deferred(first, TaskInstance()), deferred(second, TaskInstance())
    with pytest.raises(AirflowFailException, match="Clear this task to resubmit it"):
        first.execute_complete(context(TaskInstance()), ended(first_trigger, JobStatus.FAILED))
    assert batches.read_batch(batch_id, store=airflow_store).status is BatchStatus.ACTIVE  # EDM_B still runs
    assert teams.messages == []
    second.execute_complete(context(TaskInstance()), ended(second_trigger, JobStatus.FINISHED))
    assert batches.read_batch(batch_id, store=airflow_store).status is BatchStatus.FAILED
    assert [title.split("] ")[-1] for title in teams.titles()] == ["Batch Failed: EDM Creation"]
    with airflow_store.transaction() as cursor:  # job tasks record how the batch ended, not every look
        cursor.execute("SELECT recon_result FROM irp_batch_recon_log WHERE batch_id = %s ORDER BY id", (batch_id,))
        assert [row["recon_result"] for row in cursor.fetchall()] == [BatchStatus.FAILED]


def test_a_timeout_cancels_the_moodys_job_and_fails_the_task(edm_jobs, sim, airflow_store):
    batch_id, (job_id,) = edm_jobs()
    sim.admin.job_outcome(kind="riskdata", nameRegex=".*", outcome="STALL")
    task = operator(job_id, batch_id, timeout=timedelta(seconds=1))
    trigger = deferred(task, TaskInstance())
    event = {**ended(trigger, JobStatus.RUNNING, TriggerOutcome.TIMEOUT)}
    with pytest.raises(AirflowFailException, match="did not finish within 1 s"):
        task.execute_complete(context(TaskInstance()), event)
    assert jobs.read_job(job_id, store=airflow_store).status is JobStatus.CANCEL_REQUESTED
    (moodys,) = sim.admin.state()["jobs"]
    assert moodys["status"] in ("CANCEL_REQUESTED", "CANCELLING", "CANCELLED")


def test_an_error_event_fails_retryably(edm_jobs, sim):
    batch_id, (job_id,) = edm_jobs()
    task = operator(job_id, batch_id)
    trigger = deferred(task, TaskInstance())
    event = {"outcome": TriggerOutcome.ERROR.value, "job_id": job_id, "workflow_id": trigger.workflow_id,
             "message": "MoodysUnavailableError: 503"}  # fmt: skip
    with pytest.raises(AirflowException, match="503") as raised:
        task.execute_complete(context(TaskInstance()), event)
    assert not isinstance(raised.value, AirflowFailException)


def test_an_automatic_retry_reattaches_and_a_clear_resubmits(edm_jobs, sim, airflow_store):
    batch_id, (job_id,) = edm_jobs()
    task = operator(job_id, batch_id)
    deferred(task, TaskInstance())
    retry = TaskInstance(try_number=2, max_tries=RETRIES)  # a crash, then Airflow's retry
    trigger = deferred(operator(job_id, batch_id), retry)
    assert trigger.job_id == job_id
    assert len(sim.admin.state()["jobs"]) == 1
    jobs.update_job_status(job_id, JobStatus.FAILED, store=airflow_store)
    with pytest.raises(AirflowFailException):  # a retry never resubmits a failed job by itself
        operator(job_id, batch_id).execute(context(TaskInstance(try_number=3, max_tries=RETRIES)))
    cleared = TaskInstance(try_number=4, max_tries=3 + RETRIES)  # a person cleared try 3
    trigger = deferred(operator(job_id, batch_id), cleared)
    replacement = jobs.latest_job(job_id, store=airflow_store)
    assert (trigger.job_id, replacement.parent_job_id) == (replacement.id, job_id)
    assert jobs.read_job(job_id, store=airflow_store).skipped
    assert len(sim.admin.state()["jobs"]) == 2


def test_a_finished_job_is_not_submitted_again(edm_jobs, sim, airflow_store):
    batch_id, (job_id,) = edm_jobs()
    trigger = deferred(operator(job_id, batch_id), TaskInstance())
    operator(job_id, batch_id).execute_complete(context(TaskInstance()), ended(trigger, JobStatus.FINISHED))
    cleared = TaskInstance(try_number=2, max_tries=1 + RETRIES)
    assert operator(job_id, batch_id).execute(context(cleared)) == job_id
    assert len(sim.admin.state()["jobs"]) == 1


def test_a_skipped_job_skips_its_task(edm_jobs, sim, airflow_store):
    batch_id, (job_id,) = edm_jobs()
    jobs.skip_job(job_id, store=airflow_store)
    with pytest.raises(AirflowSkipException, match="is skipped"):
        operator(job_id, batch_id).execute(context(TaskInstance()))
    assert sim.admin.state()["jobs"] == []
    assert batches.read_batch(batch_id, store=airflow_store).status is BatchStatus.COMPLETED


def test_a_new_run_submits_what_is_new_resubmits_what_failed_before_and_reattaches_the_rest(
    edm_jobs, sim, airflow_store
):
    """A new run of the cycle: an INITIATED job is submitted, a job that FAILED before the run
    started is replaced by a new job, a job still in flight is re-attached (nothing sent)."""
    from datetime import UTC, datetime

    batch_id, (fresh, failed, running) = edm_jobs("EDM_A", "EDM_B", "EDM_C")
    for job_id in (failed, running):
        jobs.submit_job(job_id, operator(job_id, batch_id)._backend(), store=airflow_store)
    jobs.update_job_status(failed, JobStatus.FAILED, store=airflow_store)
    new_run = context(TaskInstance(), run_start=datetime.now(UTC))
    triggers = {}
    for job_id in (fresh, failed, running):
        with pytest.raises(TaskDeferred) as raised:
            operator(job_id, batch_id).execute(new_run)
        triggers[job_id] = raised.value.trigger
    replacement = jobs.latest_job(failed, store=airflow_store)
    assert replacement.parent_job_id == failed
    assert {job_id: trigger.job_id for job_id, trigger in triggers.items()} == {
        fresh: fresh, failed: replacement.id, running: running,
    }  # fmt: skip
    assert len(sim.admin.state()["jobs"]) == 4  # EDM_A, EDM_B twice, EDM_C once


def test_a_job_that_ends_within_defer_after_finishes_in_the_worker(edm_jobs, sim, airflow_store):
    """No deferral round trip for a short job: the task follows it and reconciles the batch."""
    batch_id, (job_id,) = edm_jobs()
    task = operator(job_id, batch_id, defer_after=timedelta(seconds=30))
    assert task.execute(context(TaskInstance())) == job_id
    assert jobs.read_job(job_id, store=airflow_store).status is JobStatus.FINISHED
    assert batches.read_batch(batch_id, store=airflow_store).status is BatchStatus.COMPLETED
    assert task.moodys_job_url


def test_a_job_still_running_after_defer_after_is_handed_to_the_triggerer(edm_jobs, sim, airflow_store):
    import time

    batch_id, (job_id,) = edm_jobs()
    sim.admin.job_outcome(kind="riskdata", nameRegex=".*", outcome="STALL")
    started = time.monotonic()
    trigger = deferred(operator(job_id, batch_id, defer_after=timedelta(seconds=0.3)), TaskInstance())
    assert 0.3 <= time.monotonic() - started < 5
    assert trigger.job_id == job_id
    assert len(jobs.get_job_tracking(job_id, store=airflow_store)) > 2  # polled in the worker meanwhile


def trigger_events(trigger: MoodysJobTrigger) -> list[Any]:
    """Run the trigger as the triggerer does and collect its events."""
    import asyncio

    async def collect() -> list[Any]:
        return [event async for event in trigger.run()]

    return asyncio.run(collect())


def test_a_finished_job_ends_its_task_in_the_triggerer(edm_jobs, sim, airflow_store, teams, monkeypatch):
    """No worker starts again for a job that FINISHED: the trigger records it, reconciles the batch
    and ends the task, at once (the stale-executor-event wait is for tasks that resume)."""
    from airflow.triggers.base import TaskSuccessEvent

    monkeypatch.setenv("AIRFLOW__IRP__RESUME_SETTLE_SECONDS", "30")
    batch_id, (job_id,) = edm_jobs()
    trigger = deferred(operator(job_id, batch_id), TaskInstance())
    started = time.monotonic()
    (event,) = trigger_events(trigger)
    assert time.monotonic() - started < 30
    assert isinstance(event, TaskSuccessEvent)
    assert event.xcoms == {"return_value": job_id}
    assert jobs.read_job(job_id, store=airflow_store).status is JobStatus.FINISHED
    assert batches.read_batch(batch_id, store=airflow_store).status is BatchStatus.COMPLETED
    assert teams.messages == []


def test_the_last_job_finishing_after_a_failure_tells_teams_from_the_triggerer(edm_jobs, sim, airflow_store, teams):
    batch_id, (failing, other) = edm_jobs("EDM_A", "EDM_B")
    first, second = operator(failing, batch_id), operator(other, batch_id)
    first_trigger = deferred(first, TaskInstance())
    second_trigger = deferred(second, TaskInstance(run_id="manual__teams"))
    with pytest.raises(AirflowFailException):
        first.execute_complete(context(TaskInstance()), ended(first_trigger, JobStatus.FAILED))
    trigger_events(second_trigger)
    assert batches.read_batch(batch_id, store=airflow_store).status is BatchStatus.FAILED
    (message,) = teams.messages
    assert "manual__teams" in json.dumps(message)  # the button to the DAG run of the task that deferred


def test_a_job_that_did_not_finish_resumes_its_task(edm_jobs, sim, airflow_store, monkeypatch):
    """A failed job is the resumed task's to report (its error, its Teams message, its retry rules)."""
    monkeypatch.setenv("AIRFLOW__IRP__RESUME_SETTLE_SECONDS", "0")  # no scheduler races here
    sim.admin.job_outcome(kind="riskdata", nameRegex="^EDM_BAD$", outcome="FAILED")
    batch_id, (job_id,) = edm_jobs("EDM_BAD")
    trigger = deferred(operator(job_id, batch_id), TaskInstance())
    (event,) = trigger_events(trigger)
    assert (event.payload["outcome"], event.payload["status"]) == (TriggerOutcome.ENDED, JobStatus.FAILED)
    assert jobs.read_job(job_id, store=airflow_store).status.in_progress  # left to the resumed task


def test_a_trigger_of_an_older_release_resumes_its_task_even_when_finished(edm_jobs, sim, airflow_store, monkeypatch):
    monkeypatch.setenv("AIRFLOW__IRP__RESUME_SETTLE_SECONDS", "0")  # no scheduler races here
    batch_id, (job_id,) = edm_jobs()
    _, kwargs = deferred(operator(job_id, batch_id), TaskInstance()).serialize()
    for added in ("cycle_name", "batch_id", "end_task", "dag_id", "run_id"):
        del kwargs[added]
    (event,) = trigger_events(MoodysJobTrigger(**kwargs))
    assert event.payload["status"] == JobStatus.FINISHED
    assert jobs.read_job(job_id, store=airflow_store).status.in_progress


def test_a_task_with_more_to_do_after_its_job_resumes_even_when_finished(edm_jobs, sim, airflow_store, monkeypatch):
    """Export to RDM's prepare runs its seed job this way: it lists the other jobs afterwards."""
    monkeypatch.setenv("AIRFLOW__IRP__RESUME_SETTLE_SECONDS", "0")  # no scheduler races here
    batch_id, (job_id,) = edm_jobs()
    (event,) = trigger_events(deferred(operator(job_id, batch_id, end_in_triggerer=False), TaskInstance()))
    assert event.payload["status"] == JobStatus.FINISHED
    assert jobs.read_job(job_id, store=airflow_store).status.in_progress


def server_reads(sim: Any) -> int:
    return int(sim.admin.state()["apiRoutes"].get("GET /platform/riskdata/v1/dataservers", 0))


def test_a_first_try_starts_from_prepares_answers_and_a_retry_asks_again(edm_jobs, sim, hook, airflow_store):
    """prepare hands each job the answers its look-ups used (``references``): the job's first try
    sends only its writes; a retry (Moody's may have changed since) looks up again."""
    from irp.moodys.references import References
    from tests.support.specs import spec

    batch_id, (first, retried) = edm_jobs("EDM_A", "EDM_B")
    hook.references = References()
    data = jobs.get_job_config(first, store=airflow_store).job_configuration_data
    answers = hook.rehearse_submissions(BatchType.EDM_CREATION, {first: spec(BatchType.EDM_CREATION, data)})[first]
    assert answers
    before = server_reads(sim)
    for job_id, ti in [(first, TaskInstance()), (retried, TaskInstance(try_number=2, max_tries=RETRIES))]:
        task = MoodysJobOperator(
            task_id="job", job={"job_id": job_id, "batch_id": batch_id, "label": "EDM", "references": answers},
            batch_type=BatchType.EDM_CREATION.value, cycle_name="2026-Q1", poll_interval=0.01, retries=RETRIES,
        )  # fmt: skip
        deferred(task, ti)
    assert server_reads(sim) - before == 1  # the retry's
