"""Issue 9, defect 2, through Airflow: a job task whose Moody's answer was lost fails with the
job's outcome unknown; a person's clear then looks the job up in Moody's and re-attaches it
instead of submitting a replacement (a second Moody's job for the same analysis)."""

from __future__ import annotations

from irp import batch as batches
from irp import job as jobs
from irp.constants import BatchStatus, JobStatus
from irp.reports import cycle_batches
from tests.support.airflow_runs import clear_and_resume, task_states

#: The hook's first try and its 5 retries: every answer of one submit try.
ATTEMPTS_PER_TRY = 6


def test_a_clear_after_a_lost_submission_answer_reattaches_to_the_moodys_job(cycle):
    cycle.declare(batch_types={"Analysis": {"retries": 0}})  # the first try's failure is the task's
    cycle.simulator.admin.fault(
        method="POST", pathRegex="^/platform/model/v1/jobs$", dropConnection=True, afterCommit=True,
        times=ATTEMPTS_PER_TRY,
    )  # fmt: skip
    run = cycle.run()
    assert run.state == "failed"
    analysis = {b.batch_type.value: b for b in cycle_batches(cycle.name, store=cycle.store)}["Analysis"]
    assert analysis.status is BatchStatus.ERROR
    (lost,) = [j for j in batches.get_batch_jobs(analysis.batch_id, store=cycle.store) if j.status is JobStatus.ERROR]
    assert lost.outcome_unknown
    name = jobs.get_job_config(lost.id, store=cycle.store).job_configuration_data["Analysis Name"]
    model = [j for j in cycle.simulator.admin.state()["jobs"] if j["kind"] == "model"]
    assert len(model) == 9  # Moody's has the lost one too

    # The person clears the failed job task with its downstream (the UI's default).
    dag = cycle.dag()
    failed = {task_id for (task_id, _), state in task_states(run).items() if state == "failed"}
    assert "analysis.job" in failed
    cleared = failed | {d for t in failed for d in dag.get_task(t).get_flat_relative_ids(upstream=False)}
    run = clear_and_resume(dag, run, lambda ti: ti.task_id in cleared)

    assert run.state == "success", {k: v for k, v in task_states(run).items() if v not in ("success", "skipped")}
    model = [j for j in cycle.simulator.admin.state()["jobs"] if j["kind"] == "model"]
    assert len(model) == 9
    assert len({j["name"] for j in model}) == 9
    (moodys_job,) = [j for j in model if j["name"] == name]
    reattached = jobs.read_job(lost.id, store=cycle.store)
    assert reattached.moodys_workflow_id == str(moodys_job["jobId"])
    assert (reattached.status, reattached.skipped) == (JobStatus.FINISHED, False)
    assert jobs.latest_job(lost.id, store=cycle.store).id == lost.id  # no replacement job
