"""What a repair request says: the action, what it applies to, who asks and why.

Kept apart from :mod:`irp.repair` (which needs the store and the workbook rules) so the
``irp_repair`` DAG file and the dashboard can name actions without importing them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: The DAG people trigger to repair a cycle (the loader's refusal and the dashboard point at it).
REPAIR_DAG_ID = "irp_repair"


class RepairAction(StrEnum):
    RESUBMIT_WITH_CHANGES = "resubmit_with_changes"
    SKIP_JOB = "skip_job"
    CANCEL_JOB = "cancel_job"
    CANCEL_BATCH = "cancel_batch"
    ARCHIVE_CYCLE = "archive_cycle"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def target(self) -> RepairTarget:
        """The one id the action needs (the others must stay empty)."""
        if self is RepairAction.CANCEL_BATCH:
            return RepairTarget.BATCH
        if self is RepairAction.ARCHIVE_CYCLE:
            return RepairTarget.CYCLE
        return RepairTarget.JOB


class RepairTarget(StrEnum):
    """Names of the request fields (and DAG params) that say what a repair applies to."""

    JOB = "job_id"
    BATCH = "batch_id"
    CYCLE = "cycle"


class RepairOrigin(StrEnum):
    AIRFLOW = "airflow"
    CLI = "cli"


class RequestField(StrEnum):
    """Fields of a repair request that findings name (besides the targets)."""

    ACTION = "action"
    REASON = "reason"
    PARAMETERS = "parameters"


@dataclass(frozen=True)
class Requester:
    """Who asked, and through what: the DAG run that records it, or the command line."""

    user: str
    origin: RepairOrigin
    dag_id: str | None = None
    run_id: str | None = None


@dataclass(frozen=True)
class RepairRequest:
    action: RepairAction
    reason: str
    requester: Requester
    job_id: int | None = None
    batch_id: int | None = None
    cycle: str | None = None
    parameters: Mapping[str, Any] | None = None
