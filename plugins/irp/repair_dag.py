"""The ``irp_repair`` DAG: one run per repair, triggered from the UI's trigger form.

Its params render as the form (the action, the job, batch or cycle it applies to, the job's new
parameters, a reason). The run is Airflow's audit trail of the repair — who triggered it, when,
with which values — and the store records the same with the reason (:mod:`irp.repair`).

After a resubmission with changes the run's log links to the job's task instance in the cycle's
DAG run: clearing it submits the new job. The repair does not clear it itself: Airflow's task
execution API lets a task clear only a whole DAG run (which would re-run every batch type), and
a task holds no user credential for the REST API's per-task clear.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow.sdk import DAG, Param, task
from airflow.sdk.exceptions import AirflowFailException

from irp.constants import BatchType
from irp.repair_request import REPAIR_DAG_ID, RepairAction, RepairOrigin, RepairRequest, Requester, RequestField

REPAIR_TASK_ID = "repair"
#: XCom key of the findings of a refused repair (the XCom tab shows them field by field).
XCOM_REFUSED = "refused"

DOC = """
### Repair a cycle

Pick the **action**, fill in what it applies to and give a **reason** (kept with the repair,
beside who asked and when). The dashboard's job and batch pages open this form pre-filled.

| action | needs | what it does |
|---|---|---|
| Resubmit with changes | job id, new parameters | checks them with the workbook's rules; skips the job and its configuration; prepares a new job on a new configuration. Clear the job's task in the cycle run (this run's log links to it) to submit it. |
| Skip job | job id | skips the job and its configuration: recon leaves them out |
| Cancel job | job id | cancels the job in Moody's and in the store |
| Cancel batch | batch id | cancels every unfinished job of the batch |
| Archive cycle | cycle | archives the cycle, so an edited workbook can be loaded into a new cycle |

A refused repair changes nothing; the task's log (and its XCom `refused`) says why, field by field.
"""  # noqa: E501


def repair_params() -> dict[str, Param]:
    return {
        "action": Param(
            type="string",
            enum=[action.value for action in RepairAction],
            values_display={action.value: action.label for action in RepairAction},
            title="Action",
            description="What to do.",
        ),
        "job_id": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            title="Job id",
            description="Resubmit with changes, skip job, cancel job: the job (as on the dashboard).",
        ),
        "batch_id": Param(None, type=["null", "integer"], minimum=1, title="Batch id", description="Cancel batch."),
        "cycle": Param(None, type=["null", "string"], title="Cycle", description="Archive cycle: the cycle's name."),
        "parameters": Param(
            {},
            type="object",
            title="New parameters",
            description="Resubmit with changes: the job's configuration with your changes (the dashboard fills in "
            "the current one; fields left out keep their value). Checked with the workbook's rules.",
        ),
        "reason": Param(
            type="string",
            minLength=1,
            maxLength=1000,
            pattern=r"\S",
            title="Reason",
            description="Why: kept with the repair, beside who asked and when.",
        ),
    }


def request_from_params(params: Any, requester: Requester) -> RepairRequest:
    """The repair the form asks for (values are JSON-schema checked by Airflow already)."""

    def value(name: str) -> Any:
        item = params.get(name)
        return item if item not in ("", {}) else None

    return RepairRequest(
        action=RepairAction(params["action"]),
        reason=str(params.get(RequestField.REASON) or ""),
        requester=requester,
        job_id=value("job_id"),
        batch_id=value("batch_id"),
        cycle=value("cycle"),
        parameters=value(RequestField.PARAMETERS),
    )


def triggering_user(dag_run: Any) -> str:
    """Who triggered the run, as Airflow recorded it (``dag_test`` for ``dag.test()``)."""
    user = getattr(dag_run, "triggering_user_name", None)
    return user or f"<{getattr(dag_run, 'triggered_by', None) or 'unknown'}>"


def _repair(**context: Any) -> dict[str, Any]:
    """Make the repair; a refusal fails the run with every finding and changes nothing."""
    import logging

    from irp.repair import RepairRefused, repair

    log = logging.getLogger("airflow.task")
    ti, dag_run = context["ti"], context["dag_run"]
    requester = Requester(triggering_user(dag_run), RepairOrigin.AIRFLOW, ti.dag_id, ti.run_id)
    request = request_from_params(context["params"], requester)
    log.info("%s requested by %s: %s", request.action.label, requester.user, request.reason)
    try:
        outcome = repair(request)
    except RepairRefused as exc:
        ti.xcom_push(key=XCOM_REFUSED, value=[error.__dict__ for error in exc.errors])
        raise AirflowFailException(str(exc)) from exc
    if outcome.new_job_id is not None and outcome.batch_id is not None:
        outcome.messages.append(clear_instructions(ti, outcome.batch_id, outcome.job_id or 0, outcome.new_job_id))
    for message in outcome.messages:
        log.info("%s", message)
    log.info("Recorded as repair %s of cycle %s.", outcome.repair_id, outcome.cycle_name)
    return outcome.as_dict()


def clear_instructions(ti: Any, batch_id: int, job_id: int, new_job_id: int) -> str:
    """Where to clear the job's task in the cycle's run: the mapped task instance's UI address."""
    from irp import batch as batches
    from irp import job as jobs
    from irp.dashboard import urls
    from irp.operators.batch import XCOM_SEED
    from irp.settings import Settings

    batch = batches.read_batch(batch_id)
    base = Settings.load().airflow_base_url.rstrip("/")
    if not (batch.dag_id and batch.run_id and batch.task_group_id):
        return f"{batch.batch_type} batch {batch_id} has not started: the cycle's run submits job {new_job_id} there."
    chain = _chain(job_id, jobs)
    prepare = f"{batch.task_group_id}.prepare"
    seed = None
    if batch.batch_type is BatchType.EXPORT_TO_RDM:
        seed = ti.xcom_pull(dag_id=batch.dag_id, run_id=batch.run_id, task_ids=prepare, key=XCOM_SEED)
    if seed and int(seed.get("job_id", 0)) in chain:  # the seed job runs in the prepare task
        task_id, map_index = prepare, None
    else:
        listed = ti.xcom_pull(dag_id=batch.dag_id, run_id=batch.run_id, task_ids=prepare) or []
        index = next((i for i, entry in enumerate(listed) if int(entry.get("job_id", 0)) in chain), None)
        if index is None:
            group = base + urls.task_group_path(batch.dag_id, batch.run_id, batch.task_group_id)
            return (
                f"Job {job_id} is not among the tasks of {batch.dag_id} run {batch.run_id}: clear the task group "
                f"{batch.task_group_id} ({group}) or trigger a new run of the cycle to submit job {new_job_id}."
            )
        task_id, map_index = f"{batch.task_group_id}.job", index
    address = base + urls.task_instance_path(batch.dag_id, batch.run_id, task_id, map_index)
    return (
        f"To submit job {new_job_id}, clear the task instance {task_id}"
        f"{'' if map_index is None else f' [map index {map_index}]'} of {batch.dag_id} run {batch.run_id} with its "
        f"downstream: {address} . (This run cannot clear it itself: Airflow's task execution API clears only whole "
        "DAG runs, and a task holds no user credential for the REST API.)"
    )


def _chain(job_id: int, jobs: Any) -> set[int]:
    """``job_id`` and the jobs it resubmits (the mapped task keeps the id it was listed with)."""
    ids = set()
    current: int | None = job_id
    while current is not None and current not in ids:
        ids.add(current)
        current = jobs.read_job(current).parent_job_id
    return ids


def build_repair_dag() -> DAG:
    with DAG(
        dag_id=REPAIR_DAG_ID,
        description="Repair a cycle: resubmit a job with changes, skip or cancel a job or batch, archive a cycle",
        schedule=None,
        start_date=datetime(2026, 1, 1, tzinfo=UTC),
        catchup=False,
        # Triggered by people only, each run one repair: it must run when triggered, not wait for an unpause.
        is_paused_upon_creation=False,
        tags=["irp", "repair"],
        params=repair_params(),
        default_args={"retries": 0},
        doc_md=DOC,
    ) as dag:
        task(task_id=REPAIR_TASK_ID, retries=0)(_repair)()
    return dag
