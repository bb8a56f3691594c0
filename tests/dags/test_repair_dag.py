"""Repairs through the ``irp_repair`` DAG, end to end: ``dag.test(run_conf=…)`` against Postgres
and the Moody's simulator, after real cycle runs, and the cycle run going on after the repair."""

from __future__ import annotations

import re
from typing import Any

from irp import batch as batches
from irp import job as jobs
from irp.configuration import load_configuration
from irp.constants import BatchStatus, BatchType, CycleStatus, JobStatus
from irp.cycle import read_cycle
from irp.repair import repair_log
from irp.repair_request import REPAIR_DAG_ID, RepairAction, RepairOrigin
from tests.dags.conftest import SAMPLE_WORKBOOK, CycleHarness
from tests.dags.test_cycle_repair import analysis_job, model_jobs, statuses
from tests.repair.conftest import edited_workbook
from tests.support.airflow_runs import clear_and_resume, task_states

FAILING_ANALYSIS = "GCHU_Coastal_NT"
FAILING_EDM = "RM_EDM_202606_Quarterly_CAEQ"
NEW_EVENT_RATE = "RMS 2025 Stochastic Event Rates"
#: Who Airflow records as the triggering user of a ``dag.test()`` run.
TEST_USER = "dag_test"


def repair_dag(cycle: CycleHarness) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    from tests.conftest import ROOT

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    return bag.get_dag(REPAIR_DAG_ID)


def run_repair(harness: CycleHarness, /, **conf: Any) -> tuple[Any, Any]:
    """Trigger the repair DAG as the trigger form does; returns the run and the repair task's XCom."""
    run = repair_dag(harness).test(run_conf=conf)
    return run, xcom(run)


def xcom(run: Any, key: str = "return_value") -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        value = session.scalar(
            XComModel.get_many(run_id=run.run_id, key=key, dag_ids=run.dag_id, task_ids="repair").with_only_columns(
                XComModel.value
            )
        )
    return None if value is None else XComModel.deserialize_value(type("Row", (), {"value": value})())


def failed_with_downstream(dag: Any, run: Any) -> Any:
    """What a person clears in the UI: the failed task instances with their downstream (its default)."""
    failed = {task_id for (task_id, _), state in task_states(run).items() if state in ("failed", "upstream_failed")}
    downstream = set().union(*(dag.get_task(task_id).get_flat_relative_ids(upstream=False) for task_id in failed))
    return lambda ti: ti.task_id in failed | downstream


def snapshot(cycle: CycleHarness) -> list[list[dict[str, Any]]]:
    with cycle.store.transaction() as cursor:
        tables = ["irp_cycle", "irp_batch", "irp_job_configuration", "irp_job", "irp_repair_log"]
        result = []
        for table in tables:
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")
            result.append(cursor.fetchall())
        return result


def test_the_form_asks_for_an_action_and_a_reason(cycle: CycleHarness) -> None:
    dag = repair_dag(cycle)
    schema = {name: param.schema for name, param in dag.params.items()}
    assert schema["action"]["enum"] == [action.value for action in RepairAction]
    assert schema["reason"]["pattern"] == r"\S"
    assert not dag.params.get_param("reason").has_value  # required: no default
    assert schema["parameters"]["type"] == "object"
    assert [task.task_id for task in dag.tasks] == ["repair"]
    assert (dag.schedule, dag.is_paused_upon_creation) == (None, False)


def test_resubmit_with_changes_then_clearing_the_task_submits_the_new_job(cycle: CycleHarness) -> None:
    cycle.simulator.admin.job_outcome(kind="model", nameRegex=f"^{FAILING_ANALYSIS}$", outcome="FAILED")
    cycle_run = cycle.run()
    assert cycle_run.state == "failed"
    failed = analysis_job(cycle, FAILING_ANALYSIS)
    assert failed.status is JobStatus.FAILED
    before = snapshot(cycle)

    # Bad values: refused field by field, nothing written.
    bad = {"Event Rate": "RMS 1999 Event Rates", "Output Profile": 7, "Colour": "red"}
    run, _ = run_repair(cycle, action="resubmit_with_changes", job_id=failed.id, parameters=bad, reason="typo")
    assert run.state == "failed"
    assert [(e["field"], e["rule"]) for e in xcom(run, "refused")] == [
        ("parameters.Colour", "parameters"),
        ("parameters.Output Profile", "cell-type"),
        ("parameters.Event Rate", "unknown-reference-data"),
    ]
    assert snapshot(cycle) == before

    # Good values: the job and its configuration are replaced.
    run, outcome = run_repair(
        cycle, action="resubmit_with_changes", job_id=failed.id, parameters={"Event Rate": NEW_EVENT_RATE},
        reason="Event rate of the quarter was wrong",
    )  # fmt: skip
    assert run.state == "success"
    new_job = jobs.read_job(outcome["new_job_id"], store=cycle.store)
    assert (new_job.status, new_job.parent_job_id) == (JobStatus.INITIATED, failed.id)
    old_config = jobs.get_job_config(failed.id, store=cycle.store)
    assert (old_config.skipped, old_config.override_job_configuration_id) == (True, new_job.job_configuration_id)
    (record,) = repair_log(job_id=failed.id, store=cycle.store)
    assert (record.requested_by, record.origin, record.dag_id, record.run_id) == (
        TEST_USER, RepairOrigin.AIRFLOW, REPAIR_DAG_ID, run.run_id,
    )  # fmt: skip
    assert record.reason == "Event rate of the quarter was wrong"

    # The run names the task instance to clear, by its address in the Airflow UI.
    clear = outcome["messages"][-1]
    match = re.search(rf"/dags/{cycle.dag_id}/runs/([^/]+)/tasks/analysis\.job/mapped/(\d+) ", clear)
    assert match, clear
    map_index = int(match.group(2))
    from airflow.utils.session import create_session

    with create_session() as session:
        (ti,) = [
            ti for ti in cycle_run.get_task_instances(session=session)
            if ti.task_id == "analysis.job" and ti.map_index == map_index
        ]  # fmt: skip
        assert ti.rendered_map_index == FAILING_ANALYSIS

    # The person clears the failed tasks of the cycle run (the cause is fixed in Moody's).
    cycle.simulator.admin.clear_job_outcomes()
    dag = cycle.dag()
    cycle_run = clear_and_resume(dag, cycle_run, failed_with_downstream(dag, cycle_run))
    assert cycle_run.state == "success", {k: v for k, v in task_states(cycle_run).items() if v == "failed"}
    submitted = jobs.read_job(new_job.id, store=cycle.store)
    assert submitted.status is JobStatus.FINISHED
    assert (submitted.submission_request or {})["configuration"]["Event Rate"] == NEW_EVENT_RATE
    assert [j["status"] for j in model_jobs(cycle, FAILING_ANALYSIS)] == ["FAILED", "FINISHED"]
    assert {b.status for b in statuses(cycle).values()} == {BatchStatus.COMPLETED}


