"""Job operations: read, skip, submit, track and resubmit jobs.

Locking order is always batch row, then job row, so job updates and recon never deadlock.
Submission holds a per-job advisory lock (session-level, no open transaction) across the Moody's
call instead of a row lock: two submitters of one job serialize (the second sees the first's
workflow id), resubmission waits for it, and recon of the batch goes on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb

from irp.batch_types import entry
from irp.checks import require_id, require_text
from irp.configuration.specs import AnalysisSpec, ExportSpec, GroupingSpec, JobSpec, S
from irp.constants import SYNCHRONOUS_WORKFLOW_ID, BatchType, JobStatus
from irp.exceptions import IrpError, JobError
from irp.installation import installation_id
from irp.moodys.protocol import (
    EntityValidator,
    JobBackend,
    SubmissionFinder,
    SubmissionOutcomeUnknown,
    SubmissionResult,
)
from irp.records import Job, JobConfiguration, JobTracking, columns
from irp.store import Store, fetch_row, lock_batch, resolve

_JOB_COLUMNS = columns(Job)
_LOCK_NAMESPACE_SUBMIT = 0x1AA
#: Moody's keeps an idempotency key 24 hours; within this window of an attempt, sending its key
#: again replays the answer (an hour is left for clock skew and a slow first request).
KEY_REPLAY_WINDOW = timedelta(hours=23)
#: In flight and not being cancelled: replacing such a job would leave its Moody's job untracked.
_RUNNING = frozenset({JobStatus.SUBMITTED, JobStatus.QUEUED, JobStatus.PENDING, JobStatus.RUNNING})


class JobSkipped(JobError):
    """Submission found nothing to do (every referenced item is missing): job and
    configuration were skipped, so recon ignores them."""


def job_status(value: str, error: type[IrpError] = JobError) -> JobStatus:
    try:
        return JobStatus(value)
    except ValueError:
        raise error(f"Invalid status: {value!r}. Must be one of {[s.value for s in JobStatus]}") from None


def read_job(job_id: int, *, store: Store | None = None) -> Job:
    require_id(job_id, "job_id", JobError)
    with resolve(store).transaction() as cursor:
        cursor.execute(f"SELECT {_JOB_COLUMNS} FROM irp_job WHERE id = %s", (job_id,))
        row = cursor.fetchone()
    if row is None:
        raise JobError(f"Job with id {job_id} not found")
    return Job(**row)


def read_jobs(job_ids: Sequence[int], *, store: Store | None = None) -> list[Job]:
    """Several jobs in one query, in the order asked; unknown ids are an error."""
    for job_id in job_ids:
        require_id(job_id, "job_id", JobError)
    with resolve(store).transaction() as cursor:
        cursor.execute(f"SELECT {_JOB_COLUMNS} FROM irp_job WHERE id = ANY(%s)", (list(job_ids),))
        found = {row["id"]: Job(**row) for row in cursor.fetchall()}
    missing = [job_id for job_id in job_ids if job_id not in found]
    if missing:
        raise JobError(f"Jobs not found: {missing}")
    return [found[job_id] for job_id in job_ids]


def latest_job(job_id: int, *, store: Store | None = None) -> Job:
    """The newest job of ``job_id``'s resubmission chain (``job_id`` itself if never replaced).

    A mapped Airflow task keeps the id of the job it was created for; clearing it resubmits,
    so the job it must look at is the end of the chain.
    """
    require_id(job_id, "job_id", JobError)
    with resolve(store).transaction() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE chain AS (
                SELECT id, 0 AS depth FROM irp_job WHERE id = %s
                UNION ALL
                SELECT j.id, chain.depth + 1 FROM irp_job j JOIN chain ON j.parent_job_id = chain.id
            )
            SELECT {_JOB_COLUMNS} FROM irp_job
            WHERE id = (SELECT id FROM chain ORDER BY depth DESC, id DESC LIMIT 1)
            """,
            (job_id,),
        )
        row = cursor.fetchone()
    if row is None:
        raise JobError(f"Job with id {job_id} not found")
    return Job(**row)


