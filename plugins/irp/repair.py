"""Repairs a person makes to a cycle: resubmit a job with changes, skip it, cancel a job or a
batch, archive the cycle.

One implementation for the ``irp_repair`` DAG and ``python -m irp``. Every repair is checked
first — a refused repair changes nothing and says why, field by field for new job parameters —
and is recorded in ``irp_repair_log`` (who, when, why, what changed) in the transaction that
makes its store changes. Moody's is called before that transaction, never inside it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb

from irp import batch as batches
from irp import job as jobs
from irp.configuration.overrides import WHOLE, FieldError, InvalidParametersError, override_job_configuration
from irp.constants import BatchStatus, BatchType, CycleStatus, JobStatus
from irp.cycle import archive_cycle, read_cycle
from irp.cycles import DAG_ID_PREFIX
from irp.exceptions import IrpError
from irp.moodys.protocol import JobBackend
from irp.records import Batch, Cycle, Job, JobConfiguration, columns
from irp.repair_request import (
    RepairAction,
    RepairOrigin,
    RepairRequest,
    RepairTarget,
    RequestField,
)
from irp.store import Store, fetch_row, resolve

#: Longest a repair waits for Moody's to confirm cancellations before it reconciles anyway.
DEFAULT_CANCEL_WAIT = timedelta(minutes=5)
MAX_REASON_LENGTH = 1000


class RepairRefused(IrpError):
    """The repair was not made and nothing changed; ``errors`` says why, field by field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("Repair refused, nothing was changed:\n" + "\n".join(f"  {e}" for e in errors))
        self.errors = tuple(errors)


def _refused(message: str, field_name: str = WHOLE, rule: str = "repair") -> RepairRefused:
    return RepairRefused([FieldError(field_name, message, rule)])