def test_a_skipped_job_lets_its_batch_complete_and_a_later_batch_type_names_what_is_missing(
    cycle: CycleHarness,
) -> None:
    cycle.simulator.admin.job_outcome(kind="riskdata", nameRegex=FAILING_EDM, outcome="FAILED")
    cycle_run = cycle.run()
    assert cycle_run.state == "failed"
    edm_batch = statuses(cycle)["EDM Creation"]
    assert edm_batch.status is BatchStatus.FAILED
    (failed,) = batches.get_batch_jobs(edm_batch.batch_id, status=JobStatus.FAILED, store=cycle.store)

    run, outcome = run_repair(cycle, action="skip_job", job_id=failed.id, reason="EDM is built by hand this quarter")

    assert run.state == "success"
    assert outcome["batch_status"] == BatchStatus.COMPLETED
    config = jobs.get_job_config(failed.id, store=cycle.store)
    assert (config.skipped, config.skipped_reason_txt) == (True, "EDM is built by hand this quarter")
    assert jobs.read_job(failed.id, store=cycle.store).skipped

    dag = cycle.dag()
    cycle_run = clear_and_resume(dag, cycle_run, failed_with_downstream(dag, cycle_run))
    states = task_states(cycle_run)
    assert {state for (task, _), state in states.items() if task == "edm_creation.job"} == {"success", "skipped"}
    assert states[("portfolio_creation.prepare", -1)] == "failed"
    validation = [text for title, text in zip(cycle.teams.titles(), cycle.teams.texts(), strict=True)
                  if "Validation Failed: Portfolio Creation" in title]  # fmt: skip
    assert validation
    assert FAILING_EDM in validation[0]


def test_cancel_and_archive_through_the_dag(cycle: CycleHarness) -> None:
    from irp.repair import default_backend

    result = load_configuration(cycle.name, SAMPLE_WORKBOOK, store=cycle.store)
    created = batches.create_batches(
        result.configuration_id,
        {BatchType.EDM_CREATION: [{"Database": f"RM_EDM_202606_Quarterly_T{i}", "Store in Data Bridge?": "Y",
                                   "Metadata": {}} for i in range(2)]},
        store=cycle.store,
    )  # fmt: skip
    batch_id = created[BatchType.EDM_CREATION]
    batches.activate_batch(batch_id, store=cycle.store)
    cycle.simulator.admin.job_outcome(kind="riskdata", nameRegex=".*", outcome="STALL")
    backend = default_backend(BatchType.EDM_CREATION, cycle.name)
    first, second = (job.id for job in batches.get_batch_jobs(batch_id, store=cycle.store))
    for job_id in (first, second):
        jobs.submit_job(job_id, backend, store=cycle.store)

    run, _ = run_repair(cycle, action="archive_cycle", cycle=cycle.name, reason="new workbook")
    assert run.state == "failed"  # jobs still run in Moody's
    assert "cancel those batches first" in xcom(run, "refused")[0]["message"]

    run, outcome = run_repair(cycle, action="cancel_job", job_id=first, reason="wrong EDM")
    assert run.state == "success"
    assert outcome["job_statuses"] == {str(first): "CANCELLED"}
    run, outcome = run_repair(cycle, action="cancel_batch", batch_id=batch_id, reason="stop the quarter")
    assert run.state == "success"
    assert outcome["job_statuses"] == {str(second): "CANCELLED"}
    assert outcome["batch_status"] == BatchStatus.CANCELLED
    simulated = {str(j["jobId"]): j["status"] for j in cycle.simulator.admin.state()["jobs"]}
    for job_id in (first, second):
        assert simulated[jobs.read_job(job_id, store=cycle.store).moodys_workflow_id or ""] == "CANCELLED"

    run, _ = run_repair(cycle, action="archive_cycle", cycle=cycle.name, reason="new workbook")
    assert run.state == "success"
    assert read_cycle(cycle.name, store=cycle.store).status is CycleStatus.ARCHIVED
    assert [(r.action, r.requested_by) for r in repair_log(cycle_name=cycle.name, store=cycle.store)] == [
        (RepairAction.ARCHIVE_CYCLE, TEST_USER),
        (RepairAction.CANCEL_BATCH, TEST_USER),
        (RepairAction.CANCEL_JOB, TEST_USER),
    ]
    edited = edited_workbook(cycle.storage.parent, "Metadata", "B12", "Annual")
    assert load_configuration(f"{cycle.name}-v2", edited, store=cycle.store).created