def get_job_config(job_id: int, *, store: Store | None = None) -> JobConfiguration:
    require_id(job_id, "job_id", JobError)
    with resolve(store).transaction() as cursor:
        cursor.execute(
            f"""
            SELECT j.id AS job_id, {columns(JobConfiguration, "c")} FROM irp_job j
            LEFT JOIN irp_job_configuration c ON c.id = j.job_configuration_id WHERE j.id = %s
            """,
            (job_id,),
        )
        row = cursor.fetchone()
    if row is None:
        raise JobError(f"Job with id {job_id} not found")
    del row["job_id"]
    return JobConfiguration(**row)


def batch_type_of(job_id: int, *, store: Store | None = None) -> BatchType:
    """The batch type of a job, read from its batch (never trusted from the caller)."""
    require_id(job_id, "job_id", JobError)
    with resolve(store).transaction() as cursor:
        cursor.execute(
            "SELECT b.batch_type FROM irp_job j JOIN irp_batch b ON b.id = j.batch_id WHERE j.id = %s",
            (job_id,),
        )
        row = cursor.fetchone()
    if row is None:
        raise JobError(f"Job with id {job_id} not found")
    return BatchType(row["batch_type"])


def get_job_tracking(job_id: int, *, store: Store | None = None) -> list[JobTracking]:
    """The job's tracking log, oldest first."""
    require_id(job_id, "job_id", JobError)
    with resolve(store).transaction() as cursor:
        cursor.execute(
            f"SELECT {columns(JobTracking)} FROM irp_job_tracking_log WHERE job_id = %s ORDER BY id",
            (job_id,),
        )
        return [JobTracking(**row) for row in cursor.fetchall()]


def _lock_job(cursor: Any, job_id: int) -> dict[str, Any]:
    """Lock the job's batch (shared) then the job (exclusive); returns the job row."""
    cursor.execute("SELECT batch_id FROM irp_job WHERE id = %s", (job_id,))
    row = cursor.fetchone()
    if row is None:
        raise JobError(f"Job with id {job_id} not found")
    lock_batch(cursor, row["batch_id"], exclusive=False)
    cursor.execute(f"SELECT {_JOB_COLUMNS} FROM irp_job WHERE id = %s FOR UPDATE", (job_id,))
    return cursor.fetchone()


def _set_status(cursor: Any, job: dict[str, Any], status: JobStatus, tracking_data: Any) -> bool:
    """Log the observation (jobs with a workflow id) and write the status if it changed."""
    if job["moodys_workflow_id"]:
        cursor.execute(
            "INSERT INTO irp_job_tracking_log (job_id, moodys_workflow_id, job_status, tracking_data)"
            " VALUES (%s, %s, %s, %s)",
            (
                job["id"],
                job["moodys_workflow_id"],
                status.value,
                None if tracking_data is None else Jsonb(tracking_data),
            ),
        )
    changed = JobStatus(job["status"]) is not status
    cursor.execute(
        """
        UPDATE irp_job SET
            status = %(status)s,
            completed_ts = CASE WHEN %(changed)s AND %(completes)s THEN now() ELSE completed_ts END,
            last_tracked_ts = now(),
            updated_ts = CASE WHEN %(changed)s THEN now() ELSE updated_ts END
        WHERE id = %(id)s
        """,
        {"status": status.value, "changed": changed, "completes": status.sets_completed_ts, "id": job["id"]},
    )
    return changed


def update_job_status(
    job_id: int,
    status: JobStatus | str,
    *,
    tracking_data: Mapping[str, Any] | None = None,
    store: Store | None = None,
) -> bool:
    """Record an observed status; returns True when the status changed.

    Every call on a job with a workflow id writes a tracking-log row (with ``tracking_data``,
    the raw Moody's response, when given).
    """
    require_id(job_id, "job_id", JobError)
    status = job_status(status)
    with resolve(store).transaction() as cursor:
        return _set_status(cursor, _lock_job(cursor, job_id), status, tracking_data)


def skip_job(job_id: int, *, store: Store | None = None) -> None:
    """Take a job out of recon; its status is kept."""
    require_id(job_id, "job_id", JobError)
    with resolve(store).transaction() as cursor:
        _lock_job(cursor, job_id)
        cursor.execute("UPDATE irp_job SET skipped = TRUE, updated_ts = now() WHERE id = %s", (job_id,))


