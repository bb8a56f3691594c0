"""Batch operations: create, read, validate, activate and reconcile batches.

A batch is the set of jobs of one batch type generated from one configuration. Every
function runs in its own transaction on a :class:`~irp.store.Store` (the configured one by
default) and raises :class:`~irp.exceptions.BatchError` naming the id and what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg.errors
from psycopg.rows import args_row

from irp import job as jobs
from irp.batch_types import entry
from irp.checks import require_id
from irp.constants import BatchType, ConfigurationStatus, CycleStatus, JobStatus
from irp.exceptions import BatchError
from irp.moodys.protocol import EntityMessage, EntityValidator
from irp.recon import recon_batch
from irp.records import Batch, BatchStep, Job, JobConfiguration, columns
from irp.store import Store, lock_batch, resolve

__all__ = [
    "activate_batch",
    "create_batch",
    "create_batches",
    "delete_batch",
    "get_active_batches",
    "get_batch_job_configurations",
    "get_batch_jobs",
    "get_batches_for_configuration",
    "read_batch",
    "recon_batch",
    "update_batch_step",
    "validate_batch",
]

_BATCH_COLUMNS = columns(Batch)
_JOB_COLUMNS = columns(Job)
_JOB_CONFIGURATION_COLUMNS = columns(JobConfiguration)

_CREATE_SQL = """
WITH new_batch AS (
    INSERT INTO irp_batch (configuration_id, batch_type, dag_id, run_id, task_group_id)
    VALUES (%(configuration_id)s, %(batch_type)s, %(dag_id)s, %(run_id)s, %(task_group_id)s)
    RETURNING id
), new_configs AS (
    INSERT INTO irp_job_configuration (batch_id, configuration_id, job_configuration_data)
    SELECT new_batch.id, %(configuration_id)s, element.value
    FROM new_batch, jsonb_array_elements(%(data)s::jsonb) WITH ORDINALITY AS element(value, position)
    ORDER BY element.position
    RETURNING id, batch_id
), new_jobs AS (
    INSERT INTO irp_job (batch_id, job_configuration_id)
    SELECT batch_id, id FROM new_configs ORDER BY id
    RETURNING id
)
SELECT (SELECT id FROM new_batch) AS batch_id, (SELECT count(*) FROM new_jobs) AS job_count
"""


def _batch_type(value: object) -> BatchType:
    try:
        return BatchType.parse(value)
    except ValueError as exc:
        raise BatchError(str(exc)) from None


def _serialize_job_configurations(job_configurations: Sequence[Mapping[str, Any]]) -> str:
    """One JSON array for the whole batch: the database splits it, so no Python work per row
    beyond this check (plain dicts, the usual case, are not copied)."""
    items: list[dict[str, Any]] = []
    for index, data in enumerate(job_configurations):
        if type(data) is dict:
            items.append(data)
        elif isinstance(data, Mapping):
            items.append(dict(data))
        else:
            raise BatchError(f"Job configuration #{index} must be a mapping, got {type(data).__name__}")
    try:
        return json.dumps(items, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise BatchError(f"Job configurations are not JSON-serialisable: {exc}") from None


def _insert_batch(cursor: Any, batch_type: BatchType, configuration_id: int, data: str, step: BatchStep | None) -> int:
    cursor.execute(
        _CREATE_SQL,
        {
            "configuration_id": configuration_id,
            "batch_type": batch_type.value,
            "dag_id": step.dag_id if step else None,
            "run_id": step.run_id if step else None,
            "task_group_id": step.task_group_id if step else None,
            "data": data,
        },
    )
    return cursor.fetchone()["batch_id"]


def _check_configuration(cursor: Any, configuration_id: int) -> None:
    cursor.execute("SELECT status FROM irp_configuration WHERE id = %s FOR SHARE", (configuration_id,))
    row = cursor.fetchone()
    if row is None:
        raise BatchError(f"Configuration with id {configuration_id} not found")
    status = ConfigurationStatus(row["status"])
    if not status.usable:
        raise BatchError(f"Configuration {configuration_id} has invalid status '{status}'. Must be VALID or ACTIVE.")


def create_batch(
    batch_type: BatchType | str,
    configuration_id: int,
    job_configurations: Sequence[Mapping[str, Any]],
    *,
    step: BatchStep | None = None,
    store: Store | None = None,
) -> int:
    """Create a batch with one job configuration and one INITIATED job per element.

    All rows are written by one statement in one transaction: a failure leaves nothing.
    A configuration has at most one batch per type (the reference allowed duplicates).
    """
    require_id(configuration_id, "configuration_id", BatchError)
    batch_type = _batch_type(batch_type)
    data = _serialize_job_configurations(job_configurations)
    store = resolve(store)
    try:
        with store.transaction() as cursor:
            _check_configuration(cursor, configuration_id)
            return _insert_batch(cursor, batch_type, configuration_id, data, step)
    except psycopg.errors.UniqueViolation:
        existing = get_batches_for_configuration(configuration_id, batch_type, store=store)
        raise BatchError(
            f"A '{batch_type}' batch already exists for configuration {configuration_id} "
            f"(batch {existing[0].id if existing else '?'})"
        ) from None
    except psycopg.Error as exc:
        raise BatchError(f"Failed to create batch: {exc}") from exc


def create_batches(
    configuration_id: int,
    job_configurations: Mapping[BatchType, Sequence[Mapping[str, Any]]],
    *,
    step: BatchStep | None = None,
    store: Store | None = None,
) -> dict[BatchType, int]:
    """Create the configuration's batches that do not exist yet, all in one transaction.

    Returns the batch id of every requested type, existing or new, so a re-run of a cycle (or
    a retried task) reuses what the first run created.
    """
    require_id(configuration_id, "configuration_id", BatchError)
    payloads = {_batch_type(t): _serialize_job_configurations(c) for t, c in job_configurations.items()}
    try:
        with resolve(store).transaction() as cursor:
            _check_configuration(cursor, configuration_id)
            cursor.execute(
                "SELECT batch_type, id FROM irp_batch WHERE configuration_id = %s FOR UPDATE", (configuration_id,)
            )
            existing = {BatchType(row["batch_type"]): row["id"] for row in cursor.fetchall()}
            for batch_type, data in payloads.items():
                if batch_type not in existing:
                    existing[batch_type] = _insert_batch(cursor, batch_type, configuration_id, data, step)
    except psycopg.Error as exc:
        raise BatchError(f"Failed to create batches of configuration {configuration_id}: {exc}") from exc
    return {batch_type: existing[batch_type] for batch_type in BatchType if batch_type in payloads}


def read_batch(batch_id: int, *, store: Store | None = None) -> Batch:
    require_id(batch_id, "batch_id", BatchError)
    with resolve(store).transaction() as cursor:
        cursor.execute(f"SELECT {_BATCH_COLUMNS} FROM irp_batch WHERE id = %s", (batch_id,))
        row = cursor.fetchone()
    if row is None:
        raise BatchError(f"Batch with id {batch_id} not found")
    return Batch(**row)


def get_batches_for_configuration(
    configuration_id: int, batch_type: BatchType | str | None = None, *, store: Store | None = None
) -> list[Batch]:
    """The configuration's batches in dependency order of their types."""
    require_id(configuration_id, "configuration_id", BatchError)
    with resolve(store).transaction() as cursor:
        cursor.execute(
            f"SELECT {_BATCH_COLUMNS} FROM irp_batch WHERE configuration_id = %s"
            " AND (%s::text IS NULL OR batch_type = %s) ORDER BY id",
            (configuration_id, *(2 * [None if batch_type is None else _batch_type(batch_type).value])),
        )
        batches = [Batch(**row) for row in cursor.fetchall()]
    order = list(BatchType)
    return sorted(batches, key=lambda batch: order.index(batch.batch_type))


