"""The cycle DAG: a cycle declaration turned into tasks, nothing more.

    data_extraction → edm_creation → … → export_to_rdm → cycle_result

Each batch type is a task group of ``prepare`` (check the batch type before completed, entity
validation, activation, entities that already exist — asking a person only when something does —
and the job list) and ``job``, one mapped task instance per job (submit, then wait in the
triggerer). The first ``prepare`` also loads the workbook and creates the batches (the others read
their ids from its XCom); Export to RDM's runs the seed job that creates the RDM, deferring while
Moody's works, before listing the other jobs. ``cycle_result``, the run's only leaf, fails the run
unless every batch completed in it. The sample workbook's 61 jobs run in 73 task instances.

The task bodies live in :mod:`irp.operators`: this module plans the DAG from plain data
(:func:`plan_cycle`) and renders the plan (:func:`render_cycle`), as astronomer-cosmos does.

Building the DAG reads only the cycle's declaration: no database, network or workbook work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, BaseOperator, Param, TaskGroup, XComArg

from irp.assets import cycle_asset
from irp.constants import BatchType
from irp.cycles import (
    DAG_ID_PREFIX,
    ENTITIES_MAY_EXIST,
    BatchTypeSettings,
    CycleDeclaration,
    DeclarationError,
    OnExisting,
    load_declarations,
)
from irp.operators.batch import (
    XCOM_BATCH_IDS,
    CycleResultOperator,
    PrepareBatchOperator,
    PrepareExistingOperator,
    ReportErrorOperator,
)
from irp.operators.job import MoodysJobOperator
from irp.settings import Settings

START_DATE = datetime(2026, 1, 1, tzinfo=UTC)
#: Rendered as each job task instance's name: the entity its job is about.
JOB_LABEL = "{{ task.job['label'] }}"
#: Retries of the tasks that are not about one batch type (the verdict).
DEFAULT_RETRIES = 2
DEFAULT_RETRY_DELAY = timedelta(seconds=20)


@dataclass(frozen=True)
class BatchPlan:
    """One batch type's task group, as plain data."""

    batch_type: BatchType
    settings: BatchTypeSettings
    poll_interval: float
    #: Entities its jobs create may already exist in Moody's (on_existing applies).
    may_exist: bool
    #: Export to RDM: a seed job that creates the RDM runs (in ``prepare``) before the others.
    seed: bool
    #: The asset the batch type before this one updates, published once this one may start.
    previous_asset: Any


@dataclass(frozen=True)
class CyclePlan:
    declaration: CycleDeclaration
    pool: str
    batches: tuple[BatchPlan, ...]
    final_asset: Any


def plan_cycle(declaration: CycleDeclaration, settings: Settings) -> CyclePlan:
    """What the cycle's DAG holds, from its declaration and the ``[irp]`` settings alone."""
    order = list(BatchType)
    batches = tuple(
        BatchPlan(
            batch_type=batch_type,
            settings=declaration.settings_for(batch_type),
            poll_interval=declaration.settings_for(batch_type).poll_interval or settings.poll_interval,
            may_exist=batch_type in ENTITIES_MAY_EXIST,
            seed=batch_type is BatchType.EXPORT_TO_RDM,
            previous_asset=cycle_asset(declaration.name, order[index - 1]) if index else None,
        )
        for index, batch_type in enumerate(order)
    )
    return CyclePlan(declaration, settings.moodys_pool, batches, cycle_asset(declaration.name, order[-1]))


