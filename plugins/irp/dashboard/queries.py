"""What the dashboard shows, read from the store: every page is a fixed number of queries.

Counts are aggregated in SQL; per-job facts (attempt number, replacement, latest progress) come
from one query per batch, however many jobs it has.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from irp import job as jobs
from irp.constants import BatchStatus, BatchType, CycleStatus, JobStatus
from irp.cycles import DAG_ID_PREFIX
from irp.labels import LABEL_FIELDS, job_label
from irp.records import JobTracking, ReconSummary
from irp.repair import RepairRecord, repair_log
from irp.reports import BatchSummary, batch_summary, cycle_batches
from irp.store import Store, fetch_row

#: Recon results shown per batch on the batches page (the batch page shows up to RECON_PAGE_LIMIT).
RECON_HISTORY_LIMIT = 5
RECON_PAGE_LIMIT = 50
#: Jobs listed on a batch page unless the request asks for more (a batch may hold 10,000).
DEFAULT_JOB_LIMIT = 1000
MAX_JOB_LIMIT = 20000
#: Repairs listed on a page (newest first).
REPAIR_LIMIT = 50


@dataclass(slots=True)
class CycleOverview:
    """A cycle and the state of the batches of its current configuration."""

    cycle_name: str
    status: CycleStatus
    created_ts: datetime
    archived_ts: datetime | None
    configuration_id: int | None
    batch_counts: dict[str, int]  # batches by status
    total_jobs: int  # live (non-skipped) jobs
    finished_jobs: int
    last_update_ts: datetime | None
    dag_id: str = ""

    def __post_init__(self) -> None:
        self.status = CycleStatus(self.status)
        self.dag_id = DAG_ID_PREFIX + self.cycle_name

    @property
    def total_batches(self) -> int:
        return sum(self.batch_counts.values())


@dataclass(slots=True)
class ReconEntry:
    """One recon of a batch: the status it decided and the counts it saw."""

    batch_id: int
    recon_ts: datetime
    result: BatchStatus
    summary: ReconSummary

    def __post_init__(self) -> None:
        self.result = BatchStatus(self.result)


@dataclass(slots=True)
class BatchLinks:
    """Where a batch is shown: its dashboard page, and its DAG run and task group in Airflow."""

    page: str
    dag_run: str | None = None
    task_group: str | None = None


@dataclass(slots=True)
class BatchOverview:
    cycle_name: str
    batch: BatchSummary
    total_jobs: int
    finished_jobs: int
    progress_percent: float
    recon_count: int = 0
    recon_history: list[ReconEntry] = field(default_factory=list)  # newest first
    links: BatchLinks | None = None

    @classmethod
    def of(cls, cycle_name: str, batch: BatchSummary) -> BatchOverview:
        return cls(cycle_name, batch, batch.total_jobs, batch.finished_jobs, batch.progress_percent)


@dataclass(slots=True)
class JobRow:
    """A job as listed: what it is about, where it stands, and its place in a resubmission chain."""

    job_id: int
    batch_id: int
    job_configuration_id: int
    entity: str
    status: JobStatus
    skipped: bool
    moodys_workflow_id: str | None
    attempt: int  # 1 for an original job, n for its (n-1)th resubmission
    parent_job_id: int | None  # the job this one resubmits
    replaced_by_job_id: int | None  # the job that resubmits this one
    last_error: str | None
    skipped_reason: str | None
    progress: float | None  # percent, from the latest tracking poll
    created_ts: datetime
    submitted_ts: datetime | None
    completed_ts: datetime | None
    last_tracked_ts: datetime | None

    def __post_init__(self) -> None:
        self.status = JobStatus(self.status)


@dataclass(slots=True)
class BatchDetail:
    overview: BatchOverview
    jobs: list[JobRow]
    matching_jobs: int  # jobs passing the filter; ``jobs`` holds at most the requested limit
    repairs: list[RepairRecord] = field(default_factory=list)  # of the batch and its jobs, newest first


@dataclass(slots=True)
class JobDetail:
    cycle_name: str
    batch_type: BatchType
    job: JobRow
    chain: list[JobRow]  # every attempt, oldest first (includes ``job``)
    tracking: list[JobTracking]  # oldest first
    configuration: dict[str, Any]
    submission_response: dict[str, Any] | None
    batch_links: BatchLinks | None = None
    repairs: list[RepairRecord] = field(default_factory=list)  # made on the job or creating it, newest first

    def __post_init__(self) -> None:
        self.batch_type = BatchType(self.batch_type)


# -- cycles ---------------------------------------------------------------------------------------------
_CYCLES = """
SELECT y.cycle_name, y.status, y.created_ts, y.archived_ts, cur.id AS configuration_id,
       coalesce(b.batch_counts, '{}'::jsonb) AS batch_counts, coalesce(j.total_jobs, 0) AS total_jobs,
       coalesce(j.finished_jobs, 0) AS finished_jobs, b.last_update_ts