def get_active_batches(*, store: Store | None = None) -> list[Batch]:
    """ACTIVE batches of ACTIVE cycles, most recently submitted first (what a monitor polls)."""
    with resolve(store).transaction() as cursor:
        cursor.execute(
            f"""
            SELECT {columns(Batch, "b")} FROM irp_batch b
            JOIN irp_configuration c ON c.id = b.configuration_id
            JOIN irp_cycle y ON y.id = c.cycle_id
            WHERE b.status = 'ACTIVE' AND y.status = 'ACTIVE'
            ORDER BY b.submitted_ts DESC NULLS LAST, b.id
            """
        )
        return [Batch(**row) for row in cursor.fetchall()]


def get_batch_jobs(
    batch_id: int,
    skipped: bool | None = None,
    status: JobStatus | str | None = None,
    *,
    store: Store | None = None,
) -> list[Job]:
    """The batch's jobs ordered by id, optionally filtered (filters are ANDed).

    Records are built positionally from tuple rows: a dict per row and ``Job(**row)`` cost more
    than the query itself at 10,000 jobs.
    """
    require_id(batch_id, "batch_id", BatchError)
    status_value = None if status is None else jobs.job_status(status, BatchError).value
    with resolve(store).transaction(row_factory=args_row(Job)) as cursor:
        cursor.execute(
            f"""
            SELECT {_JOB_COLUMNS} FROM irp_job
            WHERE batch_id = %(batch_id)s
              AND (%(skipped)s::boolean IS NULL OR skipped = %(skipped)s)
              AND (%(status)s::job_status_enum IS NULL OR status = %(status)s)
            ORDER BY id
            """,
            {"batch_id": batch_id, "skipped": skipped, "status": status_value},
        )
        return cursor.fetchall()