def skip_job_configuration(
    job_configuration_id: int,
    skipped_reason_txt: str,
    override_job_configuration_id: int | None = None,
    *,
    store: Store | None = None,
) -> None:
    require_id(job_configuration_id, "job_configuration_id", JobError)
    require_text(skipped_reason_txt, "skipped_reason_txt", JobError)
    if override_job_configuration_id is not None:
        require_id(override_job_configuration_id, "override_job_configuration_id", JobError)
    with resolve(store).transaction() as cursor:
        cursor.execute(
            "UPDATE irp_job_configuration SET skipped = TRUE, skipped_reason_txt = %s,"
            " override_job_configuration_id = %s, updated_ts = now() WHERE id = %s",
            (skipped_reason_txt, override_job_configuration_id, job_configuration_id),
        )
        if cursor.rowcount == 0:
            raise JobError(f"Job configuration with id {job_configuration_id} not found")


def update_job_configuration_data(
    job_configuration_id: int, updates: Mapping[str, Any], *, store: Store | None = None
) -> None:
    """Shallow-merge ``updates`` into the stored job configuration."""
    require_id(job_configuration_id, "job_configuration_id", JobError)
    with resolve(store).transaction() as cursor:
        cursor.execute(
            "UPDATE irp_job_configuration SET job_configuration_data = job_configuration_data || %s,"
            " updated_ts = now() WHERE id = %s",
            (Jsonb(dict(updates)), job_configuration_id),
        )
        if cursor.rowcount == 0:
            raise JobError(f"Job configuration {job_configuration_id} not found")


def _error_response(exc: Exception) -> dict[str, Any]:
    return {
        "status": JobStatus.ERROR.value,
        "error": str(exc),
        "error_type": type(exc).__name__,
        "message": f"Job submission failed: {exc}",
    }


def submit_job(job_id: int, backend: JobBackend, *, force: bool = False, store: Store | None = None) -> Job:
    """Submit one job unless it already has a workflow id (then nothing is sent).

    A synchronous type finishes here. A failed submission leaves the job ERROR with
    ``last_error`` and raises ``JobError``; a "nothing to do" outcome skips the job and its
    configuration and raises ``JobSkipped``. The backend is idempotent per store and job id, so
    a retry after a crash between its call and our commit finds the same Moody's job.

    The attempt is recorded before Moody's is called and cleared once its outcome is known, so a
    submission whose answer was lost — or whose worker was killed mid-call — is never sent blind
    again: within the idempotency key's lifetime the same key is sent (Moody's replays its answer,
    or creates the job if it never had it); after that, Moody's is searched for what the job
    creates and the job re-attached to what is found (see :func:`_look_up`).
    """
    require_id(job_id, "job_id", JobError)
    store = resolve(store)
    batch_type = batch_type_of(job_id, store=store)
    failure: JobError | None = None
    # One submitter per job; the lock is held across the Moody's call but no transaction is.
    with store.advisory_lock(_LOCK_NAMESPACE_SUBMIT, job_id):
        job = read_job(job_id, store=store)
        if job.skipped:
            raise JobError(f"Job {job_id} is skipped; resubmit it or its replacement instead")
        if job.submitted and not force:
            return job
        if job.status is JobStatus.CANCELLED and not force:  # a person cancelled it (irp.repair)
            raise JobError(f"Job {job_id} was cancelled before it was submitted; resubmit it to run it")
        data = get_job_config(job_id, store=store).job_configuration_data
        request = {"job_id": job_id, "batch_type": batch_type.value, "configuration": data}
        spec = entry(batch_type).job_spec(data)
        expired = job.outcome_unknown and not _key_replays(job)
        found = _look_up(job, batch_type, spec, backend, store) if expired else None
        if found is not None:
            with store.transaction() as cursor:
                _record_submission(cursor, job_id, batch_type, request, found)
            return read_job(job_id, store=store)
        with store.transaction() as cursor:
            # The earliest unknown attempt is kept while its key may replay; past that, Moody's
            # was searched and has nothing, so this is a new attempt with a new key lifetime.
            cursor.execute(
                "UPDATE irp_job SET submission_attempted_ts = CASE WHEN %s THEN now()"
                " ELSE coalesce(submission_attempted_ts, now()) END WHERE id = %s",
                (expired, job_id),
            )
        try:
            result = backend.submit_job(batch_type, job_id, spec, installation_id=installation_id(store=store))
        except Exception as exc:
            # An outcome that was unknown stays so until an answer settles it: a failure that
            # came before the lost request's key was sent again tells nothing about it.
            unknown = isinstance(exc, SubmissionOutcomeUnknown) or job.outcome_unknown
            with store.transaction() as cursor:
                row = _lock_job(cursor, job_id)
                _set_status(cursor, row, JobStatus.ERROR, None)
                cursor.execute(
                    "UPDATE irp_job SET last_error = %s, submission_request = %s, submission_response = %s,"
                    " submission_attempted_ts = CASE WHEN %s THEN submission_attempted_ts END WHERE id = %s",
                    (_last_error(exc, unknown), Jsonb(request), Jsonb(_error_response(exc)), unknown, job_id),
                )
            failure = JobError(f"Job submission failed: {exc}")
            failure.__cause__ = exc
        else:
            with store.transaction() as cursor:
                if result.skipped_reason is not None:
                    failure = _record_skip(cursor, job, result)
                else:
                    _record_submission(cursor, job_id, batch_type, request, result)
    if failure is not None:
        raise failure
    return read_job(job_id, store=store)