FROM irp_cycle y
LEFT JOIN LATERAL (
    SELECT c.id FROM irp_configuration c WHERE c.cycle_id = y.id ORDER BY c.id DESC LIMIT 1
) cur ON TRUE
LEFT JOIN LATERAL (
    SELECT jsonb_object_agg(status, n) AS batch_counts, max(last_update_ts) AS last_update_ts FROM (
        SELECT status::text AS status, count(*) AS n, max(updated_ts) AS last_update_ts
        FROM irp_batch WHERE configuration_id = cur.id GROUP BY 1) s
) b ON TRUE
LEFT JOIN LATERAL (
    SELECT count(*) AS total_jobs, count(*) FILTER (WHERE jb.status = 'FINISHED') AS finished_jobs
    FROM irp_job jb JOIN irp_batch bt ON bt.id = jb.batch_id
    WHERE bt.configuration_id = cur.id AND NOT jb.skipped
) j ON TRUE
WHERE (%(name)s::text IS NULL OR y.cycle_name = %(name)s)
  AND (%(statuses)s::text[] IS NULL OR y.status::text = ANY(%(statuses)s))
ORDER BY y.status, y.created_ts DESC, y.id DESC
"""


def cycles(store: Store, statuses: list[CycleStatus] | None = None) -> list[CycleOverview]:
    """Every cycle (active first, newest first)."""
    with store.transaction() as cursor:
        cursor.execute(_CYCLES, {"name": None, "statuses": [s.value for s in statuses] if statuses else None})
        return [CycleOverview(**row) for row in cursor.fetchall()]


def cycle(store: Store, cycle_name: str) -> CycleOverview | None:
    with store.transaction() as cursor:
        cursor.execute(_CYCLES, {"name": cycle_name, "statuses": None})
        row = cursor.fetchone()
    return None if row is None else CycleOverview(**row)


# -- batches --------------------------------------------------------------------------------------------
_RECON_HISTORY = """
SELECT batch_id, recon_ts, recon_result AS result, recon_summary AS summary, total FROM (
    SELECT r.*, row_number() OVER w AS n, count(*) OVER (PARTITION BY r.batch_id) AS total
    FROM irp_batch_recon_log r WHERE r.batch_id = ANY(%(batch_ids)s)
    WINDOW w AS (PARTITION BY r.batch_id ORDER BY r.id DESC)
) ranked
WHERE n <= %(limit)s
ORDER BY batch_id, n
"""

_SUMMARY_FIELDS = frozenset(f.name for f in fields(ReconSummary))


def _recon_summary(raw: dict[str, Any]) -> ReconSummary:
    """Summaries are stored JSON: keys this version does not know are ignored."""
    return ReconSummary(**{key: value for key, value in raw.items() if key in _SUMMARY_FIELDS})


def _attach_recon_history(store: Store, overviews: list[BatchOverview], limit: int) -> None:
    by_id = {overview.batch.batch_id: overview for overview in overviews}
    if not by_id:
        return
    with store.transaction() as cursor:
        cursor.execute(_RECON_HISTORY, {"batch_ids": list(by_id), "limit": limit})
        for row in cursor.fetchall():
            overview = by_id[row["batch_id"]]
            overview.recon_count = row["total"]
            overview.recon_history.append(
                ReconEntry(row["batch_id"], row["recon_ts"], row["result"], _recon_summary(row["summary"]))
            )


def batches(store: Store, cycle_name: str, statuses: list[BatchStatus] | None = None) -> list[BatchOverview]:
    """The batches of the cycle's current configuration in dependency order, with recent recons."""
    overviews = [
        BatchOverview.of(cycle_name, summary)
        for summary in cycle_batches(cycle_name, store=store)
        if not statuses or summary.status in statuses
    ]
    _attach_recon_history(store, overviews, RECON_HISTORY_LIMIT)
    return overviews


