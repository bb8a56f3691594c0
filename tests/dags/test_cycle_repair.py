"""Failures, notifications and repairs the way people do them: clear a task instance."""

from __future__ import annotations

from irp import batch as batches
from irp import job as jobs
from irp.constants import BatchStatus, JobStatus
from irp.reports import cycle_batches
from tests.support.airflow_runs import clear_and_resume, failed_with_downstream, task_states

FAILING_ANALYSIS = "GCHU_Inland_NT"


def statuses(cycle):
    return {b.batch_type.value: b for b in cycle_batches(cycle.name, store=cycle.store)}


def analysis_job(cycle, name):
    analysis = statuses(cycle)["Analysis"]
    for job in batches.get_batch_jobs(analysis.batch_id, store=cycle.store):
        if jobs.get_job_config(job.id, store=cycle.store).job_configuration_data["Analysis Name"] == name:
            return job
    raise AssertionError(name)


def model_jobs(cycle, name):
    return [j for j in cycle.simulator.admin.state()["jobs"] if j["kind"] == "model" and j["name"] == name]


def test_moodys_failure_notifies_teams_then_clearing_resubmits(cycle):
    cycle.simulator.admin.job_outcome(kind="model", nameRegex=f"^{FAILING_ANALYSIS}$", outcome="FAILED")
    run = cycle.run()
    assert run.state == "failed"
    found = statuses(cycle)
    assert found["Analysis"].status is BatchStatus.FAILED
    assert found["Analysis"].job_counts == {"FINISHED": 8, "FAILED": 1}
    assert found["Grouping"].status is BatchStatus.INITIATED  # later batch types did not start
    assert cycle.teams.titles() == [f"✗ [{cycle.name}] Batch Failed: Analysis"]
    text = cycle.teams.texts()[0]
    assert "**Status:** FAILED" in text
    assert "**Finished:** 8" in text
    assert "**Failed:** 1" in text
    dashboard, dag_run = cycle.teams.messages[0]["attachments"][0]["content"]["actions"]
    assert dashboard["url"].endswith(f"/irp/cycles/{cycle.name}/batches/{found['Analysis'].batch_id}")
    assert f"/dags/{cycle.dag_id}/runs/" in dag_run["url"]
    failed = analysis_job(cycle, FAILING_ANALYSIS)
    assert failed.status is JobStatus.FAILED

    # The analyst fixes the cause in Moody's, then clears the failed task (with its downstream).
    cycle.simulator.admin.clear_job_outcomes()
    dag = cycle.dag()
    run = clear_and_resume(dag, run, failed_with_downstream(dag, run))

    assert run.state == "success", {k: v for k, v in task_states(run).items() if v not in ("success", "skipped")}
    assert {b.status for b in statuses(cycle).values()} == {BatchStatus.COMPLETED}
    original = jobs.read_job(failed.id, store=cycle.store)
    assert original.skipped
    assert original.status is JobStatus.FAILED
    replacement = jobs.latest_job(failed.id, store=cycle.store)
    assert replacement.parent_job_id == failed.id
    assert replacement.status is JobStatus.FINISHED
    assert [j["status"] for j in model_jobs(cycle, FAILING_ANALYSIS)] == ["FAILED", "FINISHED"]
    assert len(cycle.teams.messages) == 1  # completing sends nothing


def test_task_retry_after_a_lost_submission_answer_reattaches(cycle):
    """Moody's creates the job but every answer is lost until the task dies; its automatic retry
    finds the same Moody's job through the idempotency key instead of creating a second one."""
    attempts_per_request = 6  # the hook's first try and its 5 retries
    cycle.simulator.admin.fault(
        method="POST", pathRegex="^/platform/model/v1/jobs$", dropConnection=True, afterCommit=True,
        times=attempts_per_request,
    )  # fmt: skip
    run = cycle.run()
    assert run.state == "success"
    state = cycle.simulator.admin.state()
    model = [j for j in state["jobs"] if j["kind"] == "model"]
    assert len(model) == 9
    assert len({j["name"] for j in model}) == 9
    retried = [ti for ti in run.get_task_instances() if ti.task_id == "analysis.job" and ti.try_number > 1]
    assert len(retried) == 1
    analysis = statuses(cycle)["Analysis"]
    store_jobs = batches.get_batch_jobs(analysis.batch_id, store=cycle.store)
    assert len(store_jobs) == 9  # re-attached: no replacement job either
    assert {(j.status, j.skipped, j.parent_job_id) for j in store_jobs} == {(JobStatus.FINISHED, False, None)}
    assert len({j.moodys_workflow_id for j in store_jobs}) == 9


def test_a_job_that_never_ends_times_out_is_cancelled_and_a_clear_resubmits_it(cycle):
    """The trigger owns the deadline: the Moody's job is cancelled, the batch reported, and one
    clear of its job task resubmits it."""
    cycle.declare(batch_types={"Analysis": {"poll_interval": 0.2, "retries": 0, "timeout_hours": 0.001}})
    cycle.simulator.admin.job_outcome(kind="model", nameRegex="^CAEQ$", outcome="STALL")
    run = cycle.run()
    assert run.state == "failed"
    stalled = analysis_job(cycle, "CAEQ")
    assert stalled.status is JobStatus.CANCELLED  # recon followed the cancellation to its end
    assert statuses(cycle)["Analysis"].status is BatchStatus.CANCELLED
    (title,) = cycle.teams.titles()
    assert title.endswith(f"[{cycle.name}] Batch Cancelled: Analysis")

    cycle.simulator.admin.clear_job_outcomes()
    dag = cycle.dag()
    run = clear_and_resume(dag, run, failed_with_downstream(dag, run))
    assert run.state == "success", {k: v for k, v in task_states(run).items() if v not in ("success", "skipped")}
    assert jobs.read_job(stalled.id, store=cycle.store).skipped
    assert jobs.latest_job(stalled.id, store=cycle.store).status is JobStatus.FINISHED
    assert [j["status"] for j in model_jobs(cycle, "CAEQ")][-1] == "FINISHED"
