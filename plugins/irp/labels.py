"""The entity a job is about (its EDM, portfolio, treaty, analysis, group...): how people name it.

Mapped task instances are named after it, and the dashboard shows it.
"""

from __future__ import annotations

from typing import Any

from irp.constants import BatchType

LABEL_FIELDS: dict[BatchType, str] = {
    BatchType.DATA_EXTRACTION: "Import File",
    BatchType.EDM_CREATION: "Database",
    BatchType.PORTFOLIO_CREATION: "Portfolio",
    BatchType.MRI_IMPORT: "Portfolio",
    BatchType.CREATE_REINSURANCE_TREATIES: "Treaty Name",
    BatchType.EDM_DB_UPGRADE: "Database",
    BatchType.GEOHAZ: "Portfolio",
    BatchType.PORTFOLIO_MAPPING: "Portfolio",
    BatchType.ANALYSIS: "Analysis Name",
    BatchType.GROUPING: "Group_Name",
    BatchType.GROUPING_ROLLUP: "Group_Name",
    BatchType.EXPORT_TO_RDM: "analysis_names",
}


def job_label(batch_type: BatchType, job_id: int, data: dict[str, Any]) -> str:
    """The entity a job is about, shown as the mapped task instance's name."""
    value = data.get(LABEL_FIELDS[batch_type])
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    if batch_type is BatchType.CREATE_REINSURANCE_TREATIES and data.get("Database"):
        value = f"{data['Database']}/{value}"
    return f"{value}" if value else f"job {job_id}"