def _render_batch(
    plan: BatchPlan, cycle: CyclePlan, batch_ids: Any, upstream: list[Any]
) -> tuple[BaseOperator, list[Any]]:
    """The batch type's task group; returns its prepare task and the tasks the next batch type
    waits for. ``batch_ids`` is ``None`` for the first batch type: its prepare loads the workbook."""
    settings, name, batch_type = plan.settings, cycle.declaration.name, plan.batch_type
    retry = {"retries": settings.retries, "retry_delay": settings.retry_delay}
    prepare_class = PrepareExistingOperator if plan.may_exist else PrepareBatchOperator
    job_arguments: dict[str, Any] = {
        "batch_type": batch_type.value, "cycle_name": name, "poll_interval": plan.poll_interval,
        "timeout": settings.timeout, "defer_after": settings.defer_after,
    }  # fmt: skip
    with TaskGroup(group_id=batch_type.slug, tooltip=batch_type.value):
        prepare = prepare_class(
            task_id="prepare", batch_type=batch_type, cycle_name=name, batch_ids=batch_ids,
            workbook=cycle.declaration.workbook if batch_ids is None else None,
            # The seed job is a Moody's submission: it takes a slot of the pool as job tasks do.
            seed=job_arguments if plan.seed else None, **({"pool": cycle.pool} if plan.seed else {}),
            # The batch types before are done without failure; one the workbook does not need
            # lists no job (its job task is skipped) and must not stop the next one.
            trigger_rule="none_failed_min_one_success",
            outlets=[plan.previous_asset] if plan.previous_asset else [], **retry,
        )  # fmt: skip
        upstream >> prepare
        jobs = MoodysJobOperator.partial(
            task_id="job", map_index_template=JOB_LABEL, pool=cycle.pool, **job_arguments, **retry
        ).expand(job=prepare.output)
        prepare >> jobs
    return prepare, [prepare, jobs]


def render_cycle(plan: CyclePlan) -> DAG:
    declaration = plan.declaration
    with DAG(
        dag_id=declaration.dag_id,
        description=declaration.description or f"Cycle {declaration.name}",
        schedule=declaration.schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["irp", "cycle", *declaration.tags],
        params={
            "on_existing": Param(
                declaration.on_existing.value,
                type="string",
                enum=[o.value for o in OnExisting],
                description="Entities that already exist in Moody's: ask a person, skip them, or delete "
                "and re-run them",
            )
        },
        default_args={"retries": DEFAULT_RETRIES, "retry_delay": DEFAULT_RETRY_DELAY},
        doc_md=__doc__,
    ) as dag:
        batch_ids: Any = None
        upstream: list[Any] = []
        for batch in plan.batches:
            prepare, upstream = _render_batch(batch, plan, batch_ids, upstream)
            if batch_ids is None:
                batch_ids = XComArg(prepare, key=XCOM_BATCH_IDS)
        poll_intervals = {batch.batch_type.value: batch.poll_interval for batch in plan.batches}
        verdict = CycleResultOperator(
            task_id="cycle_result", batch_ids=batch_ids, cycle_name=declaration.name, poll_intervals=poll_intervals,
            trigger_rule="all_done", retries=0, outlets=[plan.final_asset] if plan.final_asset else [],
        )  # fmt: skip
        upstream >> verdict
        if batch_ids is not None:
            batch_ids.operator >> verdict  # not a template field: the dependency is set here
    return dag


def build_cycle_dag(declaration: CycleDeclaration) -> DAG:
    return render_cycle(plan_cycle(declaration, Settings.load()))


def broken_declaration_dag(error: DeclarationError) -> DAG:
    """A DAG standing for a cycle file that could not be read: its one task fails with the error."""
    with DAG(
        dag_id=f"{DAG_ID_PREFIX}broken__{error.source.stem}".replace(" ", "_"),
        description=error.message[:200],
        schedule=None,
        start_date=START_DATE,
        tags=["irp", "cycle", "broken"],
        doc_md=f"The cycle file `{error.source}` could not be read:\n\n```\n{error.message}\n```",
    ) as dag:
        ReportErrorOperator(task_id="report_error", message=error.message, retries=0)
    return dag


def build_cycle_dags(folder: Path, dag_id: str | None = None) -> list[DAG]:
    """Every cycle's DAG; a declaration that cannot be read or built yields a broken-cycle DAG
    instead, so one bad file never hides the other cycles.

    ``dag_id`` (Airflow's parsing context while a task runs) builds that cycle's DAG only: every
    task instance parses the file, and it needs its own DAG, not every cycle's.
    """
    declarations, errors = load_declarations(folder)
    if dag_id is not None:
        declarations = [declaration for declaration in declarations if declaration.dag_id == dag_id]
    dags = []
    for declaration in declarations:
        try:
            dags.append(build_cycle_dag(declaration))
        except Exception as exc:  # an invalid setting Airflow itself refused
            errors.append(DeclarationError(declaration.source, f"{declaration.source}: {exc}"))
    return dags + [broken_declaration_dag(error) for error in errors]