@dataclass
class RepairOutcome:
    """What a repair did (the ``irp_repair_log`` row, and a few lines for the person)."""

    repair_id: int
    action: RepairAction
    cycle_name: str
    batch_id: int | None = None
    job_id: int | None = None
    new_job_id: int | None = None
    job_configuration_id: int | None = None
    new_job_configuration_id: int | None = None
    batch_status: BatchStatus | None = None
    job_statuses: dict[int, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["job_statuses"] = {str(key): value for key, value in self.job_statuses.items()}
        return values


@dataclass(slots=True)
class RepairRecord:
    """One row of ``irp_repair_log``."""

    id: int
    action: RepairAction
    cycle_name: str
    batch_id: int | None
    job_id: int | None
    new_job_id: int | None
    job_configuration_id: int | None
    new_job_configuration_id: int | None
    reason: str
    requested_by: str
    origin: RepairOrigin
    dag_id: str | None
    run_id: str | None
    parameters: dict[str, Any] | None
    outcome: dict[str, Any]
    created_ts: datetime

    def __post_init__(self) -> None:
        self.action = RepairAction(self.action)
        self.origin = RepairOrigin(self.origin)


BackendFactory = Callable[[BatchType, str], JobBackend]


def default_backend(batch_type: BatchType, cycle_name: str) -> JobBackend:
    from irp.backends import job_backend
    from irp.settings import Settings

    return job_backend(batch_type, cycle_name, Settings.load())


# -- checks -----------------------------------------------------------------------------------------
def check_request(request: RepairRequest) -> None:
    """Refuse a request that is incomplete or names what its action does not use."""
    errors = []
    reason = request.reason
    if not isinstance(reason, str) or not reason.strip():
        errors.append(FieldError(RequestField.REASON, "a reason is required: it is kept with the repair", "required"))
    elif len(reason) > MAX_REASON_LENGTH:
        errors.append(FieldError(RequestField.REASON, f"at most {MAX_REASON_LENGTH} characters", "length"))
    targets = {
        RepairTarget.JOB: request.job_id,
        RepairTarget.BATCH: request.batch_id,
        RepairTarget.CYCLE: request.cycle,
    }
    needed = request.action.target
    if targets[needed] in (None, ""):
        errors.append(FieldError(needed, f"{request.action.label} needs {needed}", "required"))
    errors += [
        FieldError(name, f"is not used by {request.action.label}; leave it empty", "unused")
        for name, value in targets.items()
        if name is not needed and value not in (None, "")
    ]
    if request.action is RepairAction.RESUBMIT_WITH_CHANGES:
        if not request.parameters:
            errors.append(
                FieldError(RequestField.PARAMETERS, "the job's new parameters are required (a JSON object)", "required")
            )
    elif request.parameters:
        errors.append(FieldError(RequestField.PARAMETERS, f"is not used by {request.action.label}", "unused"))
    if errors:
        raise RepairRefused(errors)


@dataclass(frozen=True)
class _JobContext:
    job: Job
    configuration: JobConfiguration
    batch: Batch
    cycle: Cycle


def _cycle_of_batch(batch: Batch, store: Store) -> Cycle:
    with store.transaction() as cursor:
        cursor.execute(
            f"SELECT {columns(Cycle, 'y')} FROM irp_cycle y JOIN irp_configuration c ON c.cycle_id = y.id"
            " WHERE c.id = %s",
            (batch.configuration_id,),
        )
        return Cycle(**fetch_row(cursor))


def _job_context(job_id: int, store: Store) -> _JobContext:
    try:
        job = jobs.read_job(job_id, store=store)
    except jobs.JobError as exc:
        raise _refused(str(exc), RepairTarget.JOB) from None
    batch = batches.read_batch(job.batch_id, store=store)
    return _JobContext(job, jobs.get_job_config(job_id, store=store), batch, _cycle_of_batch(batch, store))


def _replacement(job_id: int, store: Store) -> int | None:
    latest = jobs.latest_job(job_id, store=store)
    return latest.id if latest.id != job_id else None


def _require_live(context: _JobContext, store: Store) -> None:
    """The job is the newest of its chain, not skipped, and its cycle is active."""
    job = context.job
    if context.cycle.status is not CycleStatus.ACTIVE:
        raise _refused(f"cycle {context.cycle.cycle_name!r} is {context.cycle.status}", RepairTarget.JOB)
    replacement = _replacement(job.id, store)
    if replacement is not None:
        raise _refused(f"job {job.id} was replaced by job {replacement}; repair that one", RepairTarget.JOB)
    if job.skipped:
        raise _refused(f"job {job.id} is skipped", RepairTarget.JOB)


def _require_not_running(job: Job) -> None:
    if job.submitted and job.status.in_progress:
        raise _refused(
            f"job {job.id} is {job.status} in Moody's (workflow {job.moodys_workflow_id}); "
            f"cancel it first ({RepairAction.CANCEL_JOB})",
            RepairTarget.JOB,
        )


def _root_configuration(configuration: JobConfiguration, store: Store) -> dict[str, Any]:
    """The first configuration of an override chain: it names the job's workbook row."""
    with store.transaction() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE chain AS (
                SELECT id, parent_job_configuration_id, job_configuration_data, 0 AS depth
                FROM irp_job_configuration WHERE id = %s
                UNION ALL
                SELECT c.id, c.parent_job_configuration_id, c.job_configuration_data, chain.depth + 1
                FROM irp_job_configuration c JOIN chain ON c.id = chain.parent_job_configuration_id
            )
            SELECT job_configuration_data FROM chain ORDER BY depth DESC LIMIT 1
            """,
            (configuration.id,),
        )
        return fetch_row(cursor)["job_configuration_data"]


# -- the audit record --------------------------------------------------------------------------------
def _record(cursor: Any, request: RepairRequest, outcome: RepairOutcome) -> int:
    requester = request.requester
    cursor.execute(
        """
        INSERT INTO irp_repair_log (action, cycle_name, batch_id, job_id, new_job_id, job_configuration_id,
            new_job_configuration_id, reason, requested_by, origin, dag_id, run_id, parameters, outcome)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id
        """,
        (
            request.action.value,
            outcome.cycle_name,
            outcome.batch_id,
            outcome.job_id,
            outcome.new_job_id,
            outcome.job_configuration_id,
            outcome.new_job_configuration_id,
            request.reason.strip(),
            requester.user,
            requester.origin.value,
            requester.dag_id,
            requester.run_id,
            None if request.parameters is None else Jsonb(dict(request.parameters)),
            Jsonb({k: v for k, v in outcome.as_dict().items() if k not in ("repair_id", "messages")}),
        ),
    )
    return cursor.fetchone()["id"]


def repair_log(
    *,
    cycle_name: str | None = None,
    batch_id: int | None = None,
    job_id: int | None = None,
    limit: int = 100,
    store: Store | None = None,
) -> list[RepairRecord]:
    """Recorded repairs, newest first: of a cycle, of a batch (and its jobs), or of a job (made on
    it or creating it)."""
    with resolve(store).transaction() as cursor:
        cursor.execute(
            f"""
            SELECT {columns(RepairRecord, "r")} FROM irp_repair_log r
            WHERE (%(cycle)s::text IS NULL OR r.cycle_name = %(cycle)s)
              AND (%(batch)s::int IS NULL OR r.batch_id = %(batch)s)
              AND (%(job)s::int IS NULL OR r.job_id = %(job)s OR r.new_job_id = %(job)s)
            ORDER BY r.id DESC LIMIT %(limit)s
            """,
            {"cycle": cycle_name, "batch": batch_id, "job": job_id, "limit": limit},
        )
        return [RepairRecord(**row) for row in cursor.fetchall()]


# -- the repairs -------------------------------------------------------------------------------------
def repair(
    request: RepairRequest,
    *,
    backends: BackendFactory = default_backend,
    cancel_wait: timedelta = DEFAULT_CANCEL_WAIT,
    poll_interval: float | None = None,
    store: Store | None = None,
) -> RepairOutcome:
    """Make one repair, or raise :class:`RepairRefused` having changed nothing."""
    check_request(request)
    store = resolve(store)
    if poll_interval is None:
        from irp.settings import Settings

        poll_interval = Settings.load().poll_interval
    if request.action is RepairAction.RESUBMIT_WITH_CHANGES:
        return _resubmit_with_changes(request, store)
    if request.action is RepairAction.SKIP_JOB:
        return _skip_job(request, store)
    if request.action is RepairAction.ARCHIVE_CYCLE:
        return _archive_cycle(request, store)
    return _cancel(request, backends, cancel_wait, poll_interval, store)


def _resubmit_with_changes(request: RepairRequest, store: Store) -> RepairOutcome:
    context = _job_context(int(request.job_id or 0), store)
    _require_live(context, store)
    _require_not_running(context.job)
    current = context.configuration.job_configuration_data
    try:
        new = override_job_configuration(
            batches.configuration_data(context.batch.configuration_id, store=store),
            context.batch.batch_type,
            current,
            request.parameters,
            original=_root_configuration(context.configuration, store),
        )
    except InvalidParametersError as exc:
        raise RepairRefused([FieldError(f"{RequestField.PARAMETERS}.{e.field}" if e.field else RequestField.PARAMETERS,
                                        e.message, e.rule, e.location) for e in exc.errors]) from None  # fmt: skip
    if new == current:
        raise _refused(
            "the parameters are unchanged; to resubmit the job as it was, clear its task in the cycle's DAG run",
            RequestField.PARAMETERS,
        )
    outcome = RepairOutcome(
        0, request.action, context.cycle.cycle_name, context.batch.id, context.job.id,
        job_configuration_id=context.configuration.id,
    )  # fmt: skip
    with store.transaction() as cursor:  # the store's operations below join this transaction
        try:
            new_job_id = jobs.resubmit_job(
                context.job.id, job_configuration_data=new, override_reason=request.reason.strip(), store=store
            )
        except jobs.JobError as exc:
            raise _refused(str(exc), RepairTarget.JOB) from None
        new_job = jobs.read_job(new_job_id, store=store)
        outcome.new_job_id = new_job_id
        outcome.new_job_configuration_id = new_job.job_configuration_id
        outcome.batch_status = batches.read_batch(context.batch.id, store=store).status
        outcome.job_statuses = {new_job_id: new_job.status.value}
        outcome.repair_id = _record(cursor, request, outcome)
    changed = sorted(key for key in new if new[key] != current.get(key))
    outcome.messages = [
        f"Job {context.job.id} and its configuration {context.configuration.id} are skipped; job {new_job_id} "
        f"(configuration {new_job.job_configuration_id}, changed: {', '.join(changed)}) replaces it.",
        f"Clear the job's task in the cycle's DAG run (with its downstream) to submit job {new_job_id}; "
        "a new run of the cycle submits it too.",
    ]
    return outcome


def _skip_job(request: RepairRequest, store: Store) -> RepairOutcome:
    context = _job_context(int(request.job_id or 0), store)
    _require_live(context, store)
    _require_not_running(context.job)
    batch = context.batch
    outcome = RepairOutcome(
        0, request.action, context.cycle.cycle_name, batch.id, context.job.id,
        job_configuration_id=context.configuration.id,
    )  # fmt: skip
    with store.transaction() as cursor:
        jobs.skip_job(context.job.id, store=store)
        jobs.skip_job_configuration(context.configuration.id, request.reason.strip(), store=store)
        # A batch that has not started stays INITIATED: its run reconciles it.
        if batch.status is not BatchStatus.INITIATED:
            outcome.batch_status = batches.recon_batch(batch.id, store=store).status
        outcome.job_statuses = {context.job.id: context.job.status.value}
        outcome.repair_id = _record(cursor, request, outcome)
    outcome.messages = [f"Job {context.job.id} and its configuration {context.configuration.id} are skipped."]
    if outcome.batch_status is not None:
        outcome.messages.append(f"{batch.batch_type} batch {batch.id} reconciles to {outcome.batch_status}.")
    return outcome


def _cancellable(job: Job) -> bool:
    return job.submitted and job.status.in_progress


def _cancel(
    request: RepairRequest, backends: BackendFactory, wait: timedelta, poll_interval: float, store: Store
) -> RepairOutcome:
    job_id: int | None = None
    if request.action is RepairAction.CANCEL_JOB:
        context = _job_context(int(request.job_id or 0), store)
        batch, cycle, targets = context.batch, context.cycle, [context.job]
        job = context.job
        job_id = job.id
        if not _cancellable(job):
            detail = "it was never submitted, so nothing runs in Moody's; skip it instead" if not job.submitted else ""
            raise _refused(f"job {job.id} is {job.status}: nothing to cancel" + (f" ({detail})" if detail else ""),
                           RepairTarget.JOB)  # fmt: skip
    else:
        try:
            batch = batches.read_batch(int(request.batch_id or 0), store=store)
        except batches.BatchError as exc:
            raise _refused(str(exc), RepairTarget.BATCH) from None
        cycle = _cycle_of_batch(batch, store)
        live = batches.get_batch_jobs(batch.id, skipped=False, store=store)
        targets = [job for job in live if _cancellable(job) or (not job.submitted and not job.status.terminal)]
        if not targets:
            counts = ", ".join(sorted({f"{j.status}" for j in live})) or "no live job"
            raise _refused(f"batch {batch.id} has nothing to cancel (jobs: {counts})", RepairTarget.BATCH)
    backend = backends(batch.batch_type, cycle.cycle_name)
    messages = []
    for job in targets:
        if job.submitted:
            try:
                jobs.cancel_job(job.id, backend, store=store)  # Moody's first; the store follows
            except Exception as exc:  # the others are still cancelled; the person sees which failed
                messages.append(f"Job {job.id}: Moody's refused the cancellation: {exc}")
        else:
            jobs.update_job_status(job.id, JobStatus.CANCELLED, store=store)
    statuses = _await_terminal([job for job in targets if job.submitted], backend, wait, poll_interval, store)
    statuses.update({job.id: JobStatus.CANCELLED.value for job in targets if not job.submitted})
    outcome = RepairOutcome(0, request.action, cycle.cycle_name, batch.id, job_id, job_statuses=statuses)
    with store.transaction() as cursor:
        outcome.batch_status = batches.recon_batch(batch.id, store=store).status
        outcome.repair_id = _record(cursor, request, outcome)
    pending = [job_id for job_id, status in statuses.items() if status != JobStatus.CANCELLED]
    outcome.messages = [
        *messages,
        f"Cancelled: {', '.join(f'job {job_id} {status}' for job_id, status in statuses.items())}.",
        f"{batch.batch_type} batch {batch.id} reconciles to {outcome.batch_status}.",
    ]
    if pending:
        outcome.messages.append(
            f"Moody's has not confirmed every cancellation yet ({pending}); the cycle's wait tasks and recon "
            "record the final status."
        )
    return outcome


def _await_terminal(
    targets: list[Job], backend: JobBackend, wait: timedelta, poll_interval: float, store: Store
) -> dict[int, str]:
    """Poll Moody's until the cancelled jobs end (or ``wait`` passes); their statuses by id."""
    deadline = time.monotonic() + wait.total_seconds()
    statuses = {job.id: jobs.read_job(job.id, store=store).status for job in targets}
    while True:
        for job_id, status in statuses.items():
            if not status.terminal:
                with contextlib.suppress(jobs.JobError):  # Moody's unreachable: the store keeps its status
                    statuses[job_id] = jobs.track_job_status(job_id, backend, store=store)
        if all(status.terminal for status in statuses.values()) or time.monotonic() >= deadline:
            return {job_id: status.value for job_id, status in statuses.items()}
        time.sleep(poll_interval)


def _archive_cycle(request: RepairRequest, store: Store) -> RepairOutcome:
    name = str(request.cycle)
    try:
        cycle = read_cycle(name, store=store)
    except IrpError as exc:
        raise _refused(str(exc), RepairTarget.CYCLE) from None
    if cycle.status is not CycleStatus.ACTIVE:
        raise _refused(f"cycle {name!r} is already {cycle.status} (since {cycle.archived_ts:%Y-%m-%d %H:%M} UTC)",
                       RepairTarget.CYCLE)  # fmt: skip
    running = _running_batches(cycle.id, store)
    if running:
        detail = "; ".join(f"{batch_type} batch {batch_id}: {count} job(s)" for batch_id, batch_type, count in running)
        raise _refused(
            f"jobs of cycle {name!r} are still running in Moody's ({detail}); cancel those batches first "
            f"({RepairAction.CANCEL_BATCH})",
            RepairTarget.CYCLE,
        )
    outcome = RepairOutcome(0, request.action, name)
    with store.transaction() as cursor:
        archive_cycle(name, store=store)
        outcome.repair_id = _record(cursor, request, outcome)
    outcome.messages = [
        f"Cycle {name!r} is archived: its batches can no longer be submitted.",
        f"Load the edited workbook into a new cycle: declare it in a new cycle file (its DAG is "
        f"{DAG_ID_PREFIX}<new name>) and trigger that DAG.",
    ]
    return outcome


def _running_batches(cycle_id: int, store: Store) -> list[tuple[int, str, int]]:
    in_flight = [status.value for status in JobStatus if status.in_progress]
    with store.transaction() as cursor:
        cursor.execute(
            """
            SELECT b.id, b.batch_type, count(*) AS jobs FROM irp_job j
            JOIN irp_batch b ON b.id = j.batch_id JOIN irp_configuration c ON c.id = b.configuration_id
            WHERE c.cycle_id = %s AND NOT j.skipped AND j.moodys_workflow_id IS NOT NULL
              AND j.status = ANY(%s::job_status_enum[])
            GROUP BY b.id, b.batch_type ORDER BY b.id
            """,
            (cycle_id, in_flight),
        )
        return [(row["id"], row["batch_type"], row["jobs"]) for row in cursor.fetchall()]