def get_batch_job_configurations(
    batch_id: int, skipped: bool | None = None, *, store: Store | None = None
) -> list[JobConfiguration]:
    require_id(batch_id, "batch_id", BatchError)
    with resolve(store).transaction(row_factory=args_row(JobConfiguration)) as cursor:
        cursor.execute(
            f"""
            SELECT {_JOB_CONFIGURATION_COLUMNS} FROM irp_job_configuration
            WHERE batch_id = %(batch_id)s AND (%(skipped)s::boolean IS NULL OR skipped = %(skipped)s)
            ORDER BY id
            """,
            {"batch_id": batch_id, "skipped": skipped},
        )
        return cursor.fetchall()


def update_batch_step(batch_id: int, step: BatchStep, *, store: Store | None = None) -> None:
    """Attach the batch to the Airflow run and task group that now own it."""
    require_id(batch_id, "batch_id", BatchError)
    with resolve(store).transaction() as cursor:
        cursor.execute(
            "UPDATE irp_batch SET dag_id = %s, run_id = %s, task_group_id = %s, updated_ts = now() WHERE id = %s",
            (step.dag_id, step.run_id, step.task_group_id, batch_id),
        )
        if cursor.rowcount == 0:
            raise BatchError(f"Batch with id {batch_id} not found")


def _check_submittable(cursor: Any, batch_id: int) -> Batch:
    """Lock the batch and refuse it unless its configuration is usable and its cycle ACTIVE."""
    cursor.execute(
        f"""
        SELECT {columns(Batch, "b")}, c.status AS configuration_status, y.id AS cycle_id,
               y.status AS cycle_status
        FROM irp_batch b
        JOIN irp_configuration c ON c.id = b.configuration_id
        JOIN irp_cycle y ON y.id = c.cycle_id
        WHERE b.id = %s FOR UPDATE OF b
        """,
        (batch_id,),
    )
    row = cursor.fetchone()
    if row is None:
        raise BatchError(f"Batch with id {batch_id} not found")
    configuration_status = ConfigurationStatus(row.pop("configuration_status"))
    if not configuration_status.usable:
        raise BatchError(
            f"Configuration {row['configuration_id']} has status '{configuration_status}'. "
            "Must be VALID or ACTIVE to submit batch."
        )
    cycle_id, cycle_status = row.pop("cycle_id"), CycleStatus(row.pop("cycle_status"))
    if cycle_status is not CycleStatus.ACTIVE:
        raise BatchError(f"Cycle {cycle_id} has status '{cycle_status}'. Must be ACTIVE to submit batch.")
    return Batch(**row)


