"""The entity a job is about (its EDM, portfolio, treaty, analysis, group...): how people name it.

Mapped task instances are named after it, and the dashboard shows it. Each batch type's registry
entry says which job configuration field holds it (``irp.batch_types``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from irp.batch_types import entry
from irp.configuration.jobs import JobField
from irp.constants import BatchType

#: The job configuration field a label may be prefixed with (``with_database``).
DATABASE_FIELD = JobField.DATABASE


def label_field(batch_type: BatchType) -> str:
    """The job configuration field holding the entity a job of ``batch_type`` is about."""
    return entry(batch_type).label.field


def job_label(batch_type: BatchType, job_id: int, data: Mapping[str, Any]) -> str:
    """The entity a job is about, shown as the mapped task instance's name."""
    label = entry(batch_type).label
    value = data.get(label.field)
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    if label.with_database and data.get(DATABASE_FIELD):
        value = f"{data[DATABASE_FIELD]}/{value}"
    return f"{value}" if value else f"job {job_id}"
