"""The cycle on a real deployment, under the faults a quarter-end brings.

Each scenario runs once per executor (LocalExecutor, CeleryExecutor: see conftest.py) and asserts
how the run ends, every batch's status, exactly one Moody's job per store job and the Teams
messages sent. Except where a person's action is the scenario, the cycle completes without one.
"""

from __future__ import annotations

import os
import signal
import time
from contextlib import suppress
from typing import Any

import pytest

from irp.constants import BatchStatus, BatchType
from tests.deployment.deployment import Deployment, Role, Services
from tests.deployment.scenario import ALL_COMPLETED, CycleRun, Storm, by_task, group_states, task_processes_talking_to

pytestmark = pytest.mark.usefixtures("keep_logs")
Running = tuple[Deployment, Services]

#: One task instance per Moody's job: it submits, then waits deferred (issue 10).
ANALYSIS_JOB = "analysis.job"
#: Where on_existing=ask asks the person (only when something exists).
ANALYSIS_PREPARE = "analysis.prepare"
FINISHED = ("success", "failed", "skipped", "upstream_failed")
LATER_GROUPS = ("grouping", "grouping_rollup", "export_to_rdm")
NEW_EVENT_RATE = "RMS 2025 Historical Event Rates"


def _running(tis: list[dict[str, Any]], task_id: str) -> list[dict[str, Any]]:
    return [ti for ti in by_task(tis, task_id) if ti["state"] == "running"]


