"""Rows of the store as typed records.

Records are slotted (not frozen) dataclasses: a 10,000-job batch is read in one query, and a
frozen dataclass's ``__init__`` alone would double the time it takes to build them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from irp.constants import BatchStatus, BatchType, ConfigurationStatus, CycleStatus, JobStatus

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

#: Job statuses by value: a dict lookup costs a tenth of ``JobStatus(value)`` (10,000-job reads).
_JOB_STATUSES: dict[str, JobStatus] = {status.value: status for status in JobStatus}


def _job_status(value: str) -> JobStatus:
    try:
        return _JOB_STATUSES[value]
    except (KeyError, TypeError):
        return JobStatus(value)  # raises the usual ValueError for an unknown status


@dataclass(frozen=True, slots=True)
class BatchStep:
    """The Airflow run and task group that own a batch (the notebook framework's 'step')."""

    dag_id: str
    run_id: str
    task_group_id: str


@dataclass(slots=True)
class Cycle:
    id: int
    cycle_name: str
    status: CycleStatus
    created_ts: datetime
    archived_ts: datetime | None

    def __post_init__(self) -> None:
        self.status = CycleStatus(self.status)


@dataclass(slots=True)
class Configuration:
    id: int
    cycle_id: int
    configuration_file_name: str
    status: ConfigurationStatus
    file_last_updated_ts: datetime
    content_sha256: str | None
    created_ts: datetime
    updated_ts: datetime

    def __post_init__(self) -> None:
        self.status = ConfigurationStatus(self.status)


@dataclass(slots=True)
class Batch:
    id: int
    configuration_id: int
    batch_type: BatchType
    status: BatchStatus
    dag_id: str | None
    run_id: str | None
    task_group_id: str | None
    created_ts: datetime
    submitted_ts: datetime | None
    completed_ts: datetime | None
    updated_ts: datetime

    def __post_init__(self) -> None:
        self.batch_type = BatchType(self.batch_type)
        self.status = BatchStatus(self.status)

    @property
    def step(self) -> BatchStep | None:
        if self.dag_id is None or self.run_id is None or self.task_group_id is None:
            return None
        return BatchStep(self.dag_id, self.run_id, self.task_group_id)


@dataclass(slots=True)
class JobConfiguration:
    id: int
    batch_id: int
    configuration_id: int
    job_configuration_data: dict[str, Any]
    skipped: bool
    overridden: bool
    override_reason_txt: str | None
    parent_job_configuration_id: int | None
    skipped_reason_txt: str | None
    override_job_configuration_id: int | None
    created_ts: datetime
    updated_ts: datetime


@dataclass(slots=True)
class Job:
    id: int
    batch_id: int
    job_configuration_id: int
    moodys_workflow_id: str | None
    status: JobStatus
    skipped: bool
    last_error: str | None
    parent_job_id: int | None
    submitted_ts: datetime | None
    completed_ts: datetime | None
    last_tracked_ts: datetime | None
    created_ts: datetime
    updated_ts: datetime
    submission_request: dict[str, Any] | None
    submission_response: dict[str, Any] | None
    #: When a submission began whose outcome is still unknown (None once the answer is known).
    submission_attempted_ts: datetime | None

    def __post_init__(self) -> None:
        self.status = _job_status(self.status)

    @property
    def submitted(self) -> bool:
        """A job with a workflow id was accepted once; submitting again would duplicate it."""
        return bool(self.moodys_workflow_id)

    @property
    def outcome_unknown(self) -> bool:
        """Sent to Moody's without an answer (lost, still processing past the wait, the worker killed
        mid-call): Moody's may have its job, so it is looked up before anything is sent again."""
        return self.submission_attempted_ts is not None and not self.submitted


@dataclass(slots=True)
class JobTracking:
    """One row of the tracking log: a status observed for a job."""

    id: int
    job_id: int
    tracked_ts: datetime
    moodys_workflow_id: str
    job_status: JobStatus
    tracking_data: dict[str, Any] | None

    def __post_init__(self) -> None:
        self.job_status = JobStatus(self.job_status)


@dataclass(slots=True)
class ReconSummary:
    """The summary written with every recon (keys of the reference's ``recon_summary``).

    ``abandoned_config_ids`` are configurations whose jobs were all skipped without a
    replacement: they leave the count, so such a batch can still complete.
    """

    total_configs: int = 0
    non_skipped_configs: int = 0
    fulfilled_configs: int = 0
    unfulfilled_configs: int = 0
    unfulfilled_config_ids: list[int] = field(default_factory=list)
    abandoned_config_ids: list[int] = field(default_factory=list)
    total_jobs: int = 0
    non_skipped_jobs: int = 0
    job_status_counts: dict[str, int] = field(default_factory=dict)
    failed_job_ids: list[int] = field(default_factory=list)
    cancelled_job_ids: list[int] = field(default_factory=list)
    error_job_ids: list[int] = field(default_factory=list)

    def count(self, status: JobStatus) -> int:
        """Non-skipped jobs in ``status``."""
        return self.job_status_counts.get(status.value, 0)


@dataclass(slots=True)
class ReconResult:
    batch_id: int
    status: BatchStatus
    previous_status: BatchStatus
    summary: ReconSummary

    @property
    def changed(self) -> bool:
        """Notifications fire on changes only."""
        return self.status != self.previous_status


def columns(record: type[DataclassInstance], alias: str = "") -> str:
    """The SELECT list that builds ``record(**row)``, or ``record(*row)``: fields in order."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + name for name in record.__dataclass_fields__)