def _last_error(exc: Exception, unknown: bool) -> str:
    if not unknown:
        return str(exc)
    return (
        f"{exc}. The submission's outcome is unknown: submitting the job again (a retry, or clearing its task) "
        "looks it up in Moody's first and re-attaches it to the Moody's job it may have created"
    )


def _key_replays(job: Job) -> bool:
    """Whether Moody's still keeps the idempotency key of the job's unknown attempt."""
    attempted = job.submission_attempted_ts
    return attempted is not None and datetime.now(UTC) - attempted < KEY_REPLAY_WINDOW


def _look_up(
    job: Job, batch_type: BatchType, spec: JobSpec, backend: JobBackend, store: Store
) -> SubmissionResult | None:
    """What Moody's has of a job whose unknown attempt's key has expired, or None to send it.

    (While the key is kept, sending it again is the look-up: Moody's replays its answer, or
    creates the job if it never got it.) The backend searches Moody's for what the job creates,
    leaving out the Moody's jobs other jobs of the batch own; a backend that cannot search sends
    again (its submissions repeat harmlessly). When the search cannot tell, nothing is sent.
    """
    if not isinstance(backend, SubmissionFinder) or job.submission_attempted_ts is None:
        return None
    attempted = job.submission_attempted_ts
    with store.transaction() as cursor:
        cursor.execute(
            "SELECT moodys_workflow_id FROM irp_job"
            " WHERE batch_id = %s AND id <> %s AND moodys_workflow_id IS NOT NULL",
            (job.batch_id, job.id),
        )
        taken = frozenset(str(row["moodys_workflow_id"]) for row in cursor.fetchall())
    try:
        return backend.find_submission(batch_type, spec, since=attempted, taken=taken)
    except Exception as exc:
        raise JobError(
            f"Job {job.id}: its submission of {attempted:%Y-%m-%d %H:%M} UTC got no answer and looking it up in "
            f"Moody's failed, so nothing was sent: {exc}"
        ) from exc


def _record_skip(cursor: Any, job: Job, result: SubmissionResult) -> JobSkipped:
    reason = result.skipped_reason or "Job skipped during submission"
    _lock_job(cursor, job.id)
    cursor.execute(
        "UPDATE irp_job SET skipped = TRUE, submission_attempted_ts = NULL, updated_ts = now() WHERE id = %s",
        (job.id,),
    )
    cursor.execute(
        "UPDATE irp_job_configuration SET skipped = TRUE, skipped_reason_txt = %s, updated_ts = now() WHERE id = %s",
        (reason, job.job_configuration_id),
    )
    return JobSkipped(f"Job skipped: {reason}")


def _record_submission(
    cursor: Any, job_id: int, batch_type: BatchType, request: dict[str, Any], result: SubmissionResult
) -> None:
    workflow_id = SYNCHRONOUS_WORKFLOW_ID if batch_type.synchronous else str(result.workflow_id)
    if not workflow_id:
        raise JobError(f"Submission of job {job_id} returned no workflow id")
    row = _lock_job(cursor, job_id)
    cursor.execute(
        "UPDATE irp_job SET moodys_workflow_id = %s, submitted_ts = now(), submission_request = %s,"
        " submission_response = %s, last_error = NULL, submission_attempted_ts = NULL WHERE id = %s",
        (workflow_id, Jsonb({**request, **result.request}), Jsonb(result.response), job_id),
    )
    row["moodys_workflow_id"] = workflow_id
    _set_status(cursor, row, JobStatus.SUBMITTED, result.response)
    if batch_type.synchronous:
        row["status"] = JobStatus.SUBMITTED
        _set_status(cursor, row, JobStatus.FINISHED, result.response)