def _deferred(tis: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deferred task instances whose trigger a triggerer runs (only a running trigger's ``on_kill``
    can cancel the Moody's job when a person stops the task)."""
    return [ti for ti in tis if ti["state"] == "deferred" and (ti.get("trigger") or {}).get("triggerer_id")]


def test_happy_path(deployment: Running) -> None:
    run = CycleRun(*deployment, "dep-happy")
    run.start()
    assert run.wait() == "success"
    run.assert_completed()
    tis = run.tasks()
    assert {ti["state"] for ti in tis} <= {"success", "skipped"}
    assert max(ti["try_number"] for ti in tis) == 1  # no retries
    assert run.teams_titles() == []


def test_a_moodys_failure_fails_its_batch_and_a_clear_resubmits_it(deployment: Running) -> None:
    run = CycleRun(*deployment, "dep-failure")
    run.start(prepare=lambda admin: admin.job_outcome(kind="model", nameRegex="^GCHU_Coastal_LT$", outcome="FAILED"))
    assert run.wait() == "failed"
    statuses = run.batch_statuses()
    assert statuses[BatchType.ANALYSIS] is BatchStatus.FAILED
    assert all(
        statuses[bt] is BatchStatus.COMPLETED for bt in list(BatchType)[: list(BatchType).index(BatchType.ANALYSIS)]
    )
    assert all(
        statuses[bt] is BatchStatus.INITIATED
        for bt in (BatchType.GROUPING, BatchType.GROUPING_ROLLUP, BatchType.EXPORT_TO_RDM)
    )
    [title] = run.teams_titles()
    assert title.endswith("Failed: Analysis")
    groups = group_states(run.tasks())
    assert "failed" in groups["analysis"]
    for group in LATER_GROUPS:  # the failed batch is the only red group
        assert groups[group] <= {"upstream_failed", "skipped"}, (group, groups[group])

    run.admin.clear_job_outcomes()  # the cause is fixed
    cleared = run.clear_failed()
    assert {ti["task_id"] for ti in cleared} >= {ANALYSIS_JOB, "cycle_result"}
    assert run.wait() == "success"
    run.assert_completed()
    analysis = [j for j in run.store_jobs() if j["batch_type"] == BatchType.ANALYSIS]
    [replaced] = [j for j in analysis if j["skipped"]]
    assert [j["parent_job_id"] for j in analysis if j["parent_job_id"]] == [replaced["id"]]
    assert len(run.teams_titles()) == 1  # nothing more to say


def test_a_rate_limit_and_outage_storm_across_the_whole_run(deployment: Running) -> None:
    run = CycleRun(*deployment, "dep-storm")
    run.start()
    with Storm(run.admin) as storm:
        assert run.wait() == "success"
        assert storm.windows >= 3
        assert storm.hits() > 0
    run.assert_completed()
    assert run.teams_titles() == []


def test_answers_lost_after_moodys_committed(deployment: Running) -> None:
    run = CycleRun(*deployment, "dep-lost")

    def lose_answers(admin: Any) -> None:  # every job-creating POST: committed, then the socket dropped
        admin.fault(
            method="POST",
            pathRegex="/(jobs|exposures|imports|geohaz|grouping|exports|workflows)",
            dropConnection=True,
            afterCommit=True,
            times=12,
        )

    run.start(prepare=lose_answers)
    assert run.wait() == "success"
    run.assert_completed()
    state = run.admin.state()
    assert sum(s["replays"] for s in state["submissions"].values()) >= 1
    assert run.teams_titles() == []


def test_the_triggerer_killed_while_waits_are_deferred(deployment: Running) -> None:
    running, _ = deployment
    run = CycleRun(*deployment, "dep-triggerer")
    # Long enough for several analysis waits to be deferred when the triggerer dies.
    run.start(prepare=lambda admin: admin.configure(running_seconds_by_type={"DLM": 30}))
    run.wait_for_tasks(
        lambda tis: len([ti for ti in _deferred(tis) if ti["task_id"] == ANALYSIS_JOB]) >= 2, "deferred analysis waits"
    )
    running.kill(Role.TRIGGERER)
    time.sleep(5)
    running.start(Role.TRIGGERER)
    assert run.wait() == "success"
    run.assert_completed()
    assert run.teams_titles() == []


def test_task_runners_killed_while_their_submission_is_in_flight(deployment: Running) -> None:
    running, services = deployment
    run = CycleRun(*deployment, "dep-runners")
    run.start(
        prepare=lambda admin: admin.fault(method="POST", pathRegex="/platform/model/v1/jobs$", delayMs=6000, times=2)
    )
    executors = [
        running.components[role].pid
        for role in (Role.SCHEDULER, Role.WORKER_1, Role.WORKER_2)
        if role in running.components
    ]
    killed: list[int] = []

    def kill_in_flight() -> bool:
        submissions = run.admin.state()["submissions"].values()
        if any(s["state"] == "processing" and s["path"].endswith("/model/v1/jobs") for s in submissions):
            for pid in task_processes_talking_to(services.simulator.port, executors):
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
        return bool(killed)

    running.wait_until("an Analysis submission in flight", kill_in_flight, timeout=600, every=0.5)
    assert run.wait() == "success"
    run.assert_completed()
    retried = [ti for ti in by_task(run.tasks(), ANALYSIS_JOB) if ti["try_number"] > 1]
    assert retried, "a killed runner's task instance is retried"
    assert run.teams_titles() == []


def test_the_scheduler_killed_during_submits(deployment: Running) -> None:
    running, _ = deployment
    run = CycleRun(*deployment, "dep-scheduler")
    run.start(
        prepare=lambda admin: admin.fault(method="POST", pathRegex="/platform/model/v1/jobs$", delayMs=3000, times=2)
    )
    run.wait_for_tasks(lambda tis: bool(_running(tis, ANALYSIS_JOB)), "a running Analysis submit")
    running.kill(Role.SCHEDULER)
    time.sleep(3)
    running.start(Role.SCHEDULER)
    assert run.wait() == "success"
    run.assert_completed()
    assert run.teams_titles() == []


@pytest.mark.celery_only
def test_a_celery_worker_killed_during_submits(deployment: Running) -> None:
    running, _ = deployment
    run = CycleRun(*deployment, "dep-worker")
    run.start(
        prepare=lambda admin: admin.fault(method="POST", pathRegex="/platform/model/v1/jobs$", delayMs=3000, times=2)
    )
    run.wait_for_tasks(lambda tis: bool(_running(tis, ANALYSIS_JOB)), "a running Analysis submit")
    running.kill(Role.WORKER_1)
    assert run.wait() == "success"
    running.start(Role.WORKER_1)
    run.assert_completed()
    assert run.teams_titles() == []


def test_a_deferred_wait_marked_failed_is_cancelled_then_cleared_and_resubmitted(deployment: Running) -> None:
    running, _ = deployment
    run = CycleRun(*deployment, "dep-stop")
    run.start(prepare=lambda admin: admin.job_outcome(kind="model", nameRegex="^GCHU_Coastal_LT$", outcome="STALL"))
    # The other Analysis job ends (its task too, in the triggerer); the stalled one's task waits, deferred.
    tis = run.wait_for_tasks(
        lambda tis: any(ti["rendered_map_index"] == "GCHU_Coastal_LT" for ti in _deferred(by_task(tis, ANALYSIS_JOB))),
        "the stalled Analysis job's task deferred",
    )
    stalled = next(ti for ti in by_task(tis, ANALYSIS_JOB) if ti["rendered_map_index"] == "GCHU_Coastal_LT")
    running.mark(run.dag_id, run.run_id, ANALYSIS_JOB, stalled["map_index"], "failed")
    assert run.wait() == "failed"
    statuses = run.batch_statuses()
    assert statuses[BatchType.ANALYSIS] is BatchStatus.CANCELLED
    cancelled = [j for j in run.moodys_jobs() if j["kind"] == "model" and j["name"] == "GCHU_Coastal_LT"]
    assert [j["status"] for j in cancelled] == ["CANCELLED"]
    [title] = run.teams_titles()
    assert title.endswith("Cancelled: Analysis")

    run.admin.clear_job_outcomes()
    run.clear_failed()
    assert run.wait() == "success"
    run.assert_completed()


def test_on_existing_ask_answered_through_the_rest_api(deployment: Running) -> None:
    """A second run finds an analysis that exists in Moody's but whose job is to run again: the
    person answers the human-in-the-loop form through the REST API, keeping it."""
    from irp import job as jobs

    running, services = deployment
    run = CycleRun(*deployment, "dep-ask")
    run.start()
    assert run.wait() == "success"
    [analysis] = [j for j in run.store_jobs() if j["batch_type"] == BatchType.ANALYSIS and not j["skipped"]][:1]
    reopened = jobs.resubmit_job(analysis["id"], store=services.store)
    run.run_id = running.trigger(run.dag_id)
    answer = {"chosen_options": ["Keep existing (skip their jobs)"], "params_input": {}}
    answered: set[int] = set()

    def asking(tis: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [ti for ti in by_task(tis, ANALYSIS_PREPARE)
                if ti["state"] == "awaiting_input" and ti["try_number"] not in answered]  # fmt: skip

    def answered_or_asking(tis: list[dict[str, Any]]) -> bool:
        return bool(asking(tis)) or any(ti["state"] in FINISHED for ti in by_task(tis, ANALYSIS_PREPARE))

    # Airflow 3.3 can fail a task that has just paused for input on a stale executor event (the
    # worker's exit reported after the pause; apache/airflow#72716): its retry asks again, and the
    # person answers again, as here.
    while not any(ti["state"] in FINISHED for ti in by_task(run.tasks(), ANALYSIS_PREPARE)):
        [question] = asking(run.wait_for_tasks(lambda tis: bool(asking(tis)), "the question"))
        running.api.call(
            "PATCH",
            f"/dags/{run.dag_id}/dagRuns/{run.run_id}/taskInstances/{ANALYSIS_PREPARE}/-1/hitlDetails",
            json=answer,
        )
        answered.add(question["try_number"])
        assert len(answered) <= 3, "asked again and again"
        run.wait_for_tasks(answered_or_asking, "the answer taken, or the question asked again")
    assert run.wait() == "success"
    assert run.batch_statuses() == ALL_COMPLETED
    assert jobs.read_job(reopened, store=services.store).skipped
    run.assert_one_moodys_job_per_store_job()


def test_a_repair_with_changed_parameters_through_the_repair_dag(deployment: Running) -> None:
    """Issue 11 on the deployment: an analysis fails; a person triggers ``irp_repair`` through the
    REST API (the trigger form) with a new event rate and a reason, then clears the failed task."""
    from irp import job as jobs
    from irp.repair import repair_log
    from irp.repair_request import REPAIR_DAG_ID, RepairAction, RepairOrigin

    running, services = deployment
    run = CycleRun(*deployment, "dep-repair")
    run.start(prepare=lambda admin: admin.job_outcome(kind="model", nameRegex="^GCHU_Coastal_LT$", outcome="FAILED"))
    assert run.wait() == "failed"
    [failed] = [j for j in run.store_jobs() if j["batch_type"] == BatchType.ANALYSIS and j["status"] == "FAILED"]

    running.wait_for_dag(REPAIR_DAG_ID)
    conf = {
        "action": RepairAction.RESUBMIT_WITH_CHANGES.value,
        "job_id": failed["id"],
        "parameters": {"Event Rate": NEW_EVENT_RATE},
        "reason": "The quarter's event rate was wrong",
    }
    repair_run = running.trigger(REPAIR_DAG_ID, conf)
    assert running.wait_for_run(REPAIR_DAG_ID, repair_run, timeout=300) == "success"
    [record] = repair_log(job_id=failed["id"], store=services.store)
    assert (record.requested_by, record.origin, record.run_id) == ("operator", RepairOrigin.AIRFLOW, repair_run)
    new_job = jobs.latest_job(failed["id"], store=services.store)
    assert new_job.parent_job_id == failed["id"]

    run.admin.clear_job_outcomes()
    run.clear_failed()
    assert run.wait() == "success"
    run.assert_completed()
    submitted = jobs.read_job(new_job.id, store=services.store)
    assert (submitted.submission_request or {})["configuration"]["Event Rate"] == NEW_EVENT_RATE
