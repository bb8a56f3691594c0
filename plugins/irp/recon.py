"""Reconciliation: derive a batch's status from its jobs, aggregated in SQL.

Rules, first match wins (specs/batch_job.md §5 with the reference's bugs fixed):

1. a non-skipped job is not terminal            → ACTIVE
2. no non-skipped job (empty, or all skipped)   → COMPLETED
3. every non-skipped job CANCELLED              → CANCELLED
4. a non-skipped job in ERROR                   → ERROR
5. a non-skipped job FAILED                     → FAILED
6. every counted configuration fulfilled        → COMPLETED
7. otherwise (a terminal FINISHED/CANCELLED mix) → CANCELLED

A configuration is fulfilled when one of its jobs, skipped or not, FINISHED. A non-skipped
configuration whose jobs were all skipped without a replacement leaves the count
(``abandoned``), so a batch is never left ACTIVE once every job is terminal.
"""

from __future__ import annotations

from dataclasses import asdict

from psycopg.types.json import Jsonb

from irp.checks import require_id
from irp.constants import BatchStatus, JobStatus
from irp.exceptions import BatchError
from irp.records import ReconResult, ReconSummary
from irp.store import Store, fetch_row, lock_batch, resolve

_SUMMARY_SQL = """
WITH jobs AS (
    SELECT id, job_configuration_id, status, skipped FROM irp_job WHERE batch_id = %(batch_id)s
), configs AS (
    SELECT c.id, c.skipped,
           coalesce(bool_or(j.status = 'FINISHED'), FALSE) AS fulfilled,
           coalesce(bool_or(NOT j.skipped), FALSE) AS has_live_job
    FROM irp_job_configuration c LEFT JOIN jobs j ON j.job_configuration_id = c.id
    WHERE c.batch_id = %(batch_id)s
    GROUP BY c.id, c.skipped
)
SELECT
    (SELECT count(*) FROM configs) AS total_configs,
    (SELECT count(*) FROM configs WHERE NOT skipped) AS non_skipped_configs,
    (SELECT count(*) FROM configs WHERE NOT skipped AND fulfilled) AS fulfilled_configs,
    (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM configs
      WHERE NOT skipped AND NOT fulfilled AND has_live_job) AS unfulfilled_config_ids,
    (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM configs
      WHERE NOT skipped AND NOT fulfilled AND NOT has_live_job) AS abandoned_config_ids,
    (SELECT count(*) FROM jobs) AS total_jobs,
    (SELECT count(*) FROM jobs WHERE NOT skipped) AS non_skipped_jobs,
    (SELECT coalesce(jsonb_object_agg(status_key, n), '{}'::jsonb) FROM (
        SELECT CASE WHEN skipped THEN 'SKIPPED' ELSE status::text END AS status_key, count(*) AS n
        FROM jobs GROUP BY 1) counts) AS job_status_counts,
    (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM jobs
      WHERE NOT skipped AND status = 'FAILED') AS failed_job_ids,
    (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM jobs
      WHERE NOT skipped AND status = 'CANCELLED') AS cancelled_job_ids,
    (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM jobs
      WHERE NOT skipped AND status = 'ERROR') AS error_job_ids
"""

_TERMINAL = tuple(status.value for status in JobStatus if status.terminal)


def decide(summary: ReconSummary) -> BatchStatus:
    """The batch status the summary implies (pure: the rules of this module's docstring)."""
    terminal_jobs = sum(summary.job_status_counts.get(status, 0) for status in _TERMINAL)
    if terminal_jobs < summary.non_skipped_jobs:
        return BatchStatus.ACTIVE
    if summary.non_skipped_jobs == 0:
        return BatchStatus.COMPLETED
    if summary.count(JobStatus.CANCELLED) == summary.non_skipped_jobs:
        return BatchStatus.CANCELLED
    if summary.count(JobStatus.ERROR):
        return BatchStatus.ERROR
    if summary.count(JobStatus.FAILED):
        return BatchStatus.FAILED
    if summary.unfulfilled_configs == 0:
        return BatchStatus.COMPLETED
    return BatchStatus.CANCELLED


def recon_batch(batch_id: int, *, record_unchanged: bool = True, store: Store | None = None) -> ReconResult:
    """Reconcile one batch: write a recon-log row and the new status, in one transaction.

    The batch row is locked for the transaction, so concurrent recons and job updates of the
    batch serialize and the status written always reflects every committed job update.
    ``record_unchanged=False`` (a job task reconciling as its job ends) writes nothing when the
    status stays as it was, so the recon log shows how the batch ended, not one row per job.
    """
    require_id(batch_id, "batch_id", BatchError)
    with resolve(store).transaction() as cursor:
        row = lock_batch(cursor, batch_id, exclusive=True)
        if row is None:
            raise BatchError(f"Batch with id {batch_id} not found")
        previous = BatchStatus(row["status"])
        cursor.execute(_SUMMARY_SQL, {"batch_id": batch_id})
        values = fetch_row(cursor)
        summary = ReconSummary(**values, unfulfilled_configs=len(values["unfulfilled_config_ids"]))
        status = decide(summary)
        if status == previous and not record_unchanged:
            return ReconResult(batch_id, status, previous, summary)
        cursor.execute(
            "INSERT INTO irp_batch_recon_log (batch_id, recon_result, recon_summary) VALUES (%s, %s, %s)",
            (batch_id, status.value, Jsonb(asdict(summary))),
        )
        if status != previous:
            cursor.execute(
                """
                UPDATE irp_batch
                SET status = %(status)s, updated_ts = now(),
                    completed_ts = CASE WHEN %(terminal)s THEN now() END
                WHERE id = %(batch_id)s
                """,
                {"status": status.value, "terminal": status.terminal, "batch_id": batch_id},
            )
    return ReconResult(batch_id, status, previous, summary)