def track_job_status(job_id: int, backend: JobBackend, *, store: Store | None = None) -> JobStatus:
    """Poll Moody's once for the job and record what it says; returns the status."""
    store = resolve(store)
    job = read_job(job_id, store=store)
    batch_type = batch_type_of(job_id, store=store)
    if not job.submitted:
        raise JobError(f"Job {job_id} has no moodys_workflow_id. Job must be submitted before tracking.")
    if batch_type.synchronous:
        raise JobError(f"Job {job_id} is of synchronous batch type '{batch_type}': there is no Moody's job to track")
    try:
        report = backend.get_job_status(batch_type, job.moodys_workflow_id or "")
    except Exception as exc:
        raise JobError(f"Failed to track job {job_id} from Moody's API: {exc}") from exc
    update_job_status(job_id, report.status, tracking_data=report.payload, store=store)
    return report.status


def cancel_job(job_id: int, backend: JobBackend, *, store: Store | None = None) -> None:
    """Ask Moody's to cancel a submitted, unfinished job (its status follows by tracking)."""
    job = read_job(job_id, store=store)
    if not job.submitted or job.status.terminal:
        return
    backend.cancel_job(batch_type_of(job_id, store=store), job.moodys_workflow_id or "")
    update_job_status(job_id, JobStatus.CANCEL_REQUESTED, store=store)


def resubmit_job(
    job_id: int,
    *,
    job_configuration_data: Mapping[str, Any] | None = None,
    override_reason: str | None = None,
    backend: JobBackend | None = None,
    abandon_lost_submission: bool = False,
    store: Store | None = None,
) -> int:
    """Replace a job by a new one and reopen its batch; returns the new job id.

    In one transaction: the original is skipped, the new job created on the same
    configuration — or, with override data, on a new configuration whose parent points back
    while the old one is skipped — and the batch set ACTIVE. A job that is skipped or already
    replaced is refused, so one job never gets two replacements. With ``backend`` the new job
    is submitted after the commit.

    A job whose submission's outcome is unknown is refused too: Moody's may have its job, and a
    replacement (a new job id, new idempotency keys) would create a second one. Submitting it
    again looks it up first (:func:`submit_job`). ``abandon_lost_submission`` replaces it anyway,
    for a caller that has dealt with what Moody's may have (deleted the entity to re-run it).
    """
    require_id(job_id, "job_id", JobError)
    if job_configuration_data is not None and not override_reason:
        raise JobError("override_reason is required when providing job_configuration_data")
    store = resolve(store)
    with store.transaction() as cursor:
        # The submission lock first, as submit_job takes it: a job is never replaced while it is
        # being sent to Moody's.
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_NAMESPACE_SUBMIT, job_id))
        cursor.execute("SELECT batch_id FROM irp_job WHERE id = %s", (job_id,))
        row = cursor.fetchone()
        if row is None:
            raise JobError(f"Job with id {job_id} not found")
        lock_batch(cursor, row["batch_id"], exclusive=True)
        cursor.execute(f"SELECT {_JOB_COLUMNS} FROM irp_job WHERE id = %s FOR UPDATE", (job_id,))
        original = Job(**fetch_row(cursor))
        cursor.execute("SELECT id FROM irp_job WHERE parent_job_id = %s LIMIT 1", (job_id,))
        child = cursor.fetchone()
        if child is not None:
            raise JobError(f"Job {job_id} was already resubmitted as job {child['id']}")
        if original.skipped:
            raise JobError(f"Job {job_id} is skipped and cannot be resubmitted")
        if original.outcome_unknown and not abandon_lost_submission:
            raise JobError(
                f"Job {job_id}'s submission of {original.submission_attempted_ts:%Y-%m-%d %H:%M} UTC got no answer: "
                "Moody's may have its job, so it is not replaced. Submit it again (clear its job task): it is "
                "looked up in Moody's and re-attached, or sent again when Moody's has nothing"
            )
        if original.submitted and original.status in _RUNNING:
            raise JobError(
                f"Job {job_id} is {original.status} in Moody's (workflow {original.moodys_workflow_id}); "
                "cancel it before resubmitting"
            )
        configuration_id = original.job_configuration_id
        if job_configuration_data:
            cursor.execute(
                """
                INSERT INTO irp_job_configuration
                    (batch_id, configuration_id, job_configuration_data, parent_job_configuration_id)
                SELECT batch_id, configuration_id, %s, id FROM irp_job_configuration WHERE id = %s
                RETURNING id
                """,
                (Jsonb(dict(job_configuration_data)), original.job_configuration_id),
            )
            configuration_id = fetch_row(cursor)["id"]
            cursor.execute(
                "UPDATE irp_job_configuration SET skipped = TRUE, skipped_reason_txt = %s,"
                " override_job_configuration_id = %s, updated_ts = now() WHERE id = %s",
                (override_reason, configuration_id, original.job_configuration_id),
            )
        cursor.execute(
            "INSERT INTO irp_job (batch_id, job_configuration_id, parent_job_id) VALUES (%s, %s, %s) RETURNING id",
            (original.batch_id, configuration_id, job_id),
        )
        new_job_id = fetch_row(cursor)["id"]
        cursor.execute("UPDATE irp_job SET skipped = TRUE, updated_ts = now() WHERE id = %s", (job_id,))
        cursor.execute(
            "UPDATE irp_batch SET status = 'ACTIVE', completed_ts = NULL, updated_ts = now()"
            " WHERE id = %s AND status <> 'ACTIVE'",
            (original.batch_id,),
        )
    if backend is not None:
        try:
            submit_job(new_job_id, backend, store=store)
        except JobSkipped:
            raise
        except JobError as exc:
            raise JobError(
                f"Resubmitted job {new_job_id} was created but submission failed. Original job {job_id} "
                f"has been skipped. New job {new_job_id} is in ERROR status. ({exc})"
            ) from exc
    return new_job_id


