"""Domain vocabulary: batch types and the status literals stored in Postgres.

The string values are the literals the framework we replace writes, so existing reports keep
working against our tables.
"""

from __future__ import annotations

from enum import StrEnum


class BatchType(StrEnum):
    """The twelve batch types of a cycle, in dependency order."""

    DATA_EXTRACTION = "Data Extraction"
    EDM_CREATION = "EDM Creation"
    PORTFOLIO_CREATION = "Portfolio Creation"
    MRI_IMPORT = "MRI Import"
    CREATE_REINSURANCE_TREATIES = "Create Reinsurance Treaties"
    EDM_DB_UPGRADE = "EDM DB Upgrade"
    GEOHAZ = "GeoHaz"
    PORTFOLIO_MAPPING = "Portfolio Mapping"
    ANALYSIS = "Analysis"
    GROUPING = "Grouping"
    GROUPING_ROLLUP = "Grouping Rollup"
    EXPORT_TO_RDM = "Export to RDM"

    @property
    def synchronous(self) -> bool:
        """True when submitting a job also completes it (no Moody's job to track): its registry
        entry says (``irp.batch_types``)."""
        from irp.batch_types import entry

        return entry(self).synchronous

    @property
    def slug(self) -> str:
        """Identifier-safe name, used for Airflow task group ids."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: object) -> BatchType:
        """Return the batch type named by ``value`` (display name or slug), or raise ValueError."""
        if isinstance(value, BatchType):
            return value
        if isinstance(value, str):
            text = value.strip()
            for member in cls:
                if text in (member.value, member.slug):
                    return member
        raise ValueError(f"Unknown batch_type {value!r}. Available types: {[m.value for m in cls]}")


class CycleStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class ConfigurationStatus(StrEnum):
    NEW = "NEW"
    VALID = "VALID"
    ACTIVE = "ACTIVE"
    ERROR = "ERROR"

    @property
    def usable(self) -> bool:
        """Batches may be created from and submitted for a usable configuration."""
        return self in (ConfigurationStatus.VALID, ConfigurationStatus.ACTIVE)


class BatchStatus(StrEnum):
    INITIATED = "INITIATED"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    ERROR = "ERROR"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL_BATCH_STATUSES

    @property
    def needs_attention(self) -> bool:
        """Statuses that notify (Teams) and stop the downstream batch types."""
        return self in (BatchStatus.FAILED, BatchStatus.ERROR, BatchStatus.CANCELLED)


_TERMINAL_BATCH_STATUSES = frozenset(
    {BatchStatus.COMPLETED, BatchStatus.FAILED, BatchStatus.CANCELLED, BatchStatus.ERROR}
)


class JobStatus(StrEnum):
    """Job statuses; Moody's statuses are stored verbatim (identity mapping)."""

    INITIATED = "INITIATED"
    SUBMITTED = "SUBMITTED"
    PENDING = "PENDING"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    ERROR = "ERROR"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_JOB_STATUSES

    @property
    def ready_for_submit(self) -> bool:
        return self in READY_FOR_SUBMIT_JOB_STATUSES

    @property
    def in_progress(self) -> bool:
        """Submitted and not finished: Moody's is (or may still be) working on it."""
        return self in IN_PROGRESS_JOB_STATUSES

    @property
    def sets_completed_ts(self) -> bool:
        return self in (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELLED)


TERMINAL_JOB_STATUSES = frozenset({JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.ERROR})
READY_FOR_SUBMIT_JOB_STATUSES = frozenset({JobStatus.INITIATED, JobStatus.FAILED, JobStatus.ERROR})
IN_PROGRESS_JOB_STATUSES = frozenset(
    {
        JobStatus.SUBMITTED,
        JobStatus.QUEUED,
        JobStatus.PENDING,
        JobStatus.RUNNING,
        JobStatus.CANCEL_REQUESTED,
        JobStatus.CANCELLING,
    }
)

#: Workflow id stored for synchronous jobs, which have no Moody's job.
SYNCHRONOUS_WORKFLOW_ID = "N/A"
