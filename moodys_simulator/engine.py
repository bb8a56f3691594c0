"""The job engine: one job store for every kind of asynchronous work (contract §6.2).

A job is a list of phases (status, progress, length). Its position is wall-clock seconds since
submission (``time`` mode) or the number of status reads (``ticks`` mode); the current phase is
where the position falls. Side effects run once, atomically, when a job is first seen FINISHED;
never on FAILED or CANCELLED.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from moodys_simulator.options import AdvanceMode, SimulatorOptions

FIRST_JOB_ID = 23000000


class Status(StrEnum):
    QUEUED = "QUEUED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    CANCELLING = "CANCELLING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def terminal(self) -> bool:
        return self in (Status.FINISHED, Status.FAILED, Status.CANCELLED)


class JobKind(StrEnum):
    RISKDATA = "riskdata"
    WORKFLOW = "workflow"
    IMPORT = "import"
    GEOHAZ = "geohaz"
    MODEL = "model"
    GROUPING = "grouping"
    EXPORT = "export"
    DATABRIDGE = "databridge"


class DataBridgeStatus(StrEnum):
    """The plain-text statuses of Data Bridge jobs (contract §2.2)."""

    ENQUEUED = "Enqueued"
    PROCESSING = "Processing"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


DATABRIDGE_STATUSES = {
    Status.QUEUED: DataBridgeStatus.ENQUEUED,
    Status.PENDING: DataBridgeStatus.ENQUEUED,
    Status.RUNNING: DataBridgeStatus.PROCESSING,
    Status.CANCEL_REQUESTED: DataBridgeStatus.PROCESSING,
    Status.CANCELLING: DataBridgeStatus.PROCESSING,
    Status.FINISHED: DataBridgeStatus.SUCCEEDED,
    Status.FAILED: DataBridgeStatus.FAILED,
    Status.CANCELLED: DataBridgeStatus.FAILED,
}


class Outcome(StrEnum):
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    STALL = "STALL"


class Marker(StrEnum):
    """Name markers usable from Excel configurations."""

    FAIL = "__SIMFAIL__"
    CANCEL = "__SIMCANCEL__"
    STALL = "__SIMSTALL__"


MARKER_OUTCOMES = {Marker.FAIL: Outcome.FAILED, Marker.CANCEL: Outcome.CANCELLED, Marker.STALL: Outcome.STALL}


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Phase:
    status: Status
    progress: int
    length: float


@dataclass
class OutcomeRule:
    """``POST /_sim/job-outcomes``: jobs of ``kind`` whose name matches end as ``outcome``."""

    kind: str | None
    name_regex: str
    outcome: Outcome
    at_progress: int = 50
    message: str = "Simulated failure"

    def matches(self, kind: JobKind, name: str) -> bool:
        return (self.kind in (None, "", kind.value)) and re.search(self.name_regex, name) is not None


SideEffect = Callable[["SimJob"], None]


@dataclass
class SimJob:
    job_id: int
    kind: JobKind
    type: str
    name: str
    resource_group_id: str
    payload: dict[str, Any]
    phases: list[Phase]
    origin: float
    submitted_at: float
    side_effect: SideEffect | None = None
    reads: int = 0
    applied: bool = False
    started_at: float | None = None
    ended_at: float | None = None
    message: str = ""
    resources: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""
    output: dict[str, Any] = field(default_factory=dict)
    task_names: tuple[str, ...] = ()
    status: Status = Status.QUEUED
    progress: int = 0


class JobEngine:
    def __init__(self, options: SimulatorOptions, clock: Callable[[], float]) -> None:
        self.options = options
        self.clock = clock
        self.jobs: dict[int, SimJob] = {}
        self.next_id = FIRST_JOB_ID
        self.outcome_rules: list[OutcomeRule] = []
        self.random = random.Random(options.random_seed)

    def reset(self) -> None:
        self.jobs.clear()
        self.next_id = FIRST_JOB_ID
        self.outcome_rules.clear()
        self.random = random.Random(self.options.random_seed)

    def allocate_id(self) -> int:
        """Ids come from one increasing sequence shared by every kind (observed in production)."""
        self.next_id += 1
        return self.next_id

    # -- phases ----------------------------------------------------------------------------------
    def _lengths(self, job_type: str) -> tuple[float, float, float]:
        if self.options.mode is AdvanceMode.TICKS:
            ticks = float(max(1, self.options.ticks_per_phase))
            return ticks, ticks, ticks
        running = self.options.running_seconds_by_type.get(job_type, self.options.running_seconds)
        if self.options.running_spread:
            running *= math.exp(self.random.gauss(0.0, self.options.running_spread))
        return self.options.queued_seconds, self.options.pending_seconds, running / 2

    def _step(self, job_type: str) -> float:
        return self._lengths(job_type)[2] or (1.0 if self.options.mode is AdvanceMode.TICKS else 0.0)

    def phases(self, job_type: str, outcome: Outcome, at_progress: int) -> list[Phase]:
        queued, pending, half = self._lengths(job_type)
        start = [
            Phase(Status.QUEUED, 0, queued),
            Phase(Status.PENDING, 0, pending),
            Phase(Status.RUNNING, 33, half),
        ]
        if outcome is Outcome.FINISHED:
            return [*start, Phase(Status.RUNNING, 66, half), Phase(Status.FINISHED, 100, math.inf)]
        if outcome is Outcome.FAILED:
            return [
                *start,
                Phase(Status.RUNNING, at_progress, half),
                Phase(Status.FAILED, at_progress, math.inf),
            ]
        if outcome is Outcome.STALL:
            return [*start, Phase(Status.RUNNING, at_progress, math.inf)]
        return [*start, *self._cancel_tail(job_type, 33)]

    def _cancel_tail(self, job_type: str, progress: int) -> list[Phase]:
        step = self._step(job_type)
        return [
            Phase(Status.CANCEL_REQUESTED, progress, step),
            Phase(Status.CANCELLING, progress, step),
            Phase(Status.CANCELLED, progress, math.inf),
        ]

    def decide_outcome(self, kind: JobKind, name: str) -> tuple[Outcome, int, str]:
        for marker, outcome in MARKER_OUTCOMES.items():
            if marker in name:
                return outcome, 50, f"Simulated {outcome.value.lower()} ({marker.value} in name)"
        for rule in self.outcome_rules:
            if rule.matches(kind, name):
                return rule.outcome, rule.at_progress, rule.message
        rate = self.options.failure_rates.get(kind.value, 0.0)
        if rate and self.random.random() < rate:
            return Outcome.FAILED, 50, f"Simulated random failure of a {kind.value} job"
        return Outcome.FINISHED, 100, ""

    # -- lifecycle -------------------------------------------------------------------------------
    def submit(
        self,
        kind: JobKind,
        job_type: str,
        name: str,
        resource_group_id: str,
        payload: dict[str, Any],
        side_effect: SideEffect | None,
        task_names: tuple[str, ...] = (),
        job_id: int | None = None,
    ) -> SimJob:
        outcome, at_progress, message = self.decide_outcome(kind, name)
        now = self.clock()
        origin = now if self.options.mode is AdvanceMode.TIME else 0.0
        job = SimJob(
            job_id or self.allocate_id(),
            kind,
            job_type,
            name,
            resource_group_id,
            payload,
            self.phases(job_type, outcome, at_progress),
            origin,
            now,
            side_effect,
            message=message,
            task_names=task_names,
        )
        self.jobs[job.job_id] = job
        self.refresh(job)
        return job

    def position(self, job: SimJob) -> float:
        if self.options.mode is AdvanceMode.TIME:
            return self.clock() - job.origin
        return float(job.reads)

    def _current(self, job: SimJob) -> tuple[int, float]:
        """Index of the current phase and the position at which it started."""
        position = self.position(job)
        start = 0.0
        for index, phase in enumerate(job.phases):
            if position < start + phase.length or index == len(job.phases) - 1:
                return index, start
            start += phase.length
        return len(job.phases) - 1, start

    def refresh(self, job: SimJob) -> None:
        index, _ = self._current(job)
        phase = job.phases[index]
        if phase.status is Status.FINISHED and not job.applied:
            job.applied = True
            if job.side_effect is not None:
                try:
                    job.side_effect(job)
                except SideEffectError as error:
                    job.phases[index] = Phase(Status.FAILED, job.progress, math.inf)
                    job.message = str(error)
                    phase = job.phases[index]
        now = self.clock()
        if phase.status not in (Status.QUEUED, Status.PENDING) and job.started_at is None:
            job.started_at = now
        if phase.status.terminal and job.ended_at is None:
            job.ended_at = now
        job.status, job.progress = phase.status, phase.progress

    def read(self, job: SimJob) -> SimJob:
        """A status read: refresh, then (ticks mode) count the read."""
        self.refresh(job)
        if self.options.mode is AdvanceMode.TICKS:
            job.reads += 1
        return job

    def refresh_all(self) -> None:
        if self.options.mode is AdvanceMode.TIME:
            for job in self.jobs.values():
                if not job.status.terminal:
                    self.refresh(job)

    def cancel(self, job: SimJob) -> bool:
        """Request cancellation; False if the job is already terminal."""
        self.refresh(job)
        index, start = self._current(job)
        phase = job.phases[index]
        if phase.status.terminal:
            return False
        if phase.status in (Status.CANCEL_REQUESTED, Status.CANCELLING):
            return True
        position = self.position(job)
        kept = job.phases[: index + 1]
        kept[-1] = Phase(phase.status, phase.progress, max(0.0, position - start))
        if phase.status in (Status.QUEUED, Status.PENDING):
            job.phases = [*kept, Phase(Status.CANCELLED, phase.progress, math.inf)]
        else:
            job.phases = [*kept, *self._cancel_tail(job.type, phase.progress)]
        self.refresh(job)
        return True

    def advance(self, job: SimJob, seconds_or_ticks: float = 1.0) -> None:
        """Admin: move a job forward (shift its origin back, or add reads)."""
        if self.options.mode is AdvanceMode.TIME:
            job.origin -= seconds_or_ticks
        else:
            job.reads += int(seconds_or_ticks)
        self.refresh(job)

    # -- views -----------------------------------------------------------------------------------
    def tasks(self, job: SimJob) -> list[dict[str, Any]]:
        task_status = {
            Status.FINISHED: "Succeeded",
            Status.FAILED: "Failed",
            Status.CANCELLED: "Cancelled",
        }.get(job.status, "Running" if job.status is Status.RUNNING else "Pending")
        errors = [{"message": job.message}] if job.status is Status.FAILED and job.message else []
        return [
            {
                "taskId": str(number),
                "guid": f"{job.job_id}-{number}",
                "jobId": str(job.job_id),
                "name": name,
                "status": task_status,
                "percentComplete": job.progress,
                "output": {"summary": job.summary, "errors": errors, "log": dict(job.output)},
            }
            for number, name in enumerate(job.task_names, start=1)
        ]

    def platform_view(self, job: SimJob) -> dict[str, Any]:
        return {
            "jobId": str(job.job_id),
            "userName": "sim-user",
            "status": job.status.value,
            "submittedAt": iso(job.submitted_at),
            "startedAt": iso(job.started_at),
            "endedAt": iso(job.ended_at),
            "name": job.name,
            "type": job.type,
            "progress": job.progress,
            "priority": "medium",
            "entitlement": "RI-RISKMODELER",
            "resourceGroupId": job.resource_group_id,
            "details": {"resources": list(job.resources), "summary": self.summary(job)},
            "warnings": [],
            "tasks": self.tasks(job),
        }

    def summary(self, job: SimJob) -> str:
        if job.status is Status.FINISHED:
            return job.summary or f"{job.type} is successful"
        if job.status is Status.FAILED:
            return job.message or f"{job.type} failed"
        return ""

    def workflow_view(self, job: SimJob) -> dict[str, Any]:
        task_status = self.tasks(job)
        return {
            "id": job.job_id,
            "userName": "sim-user",
            "status": job.status.value,
            "submitTime": iso(job.submitted_at),
            "startTime": iso(job.started_at),
            "endTime": iso(job.ended_at),
            "name": job.name,
            "type": job.type,
            "progress": job.progress,
            "priority": "medium",
            "entitlement": "RI-RISKMODELER",
            "resourceGroupId": job.resource_group_id,
            "jobs": [
                {
                    "id": task["guid"],
                    "taskId": int(task["taskId"]),
                    "workflowId": job.job_id,
                    "status": task["status"],
                    "name": task["name"],
                    "input": {"name": task["name"]},
                    "output": dict(job.output),
                    "percentComplete": job.progress,
                    "continueOnFailure": False,
                }
                for task in task_status
            ],
            "summary": {"importSummary": job.summary} if job.summary else {},
            "output": dict(job.output),
            "messages": [job.message] if job.status is Status.FAILED and job.message else [],
        }


class SideEffectError(Exception):
    """A job's side effect cannot be applied (e.g. its target was deleted): the job FAILS."""


def wall_clock() -> float:
    return time.time()