_BATCH_CYCLE = """
SELECT y.cycle_name FROM irp_batch b
JOIN irp_configuration c ON c.id = b.configuration_id JOIN irp_cycle y ON y.id = c.cycle_id
WHERE b.id = %s
"""


def batch(store: Store, batch_id: int) -> BatchOverview | None:
    """One batch (of any configuration of its cycle) with its full recon history."""
    summary = batch_summary(batch_id, store=store)
    if summary is None:
        return None
    with store.transaction() as cursor:
        cursor.execute(_BATCH_CYCLE, (batch_id,))
        cycle_name = fetch_row(cursor)["cycle_name"]
    overview = BatchOverview.of(cycle_name, summary)
    _attach_recon_history(store, [overview], RECON_PAGE_LIMIT)
    return overview


# -- jobs -----------------------------------------------------------------------------------------------
# The jobs reached from ``roots`` through resubmissions (which stay in their batch), with their
# attempt number, replacement and latest progress. The page of jobs is cut first, so per-job
# lookups run for at most ``limit`` jobs. Those lookups avoid ORDER BY ... LIMIT 1: on the log
# tables Postgres may answer it by walking the primary key backwards through every other job's
# rows. The latest tracking row is found by its timestamp instead: irp.job writes it and the
# job's last_tracked_ts with the same now(), so idx_tracking_ts finds it directly.
_JOB_ROWS = """
WITH RECURSIVE {ctes}chain AS (
    SELECT id, id AS root_id, 1 AS attempt FROM irp_job WHERE {roots}
    UNION ALL
    SELECT j.id, chain.root_id, chain.attempt + 1 FROM irp_job j JOIN chain ON j.parent_job_id = chain.id
), page AS (
    SELECT j.*, chain.root_id, chain.attempt, count(*) OVER () AS matching
    FROM chain JOIN irp_job j ON j.id = chain.id
    WHERE {where}
    ORDER BY {order}
    LIMIT %(limit)s
)
SELECT j.id AS job_id, j.batch_id, j.job_configuration_id, j.status, j.skipped, j.moodys_workflow_id,
       j.attempt, j.parent_job_id, j.last_error, c.skipped_reason_txt AS skipped_reason,
       j.created_ts, j.submitted_ts, j.completed_ts, j.last_tracked_ts, j.matching,
       (SELECT (array_agg(r.id ORDER BY r.id))[1] FROM irp_job r WHERE r.parent_job_id = j.id) AS replaced_by_job_id,
       (SELECT (array_agg(t.tracking_data -> 'progress' ORDER BY t.id DESC))[1] FROM irp_job_tracking_log t
        WHERE t.tracked_ts = j.last_tracked_ts AND t.job_id = j.id) AS progress,
       c.job_configuration_data -> %(label_field)s AS label_value,
       c.job_configuration_data ->> 'Database' AS label_database
FROM page j
JOIN irp_job_configuration c ON c.id = j.job_configuration_id
ORDER BY {order}
"""

