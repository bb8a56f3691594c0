"""Read models for people: a cycle's batches with their job counts (CLI, dashboard)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from irp.constants import BatchStatus, BatchType, JobStatus
from irp.store import Store, resolve


@dataclass(slots=True)
class BatchSummary:
    batch_id: int
    batch_type: BatchType
    status: BatchStatus
    configuration_id: int
    dag_id: str | None
    run_id: str | None
    task_group_id: str | None
    submitted_ts: datetime | None
    completed_ts: datetime | None
    job_counts: dict[str, int] = field(default_factory=dict)  # non-skipped jobs by status
    skipped_jobs: int = 0
    created_ts: datetime | None = None
    updated_ts: datetime | None = None

    def __post_init__(self) -> None:
        self.batch_type = BatchType(self.batch_type)
        self.status = BatchStatus(self.status)

    @property
    def total_jobs(self) -> int:
        return sum(self.job_counts.values())

    @property
    def finished_jobs(self) -> int:
        return self.job_counts.get(JobStatus.FINISHED.value, 0)

    @property
    def progress_percent(self) -> float:
        """Finished share of the live (non-skipped) jobs; a batch without jobs has nothing left to do."""
        if not self.total_jobs:
            return 100.0 if self.status is BatchStatus.COMPLETED else 0.0
        return round(self.finished_jobs / self.total_jobs * 100, 1)


_BATCH_SUMMARIES = """
SELECT b.id AS batch_id, b.batch_type, b.status, b.configuration_id, b.dag_id, b.run_id, b.task_group_id,
       b.submitted_ts, b.completed_ts, b.created_ts, b.updated_ts,
       coalesce((SELECT jsonb_object_agg(status, n) FROM (
           SELECT status::text AS status, count(*) AS n FROM irp_job
           WHERE batch_id = b.id AND NOT skipped GROUP BY 1) counts), '{}'::jsonb) AS job_counts,
       (SELECT count(*) FROM irp_job WHERE batch_id = b.id AND skipped) AS skipped_jobs
FROM irp_batch b
"""

_CYCLE_BATCHES = (
    _BATCH_SUMMARIES
    + """
WHERE b.configuration_id = (
    SELECT c.id FROM irp_configuration c JOIN irp_cycle y ON y.id = c.cycle_id
    WHERE y.cycle_name = %s ORDER BY c.id DESC LIMIT 1)
"""
)


def cycle_batches(cycle_name: str, *, store: Store | None = None) -> list[BatchSummary]:
    """The batches of the cycle's current configuration, in dependency order."""
    with resolve(store).transaction() as cursor:
        cursor.execute(_CYCLE_BATCHES, (cycle_name,))
        summaries = [BatchSummary(**row) for row in cursor.fetchall()]
    order = list(BatchType)
    return sorted(summaries, key=lambda s: order.index(s.batch_type))


def batch_summary(batch_id: int, *, store: Store | None = None) -> BatchSummary | None:
    """One batch with its job counts; None when it does not exist."""
    with resolve(store).transaction() as cursor:
        cursor.execute(_BATCH_SUMMARIES + "WHERE b.id = %s", (batch_id,))
        row = cursor.fetchone()
    return None if row is None else BatchSummary(**row)


def format_cycle_batches(cycle_name: str, summaries: list[BatchSummary]) -> str:
    """A plain-text table of the batches, for terminals and logs."""
    statuses = [s for s in JobStatus if any(b.job_counts.get(s.value) for b in summaries)]
    headers = ["batch type", "batch", "status", "jobs", *[s.value.lower() for s in statuses], "skipped"]
    rows = [
        [b.batch_type.value, str(b.batch_id), b.status.value, str(b.total_jobs),
         *[str(b.job_counts.get(s.value, 0)) for s in statuses], str(b.skipped_jobs)]
        for b in summaries
    ]  # fmt: skip
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = [f"Cycle {cycle_name}: {len(summaries)} batches"]
    lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
    return "\n".join(lines)