def activate_batch(batch_id: int, *, step: BatchStep | None = None, store: Store | None = None) -> Batch:
    """Mark the batch ACTIVE (submission started) and its configuration ACTIVE."""
    require_id(batch_id, "batch_id", BatchError)
    with resolve(store).transaction() as cursor:
        batch = _check_submittable(cursor, batch_id)
        cursor.execute(
            "UPDATE irp_batch SET status = 'ACTIVE', submitted_ts = now(), completed_ts = NULL,"
            " updated_ts = now(), dag_id = coalesce(%s, dag_id), run_id = coalesce(%s, run_id),"
            " task_group_id = coalesce(%s, task_group_id) WHERE id = %s",
            (
                step.dag_id if step else None,
                step.run_id if step else None,
                step.task_group_id if step else None,
                batch_id,
            ),
        )
        cursor.execute(
            "UPDATE irp_configuration SET status = 'ACTIVE', updated_ts = now() WHERE id = %s AND status <> 'ACTIVE'",
            (batch.configuration_id,),
        )
    return read_batch(batch_id, store=store)


def configuration_data(configuration_id: int, *, store: Store | None = None) -> dict[str, Any]:
    with resolve(store).transaction() as cursor:
        cursor.execute("SELECT configuration_data FROM irp_configuration WHERE id = %s", (configuration_id,))
        row = cursor.fetchone()
    if row is None:
        raise BatchError(f"Configuration with id {configuration_id} not found")
    return row["configuration_data"]


def pending_job_configurations(batch_id: int, *, store: Store | None = None) -> list[JobConfiguration]:
    """Non-skipped configurations of non-skipped jobs that are ready for (re)submission."""
    ready = [status.value for status in JobStatus if status.ready_for_submit]
    with resolve(store).transaction() as cursor:
        cursor.execute(
            f"""
            SELECT {columns(JobConfiguration, "c")} FROM irp_job_configuration c
            WHERE c.batch_id = %s AND NOT c.skipped AND EXISTS (
                SELECT 1 FROM irp_job j WHERE j.job_configuration_id = c.id AND NOT j.skipped
                AND j.status = ANY(%s::job_status_enum[]))
            ORDER BY c.id
            """,
            (batch_id, ready),
        )
        return [JobConfiguration(**row) for row in cursor.fetchall()]


def validate_batch(batch_id: int, validator: EntityValidator, *, store: Store | None = None) -> list[EntityMessage]:
    """Entity validation of the jobs still to submit; an empty list means valid.

    Jobs that already succeeded are not re-validated, so a partial re-run validates only
    what is left. Messages whose code starts with ``WARN-`` do not block.
    """
    batch = read_batch(batch_id, store=store)
    pending = pending_job_configurations(batch_id, store=store)
    if not pending:
        return []
    document = configuration_data(batch.configuration_id, store=store)
    registered = entry(batch.batch_type)
    return validator.validate_entities(
        batch.batch_type, [registered.job_spec(config.job_configuration_data, document) for config in pending]
    )


def delete_batch(batch_id: int, *, store: Store | None = None) -> None:
    """Delete a batch with its jobs, job configurations and logs, in one transaction.

    Nothing is cancelled or deleted in Moody's.
    """
    require_id(batch_id, "batch_id", BatchError)
    with resolve(store).transaction() as cursor:
        if lock_batch(cursor, batch_id, exclusive=True) is None:
            raise BatchError(f"Batch with id {batch_id} not found")
        cursor.execute("DELETE FROM irp_job WHERE batch_id = %s", (batch_id,))
        cursor.execute("DELETE FROM irp_job_configuration WHERE batch_id = %s", (batch_id,))
        cursor.execute("DELETE FROM irp_batch WHERE id = %s", (batch_id,))