_BATCH_JOBS = _JOB_ROWS.format(
    ctes="",
    roots="batch_id = %(batch_id)s AND parent_job_id IS NULL",
    where="(%(statuses)s::text[] IS NULL OR j.status::text = ANY(%(statuses)s))",
    order="root_id, attempt",
)

# The whole chain of one job: walk up to the original, then down through every resubmission.
_JOB_CHAIN = _JOB_ROWS.format(
    ctes="""up AS (
        SELECT id, parent_job_id FROM irp_job WHERE id = %(job_id)s
        UNION ALL
        SELECT j.id, j.parent_job_id FROM irp_job j JOIN up ON j.id = up.parent_job_id
    ), """,
    roots="id IN (SELECT id FROM up WHERE parent_job_id IS NULL)",
    where="TRUE",
    order="attempt",
)


def _job_row(batch_type: BatchType, row: dict[str, Any]) -> JobRow:
    label_data = {LABEL_FIELDS[batch_type]: row.pop("label_value"), "Database": row.pop("label_database")}
    row.pop("matching")
    progress = row.pop("progress")
    return JobRow(
        entity=job_label(batch_type, row["job_id"], label_data),
        progress=float(progress) if isinstance(progress, int | float) else None,
        **row,
    )


def batch_jobs(
    store: Store,
    overview: BatchOverview,
    statuses: list[JobStatus] | None = None,
    limit: int = DEFAULT_JOB_LIMIT,
) -> BatchDetail:
    """The batch's jobs (skipped and replaced ones included), grouped by job configuration."""
    batch_type = overview.batch.batch_type
    params = {
        "batch_id": overview.batch.batch_id,
        "label_field": LABEL_FIELDS[batch_type],
        "statuses": [s.value for s in statuses] if statuses else None,
        "limit": limit,
    }
    with store.transaction() as cursor:
        cursor.execute(_BATCH_JOBS, params)
        rows = cursor.fetchall()
    matching = rows[0]["matching"] if rows else 0
    repairs = repair_log(batch_id=overview.batch.batch_id, limit=REPAIR_LIMIT, store=store)
    return BatchDetail(overview, [_job_row(batch_type, row) for row in rows], matching, repairs)


_JOB_CONTEXT = """
SELECT b.batch_type, y.cycle_name, c.job_configuration_data, j.submission_response
FROM irp_job j
JOIN irp_batch b ON b.id = j.batch_id
JOIN irp_configuration cf ON cf.id = b.configuration_id
JOIN irp_cycle y ON y.id = cf.cycle_id
JOIN irp_job_configuration c ON c.id = j.job_configuration_id
WHERE j.id = %s
"""


def job(store: Store, job_id: int) -> JobDetail | None:
    """A job with its resubmission chain, tracking log and configuration."""
    with store.transaction() as cursor:
        cursor.execute(_JOB_CONTEXT, (job_id,))
        context = cursor.fetchone()
        if context is None:
            return None
        batch_type = BatchType(context["batch_type"])
        cursor.execute(_JOB_CHAIN, {"job_id": job_id, "label_field": LABEL_FIELDS[batch_type], "limit": None})
        chain = [_job_row(batch_type, row) for row in cursor.fetchall()]
    this = next(row for row in chain if row.job_id == job_id)
    return JobDetail(
        cycle_name=context["cycle_name"],
        batch_type=batch_type,
        job=this,
        chain=chain,
        tracking=jobs.get_job_tracking(job_id, store=store),
        configuration=context["job_configuration_data"],
        submission_response=context["submission_response"],
        repairs=repair_log(job_id=job_id, limit=REPAIR_LIMIT, store=store),
    )


def cycle_repairs(store: Store, cycle_name: str) -> list[RepairRecord]:
    """The cycle's repairs, newest first."""
    return repair_log(cycle_name=cycle_name, limit=REPAIR_LIMIT, store=store)
