"""The seam between the store and whatever runs jobs (Moody's, or SQL for the SQL batch types).

:mod:`irp.job` and :mod:`irp.batch` call these protocols; :class:`irp.moodys.hook.MoodysHook`
implements them against the real API (or our simulator). Keeping the seam small lets the store
stay free of HTTP and Airflow imports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from uuid import UUID

from irp.constants import BatchType, JobStatus
from irp.exceptions import JobError

if TYPE_CHECKING:
    from irp.configuration.specs import JobSpec


class SubmissionOutcomeUnknown(JobError):
    """A request that creates something was sent and its answer never came (connection dropped,
    timeout, still "in progress" past the wait, a 5xx): Moody's may have acted on it. The store
    keeps the job's outcome unknown, so it is looked up in Moody's before anything is sent again."""


@dataclass(frozen=True)
class SubmissionResult:
    """What one submission produced.

    ``workflow_id`` is Moody's job/workflow id as text, or ``SYNCHRONOUS_WORKFLOW_ID`` for
    synchronous types. ``skipped_reason`` is set (and ``workflow_id`` empty) when nothing was
    submitted because every item the job refers to is missing in Moody's (Grouping, Export).
    ``request``/``response`` are recorded on the job; they never hold credentials.
    """

    workflow_id: str
    request: dict[str, Any] = field(default_factory=dict)
    response: dict[str, Any] = field(default_factory=dict)
    skipped_reason: str | None = None


@dataclass(frozen=True)
class StatusReport:
    """One poll of a Moody's job: its status mapped to ours, and the raw payload for the log."""

    status: JobStatus
    payload: dict[str, Any] = field(default_factory=dict)
    progress: float | None = None


@dataclass(frozen=True)
class EntityMessage:
    """One failed entity rule: a stable code (``ENT-EDM-001``, ``WARN-ANALYSIS-001``...),
    a description, and the offending entities (``EDM/Portfolio``...)."""

    code: str
    description: str
    entities: tuple[str, ...] = ()

    @property
    def blocking(self) -> bool:
        return not self.code.startswith("WARN-")

    def __str__(self) -> str:
        lines = [f"{self.code}: {self.description}" + (":" if self.entities else "")]
        lines.extend(f"  - {entity}" for entity in self.entities)
        return "\n".join(lines)


@runtime_checkable
class JobBackend(Protocol):
    """Runs the jobs of some batch types."""

    def submit_job(
        self, batch_type: BatchType, job_id: int, job: JobSpec, *, installation_id: UUID
    ) -> SubmissionResult:
        """Submit one job. Must be idempotent per store (``installation_id``) and ``job_id``: a second
        call for the same job (a retry after a crash) returns the first submission instead of
        creating another, and another store's job with the same id is not mistaken for it.
        Raises :class:`SubmissionOutcomeUnknown` when Moody's may have acted without answering."""
        ...

    def get_job_status(self, batch_type: BatchType, workflow_id: str) -> StatusReport: ...

    def cancel_job(self, batch_type: BatchType, workflow_id: str) -> None: ...


@runtime_checkable
class SubmissionFinder(Protocol):
    """Finds in Moody's what a job whose submission outcome is unknown created, by what it creates
    (its Moody's job by name, or the entity of a synchronous type), once its idempotency key may
    have expired. A backend without it sends such a job again: its submissions repeat harmlessly."""

    def find_submission(
        self, batch_type: BatchType, job: JobSpec, *, since: datetime, taken: frozenset[str]
    ) -> SubmissionResult | None:
        """The submission Moody's has for the job (created at or after ``since``, not one of the
        Moody's ids in ``taken``, which other jobs of the batch own), or None when it has none.
        Raises when it cannot tell (Moody's unreachable, several candidates)."""
        ...


@runtime_checkable
class SubmissionRehearsal(Protocol):
    """Answers a batch's look-ups once: a batch's ``prepare`` rehearses its jobs' submissions up to
    their first write and hands each job task the answers its look-ups used; the task's first try
    starts from them (``use_references``) and sends only its writes."""

    def rehearse_submissions(self, batch_type: BatchType, specs: Mapping[int, JobSpec]) -> dict[int, dict[str, Any]]:
        """Per job id, the answers (JSON) its submission's look-ups used; an outage raises."""
        ...

    def use_references(self, answers: Mapping[str, Any]) -> None:
        """Answer look-ups from ``answers`` (a rehearsal's, for this job) before asking Moody's."""
        ...


@runtime_checkable
class EntityValidator(Protocol):
    """Checks the entities a batch needs (must exist) or would create (must not exist)."""

    def validate_entities(self, batch_type: BatchType, jobs: Sequence[JobSpec]) -> list[EntityMessage]:
        """Every failed rule, one message each: only Moody's answers. An outage (no response, 429,
        5xx after the client's retries) raises :class:`~irp.moodys.errors.MoodysUnavailableError`,
        never a message nor 'missing': the task retries it."""
        ...

    def entity_exists(self, batch_type: BatchType, job: JobSpec) -> bool:
        """Whether the entity a FINISHED job created is still there (raises on API errors;
        ``MoodysUnavailableError`` on an outage)."""
        ...

    def delete_analyses(self, analyses: Sequence[tuple[str, str]]) -> list[str]:
        """Delete analyses given as (analysis name, EDM name); returns one error string per failure
        Moody's answered. Like every delete, raises ``MoodysUnavailableError`` on an outage."""
        ...

    def delete_groups(self, group_names: Sequence[str]) -> list[str]:
        """Delete groups by name; returns one error string per failure."""
        ...

    def delete_rdms(self, rdm_names: Sequence[str]) -> list[str]:
        """Delete RDMs by export name (the Data Bridge database ``<rdm name>_<suffix>``), waiting for
        the delete to finish; returns one error string per failure."""
        ...
