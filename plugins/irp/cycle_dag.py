"""The cycle DAG: one DAG per declared cycle, one task group per batch type.

    load_configuration → create_batches → data_extraction → edm_creation → … → export_to_rdm

Each batch type's group: ``validate`` (entity validation; activates the batch) → for Analysis,
Grouping and Export, what to do with entities that already exist (``on_existing``, possibly
asking a person) → ``jobs`` (the batch's live jobs) → a task group mapped over them, with
``submit`` and, for asynchronous types, a deferrable ``wait`` → ``recon``, which fails unless
the batch is COMPLETED. The next group's ``validate`` starts only after a successful ``recon``, so
after a failed batch the later groups end upstream_failed or skipped — one group shows red — and
``cycle_result``, the run's only leaf, fails the run.

Building the DAG reads only the cycle's declaration: no database, network or workbook work.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, TaskGroup, task, task_group
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from irp.assets import cycle_asset
from irp.constants import BatchStatus, BatchType
from irp.cycles import (
    DAG_ID_PREFIX,
    BatchTypeSettings,
    CycleDeclaration,
    DeclarationError,
    OnExisting,
    load_declarations,
)
from irp.existing import POLICIES, Decision
from irp.labels import job_label
from irp.notifications.teams import CardAction
from irp.operators.job import SubmitJobOperator
from irp.sensors.job import MoodysJobSensor
from irp.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

#: How long recon keeps asking Moody's about jobs that no task follows any more (a wait that timed
#: out or that a person stopped) before it reports what it has: Moody's takes a while to go
#: CANCEL_REQUESTED → CANCELLING → CANCELLED, and recon must report the end, not a stalled batch.
UNTRACKED_SETTLE_SECONDS = 120.0
#: Longest pause between two of those polls (a batch type's poll_interval may be minutes).
UNTRACKED_POLL_SECONDS = 5.0


def _workbook_path(workbook: str) -> str:
    return workbook if workbook.startswith("/") or "://" in workbook else str(PROJECT_ROOT / workbook)


def _links(settings: Settings, ti: Any, cycle_name: str, batch_id: int) -> tuple[CardAction, ...]:
    """Buttons of a Teams message: the batch on the dashboard and the DAG run in Airflow."""
    from irp.dashboard import urls

    base = settings.airflow_base_url.rstrip("/")
    return (
        CardAction("Open batch dashboard", urls.batch_url(base, cycle_name, batch_id)),
        CardAction("Open DAG run", base + urls.dag_run_path(ti.dag_id, ti.run_id)),
    )


# -- tasks -----------------------------------------------------------------------------------------
@task(retries=0)
def load_configuration(cycle_name: str, workbook: str) -> int:
    """Validate the workbook and store it; an invalid workbook fails with every error, writing nothing."""
    from irp.configuration import InvalidConfigurationError
    from irp.configuration import load_configuration as load
    from irp.exceptions import ConfigurationError

    try:
        result = load(cycle_name, _workbook_path(workbook))
    except InvalidConfigurationError as exc:
        raise AirflowFailException(str(exc)) from exc
    except ConfigurationError as exc:
        raise AirflowFailException(str(exc)) from exc
    for warning in result.warnings:
        print(f"warning: {warning}")
    state = "loaded" if result.created else "unchanged, reusing"
    print(f"Configuration {result.configuration_id} of cycle {cycle_name} {state} (sha256 {result.content_sha256})")
    return result.configuration_id


@task
def create_batches(configuration_id: int) -> dict[str, int]:
    """One batch per batch type the workbook needs, created together; a re-run reuses them."""
    from irp import batch as batches
    from irp.batch import configuration_data
    from irp.configuration import generate_job_configurations, required_batch_types

    document = configuration_data(configuration_id)
    wanted = {bt: generate_job_configurations(document, bt) for bt in required_batch_types(document)}
    created = batches.create_batches(configuration_id, wanted)
    for batch_type, batch_id in created.items():
        print(f"{batch_type}: batch {batch_id} ({len(wanted[batch_type])} jobs)")
    return {batch_type.value: batch_id for batch_type, batch_id in created.items()}


def _batch_id(batch_ids: dict[str, int], batch_type: BatchType) -> int:
    batch_type = BatchType.parse(batch_type)  # task arguments arrive serialized, as text
    if batch_type.value not in batch_ids:
        raise AirflowSkipException(f"This cycle's workbook needs no {batch_type} batch")
    return int(batch_ids[batch_type.value])


def _validate(batch_type: BatchType, batch_ids: dict[str, int], cycle_name: str, **context: Any) -> int:
    """Entity validation of the jobs still to run; every blocking message is listed."""
    from irp import batch as batches
    from irp.backends import entity_validator
    from irp.notifications.teams import TeamsMessage, send
    from irp.records import BatchStep

    settings = Settings.load()
    batch_type = BatchType.parse(batch_type)
    batch_id = _batch_id(batch_ids, batch_type)
    ti = context["ti"]
    step = BatchStep(ti.dag_id, ti.run_id, batch_type.slug)
    messages = []
    if batch_type is not BatchType.DATA_EXTRACTION:
        messages = batches.validate_batch(batch_id, entity_validator(cycle_name, settings))
    existing_code = POLICIES[batch_type].code if batch_type in POLICIES else None
    blocking = [m for m in messages if m.blocking and m.code != existing_code]
    for message in messages:
        if not message.blocking:
            print(f"warning: {message}")
    if blocking:
        text = "\n".join(str(m) for m in blocking)
        send(
            TeamsMessage(
                title=f"[{cycle_name}] Validation Failed: {batch_type}",
                text=f"**Cycle:** {cycle_name}\n**Batch Type:** {batch_type}\n**Batch ID:** {batch_id}\n\n"
                f"**Validation Errors:**\n{text}",
                actions=_links(settings, ti, cycle_name, batch_id),
            ),
            settings.teams_conn_id,
        )
        raise AirflowFailException(f"{batch_type} batch {batch_id} failed entity validation:\n{text}")
    # Attached to this run only now: recon trusts a batch that this run's validation passed.
    batches.activate_batch(batch_id, step=step)
    return batch_id


def _find_existing(batch_id: int, cycle_name: str) -> list[dict[str, Any]]:
    from irp.backends import entity_validator
    from irp.existing import find_existing

    found = find_existing(batch_id, entity_validator(cycle_name, Settings.load()))
    for item in found:
        print(f"exists in Moody's: {item.entity} (job {item.job_id}, {item.status})")
    return [{"job_id": item.job_id, "status": item.status.value, "entity": item.entity} for item in found]


def _needs_answer(existing: list[dict[str, Any]], **context: Any) -> bool:
    return bool(existing) and context["params"]["on_existing"] == OnExisting.ASK


def _apply_existing(batch_id: int, existing: list[dict[str, Any]], cycle_name: str, **context: Any) -> None:
    from irp.backends import entity_validator
    from irp.constants import JobStatus
    from irp.existing import ExistingJob, keep, rerun

    if not existing:
        return
    items = [ExistingJob(e["job_id"], JobStatus(e["status"]), e["entity"]) for e in existing]
    choice = context["params"]["on_existing"]
    selected: set[str] | None = None
    if choice == OnExisting.ASK:
        answer = context["ti"].xcom_pull(task_ids=f"{context['ti'].task_id.rsplit('.', 1)[0]}.ask_existing") or {}
        option = (answer.get("chosen_options") or [Decision.KEEP.value])[0]
        choice = OnExisting.SKIP if option == Decision.KEEP else OnExisting.RERUN
        if option == Decision.RERUN_SELECTED:
            selected = set((answer.get("params_input") or {}).get("rerun") or [])
    chosen = [i for i in items if selected is None or i.entity in selected]
    kept = [i for i in items if i not in chosen] if choice == OnExisting.RERUN else items
    if choice == OnExisting.RERUN:
        # A retry (after an outage part-way through the deletes) deletes only what is still there.
        recheck = context["ti"].try_number > 1
        errors = rerun(batch_id, chosen, entity_validator(cycle_name, Settings.load()), recheck=recheck)
        if errors:
            raise AirflowFailException("Could not delete existing entities:\n" + "\n".join(errors))
        print(f"deleted and re-running: {[i.entity for i in chosen]}")
    keep(kept)
    if kept:
        print(f"kept (jobs skipped): {[i.entity for i in kept]}")


def _list_jobs(batch_id: int, batch_type: BatchType, seed: bool = False) -> list[dict[str, Any]]:
    """The batch's live jobs, as the mapped tasks' input. Export to RDM: the seed job apart."""
    from irp import batch as batches

    batch_type = BatchType.parse(batch_type)
    configs = {c.id: c.job_configuration_data for c in batches.get_batch_job_configurations(batch_id)}
    return [
        {"job_id": job.id, "label": job_label(batch_type, job.id, configs[job.job_configuration_id])}
        for job in batches.get_batch_jobs(batch_id, skipped=False)
        if batch_type is not BatchType.EXPORT_TO_RDM
        or bool(configs[job.job_configuration_id].get("is_seed_job")) == seed
    ]


def _seed_job(batch_id: int) -> dict[str, Any]:
    seeds = _list_jobs(batch_id, BatchType.EXPORT_TO_RDM, seed=True)
    if len(seeds) != 1:
        raise AirflowFailException(f"Export to RDM batch {batch_id} must have exactly one seed job, has {len(seeds)}")
    return seeds[0]


def _refresh_untracked(batch_id: int, batch_type: BatchType, cycle_name: str, poll_interval: float) -> None:
    """Ask Moody's about jobs still in flight although no task follows them any more (a wait that
    timed out or that a person stopped, whose job is being cancelled), until they end or
    ``UNTRACKED_SETTLE_SECONDS`` pass, so recon reports CANCELLED rather than a stalled batch.

    An outage raises ``MoodysUnavailableError``: recon is retried. Any other error is logged and
    recon goes on with what the store knows.
    """
    from irp import batch as batches
    from irp import job as jobs
    from irp.backends import job_backend
    from irp.moodys.errors import MoodysUnavailableError

    if batch_type.synchronous:
        return
    pending = [j.id for j in batches.get_batch_jobs(batch_id, skipped=False) if j.status.in_progress and j.submitted]
    if not pending:
        return
    backend = job_backend(batch_type, cycle_name, Settings.load())
    interval = min(poll_interval, UNTRACKED_POLL_SECONDS)
    deadline = time.monotonic() + UNTRACKED_SETTLE_SECONDS
    while True:
        still: list[int] = []
        for job_id in pending:
            try:
                status = jobs.track_job_status(job_id, backend)
            except jobs.JobError as exc:
                if isinstance(exc.__cause__, MoodysUnavailableError):
                    raise exc.__cause__ from exc
                log.warning("Could not refresh job %s: %s", job_id, exc)
                continue
            if status.in_progress:
                still.append(job_id)
        if not still or time.monotonic() + interval > deadline:
            if still:
                log.warning("Jobs %s are still in flight in Moody's after %.0f s", still, UNTRACKED_SETTLE_SECONDS)
            return
        log.info("Waiting for Moody's to end jobs %s (no task follows them)", still)
        time.sleep(interval)
        pending = still


def _completed_in_run(batch: Any, run_id: str) -> bool:
    return batch.run_id == run_id and batch.status is BatchStatus.COMPLETED


def _earlier_batches_completed(batch_ids: dict[str, int], batch_type: BatchType, run_id: str) -> bool:
    """Whether every batch of the batch types before ``batch_type`` completed in this run."""
    from irp import batch as batches

    order = list(BatchType)
    earlier = [bt.value for bt in order[: order.index(batch_type)] if bt.value in batch_ids]
    return all(_completed_in_run(batches.read_batch(int(batch_ids[value])), run_id) for value in earlier)


def _recon(
    batch_type: BatchType,
    batch_ids: dict[str, int] | None,
    cycle_name: str,
    poll_interval: float | None = None,
    **context: Any,
) -> str | None:
    """Reconcile the batch; notify Teams when it changed to FAILED/ERROR/CANCELLED or stalled.

    It runs when the job tasks are done, whatever their state. A batch not started in this run
    (its validation or an earlier batch type failed) skips, so the next batch types skip too and
    only the failed batch's group shows red. A batch type the workbook does not need succeeds
    when the earlier ones completed, so the next ones run.
    """
    from irp import batch as batches
    from irp.notifications.teams import BatchOutcome, batch_message, send

    batch_type = BatchType.parse(batch_type)
    ti = context["ti"]
    if not batch_ids:
        raise AirflowSkipException("No batches were created in this run")
    if batch_type.value not in batch_ids:
        if not _earlier_batches_completed(batch_ids, batch_type, ti.run_id):
            raise AirflowSkipException(f"An earlier batch type did not complete; {batch_type} is not needed anyway")
        log.info("This cycle's workbook needs no %s batch", batch_type)
        return None
    batch_id = int(batch_ids[batch_type.value])
    if batches.read_batch(batch_id).run_id != ti.run_id:
        raise AirflowSkipException(
            f"{batch_type} batch {batch_id} was not started in this run: its validation or an earlier batch type failed"
        )
    settings = Settings.load()
    _refresh_untracked(batch_id, batch_type, cycle_name, poll_interval or settings.poll_interval)
    result = batches.recon_batch(batch_id)
    summary = result.summary
    log.info("%s batch %s: %s -> %s", batch_type, batch_id, result.previous_status, result.status)
    log.info("jobs by status: %s", summary.job_status_counts)
    stalled = result.status is BatchStatus.ACTIVE  # every task is done, yet jobs are still in flight
    if (result.changed and result.status.needs_attention) or stalled:
        outcome = BatchOutcome(
            cycle_name, batch_type.value, batch_id, result.status, summary.job_status_counts,
            links=_links(settings, ti, cycle_name, batch_id),
        )  # fmt: skip
        send(batch_message(outcome), settings.teams_conn_id)
    if result.status is not BatchStatus.COMPLETED:
        raise AirflowFailException(
            f"{batch_type} batch {batch_id} is {result.status} (jobs: {summary.job_status_counts}). "
            "Clear the failed submit/wait task instances to resubmit their jobs."
        )
    for asset in context["task"].outlets:
        context["outlet_events"][asset].extra = _asset_extra(cycle_name, batch_type, batch_id)
    return result.status.value


def _cycle_result(batch_ids: dict[str, int] | None, **context: Any) -> None:
    """The run's verdict. Airflow derives a run's state from its leaves, and after a failed batch
    the later groups end skipped: this one leaf fails the run unless every batch completed in it."""
    from irp import batch as batches

    run_id = context["ti"].run_id
    if not batch_ids:
        raise AirflowFailException("No batches were created in this run: see load_configuration and create_batches")
    problems = []
    for batch_type in BatchType:
        if batch_type.value not in batch_ids:
            continue
        batch = batches.read_batch(int(batch_ids[batch_type.value]))
        if batch.run_id != run_id:
            problems.append(f"{batch_type} batch {batch.id}: not started in this run")
        elif batch.status is not BatchStatus.COMPLETED:
            problems.append(f"{batch_type} batch {batch.id}: {batch.status}")
    if problems:
        raise AirflowFailException("The cycle did not complete:\n" + "\n".join(problems))
    log.info("Every batch of the cycle completed: %s", sorted(batch_ids))


def _asset_extra(cycle_name: str, batch_type: BatchType, batch_id: int) -> dict[str, Any]:
    """What a downstream DAG learns from the asset event: the cycle, the batch, the entities."""
    from irp import batch as batches

    configs = [c.job_configuration_data for c in batches.get_batch_job_configurations(batch_id, skipped=False)]
    field = "rdm_name" if batch_type is BatchType.EXPORT_TO_RDM else "Database"
    names = sorted({str(c[field]) for c in configs if c.get(field)})
    return {"cycle": cycle_name, "batch_type": batch_type.value, "batch_id": batch_id, "entities": names}


# -- the DAG -----------------------------------------------------------------------------------------
def _job_tasks(
    batch_type: BatchType, job: Any, cycle_name: str, settings: BatchTypeSettings, pool: str, prefix: str = ""
) -> Any:
    label = "{{ task.job['label'] }}"
    submit = SubmitJobOperator(
        task_id=f"{prefix}submit", job=job, batch_type=batch_type.value, cycle_name=cycle_name, pool=pool,
        retries=settings.retries, retry_delay=settings.retry_delay, map_index_template=label,
    )  # fmt: skip
    if batch_type.synchronous:
        return submit
    wait = MoodysJobSensor(
        task_id=f"{prefix}wait", job=job, batch_type=batch_type.value, cycle_name=cycle_name,
        poll_interval=settings.poll_interval, timeout=settings.timeout, retries=settings.retries,
        retry_delay=settings.retry_delay, map_index_template=label,
    )  # fmt: skip
    submit >> wait
    return wait


def _batch_type_group(batch_type: BatchType, batch_ids: Any, declaration: CycleDeclaration, pool: str) -> TaskGroup:
    name = declaration.name
    settings = declaration.settings_for(batch_type)
    # Asking Moody's may meet an outage: these tasks retry like the job tasks.
    retry = {"retries": settings.retries, "retry_delay": settings.retry_delay}
    with TaskGroup(group_id=batch_type.slug, tooltip=batch_type.value) as group:
        # all_success: it starts only after the previous recon succeeded (a skipped recon skips it).
        validate = task(_validate, task_id="validate", **retry)(batch_type, batch_ids, name)
        ready: Any = validate
        if batch_type in POLICIES:
            existing = task(_find_existing, task_id="find_existing", **retry)(validate, name)
            ask = _ask_existing(batch_type, existing)
            # Runs when nobody had to be asked (ask_existing skipped), not when the group is skipped.
            applied = task(
                _apply_existing, task_id="apply_existing", trigger_rule="none_failed_min_one_success", **retry
            )(validate, existing, name)
            ask >> applied
            ready = applied
        if batch_type is BatchType.EXPORT_TO_RDM:
            seed = task(_seed_job, task_id="seed")(validate)
            ready >> seed
            ready = _job_tasks(batch_type, seed, name, settings, pool, prefix="seed_")
        listed = task(_list_jobs, task_id="jobs")(validate, batch_type)
        ready >> listed

        @task_group(group_id="job")
        def per_job(job: Any) -> None:
            _job_tasks(batch_type, job, name, settings, pool)

        mapped = per_job.expand(job=listed)
        asset = cycle_asset(name, batch_type)
        recon = task(_recon, task_id="recon", trigger_rule="all_done", outlets=[asset] if asset else [], **retry)(
            batch_type, batch_ids, name, settings.poll_interval
        )
        mapped >> recon
    return group


def _ask_existing(batch_type: BatchType, existing: Any) -> Any:
    from airflow.providers.standard.operators.hitl import HITLOperator

    needs = task.short_circuit(_needs_answer, task_id="needs_answer", ignore_downstream_trigger_rules=False)(existing)
    ask_existing = HITLOperator(
        task_id="ask_existing",
        subject=f"{batch_type}: entities already exist in Moody's",
        body="These entities already exist:\n\n{{ ti.xcom_pull(task_ids='" + f"{batch_type.slug}.find_existing"
        + "') | map(attribute='entity') | join('\n') }}\n\nKeep them (their jobs are skipped), or delete and "
        "re-run them — all, or the ones you list.",
        options=[d.value for d in Decision],
        defaults=[Decision.KEEP.value],
        params={"rerun": Param([], type="array", items={"type": "string"},
                               description="With 'Delete and re-run selected': the entities to re-run")},
        retries=0,
    )  # fmt: skip
    needs >> ask_existing
    return ask_existing


def build_cycle_dag(declaration: CycleDeclaration) -> DAG:
    settings = Settings.load()
    with DAG(
        dag_id=declaration.dag_id,
        description=declaration.description or f"Cycle {declaration.name}",
        schedule=declaration.schedule,
        start_date=datetime(2026, 1, 1, tzinfo=UTC),
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
        default_args={"retries": 2, "retry_delay": timedelta(seconds=20)},
        doc_md=__doc__,
    ) as dag:
        configuration_id = load_configuration(declaration.name, declaration.workbook)
        batch_ids = create_batches(configuration_id)
        upstream: Any = batch_ids
        for batch_type in BatchType:
            group = _batch_type_group(batch_type, batch_ids, declaration, settings.moodys_pool)
            upstream >> group
            upstream = group
        upstream >> task(_cycle_result, task_id="cycle_result", trigger_rule="all_done", retries=0)(batch_ids)
    return dag


def _report_broken(message: str) -> None:
    raise AirflowFailException(message)


def broken_declaration_dag(error: DeclarationError) -> DAG:
    """A DAG standing for a cycle file that could not be read: its one task fails with the error."""
    with DAG(
        dag_id=f"{DAG_ID_PREFIX}broken__{error.source.stem}".replace(" ", "_"),
        description=error.message[:200],
        schedule=None,
        start_date=datetime(2026, 1, 1, tzinfo=UTC),
        tags=["irp", "cycle", "broken"],
        doc_md=f"The cycle file `{error.source}` could not be read:\n\n```\n{error.message}\n```",
    ) as dag:
        task(_report_broken, task_id="report_error", retries=0)(error.message)
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