@dataclass(frozen=True)
class ResubmitOutcome:
    old_job_id: int
    new_job_id: int | None = None
    error: str | None = None


def resubmit_jobs(
    job_ids: Sequence[int], *, backend: JobBackend | None = None, store: Store | None = None
) -> list[ResubmitOutcome]:
    """``resubmit_job`` for each id in order; failures are reported, not raised."""
    outcomes = []
    for job_id in job_ids:
        try:
            outcomes.append(ResubmitOutcome(job_id, resubmit_job(job_id, backend=backend, store=store)))
        except JobError as exc:
            outcomes.append(ResubmitOutcome(job_id, error=str(exc)))
    return outcomes


def _job_specs(job_ids: Sequence[int], kind: type[S], store: Store | None) -> list[S]:
    return [kind.from_json(get_job_config(job_id, store=store).job_configuration_data) for job_id in job_ids]


def delete_analyses_for_jobs(
    job_ids: Sequence[int], validator: EntityValidator, *, store: Store | None = None
) -> list[str]:
    """Delete in Moody's the analyses of Analysis jobs (to re-run them); returns errors."""
    analyses = [(spec.analysis_name, spec.database) for spec in _job_specs(job_ids, AnalysisSpec, store)]
    invalid = [
        f"Invalid job info - missing analysis name or EDM: job {job_id}"
        for job_id, (name, edm) in zip(job_ids, analyses, strict=True)
        if not name or not edm
    ]
    if invalid:
        return invalid
    return validator.delete_analyses([(str(name), str(edm)) for name, edm in analyses])


def delete_groups_for_jobs(
    job_ids: Sequence[int], validator: EntityValidator, *, store: Store | None = None
) -> list[str]:
    """Delete in Moody's the groups of Grouping / Grouping Rollup jobs; returns errors."""
    names = [spec.group_name for spec in _job_specs(job_ids, GroupingSpec, store)]
    invalid = [
        f"Invalid job info - missing group name: job {job_id}"
        for job_id, name in zip(job_ids, names, strict=True)
        if not name
    ]
    if invalid:
        return invalid
    return validator.delete_groups([str(name) for name in names])


def delete_rdms_for_jobs(
    job_ids: Sequence[int], validator: EntityValidator, *, store: Store | None = None
) -> list[str]:
    """Delete in Moody's the RDM Export to RDM jobs write (one for the whole batch); returns errors."""
    names = sorted({str(spec.rdm_name) for spec in _job_specs(job_ids, ExportSpec, store) if spec.rdm_name})
    return validator.delete_rdms(names)
