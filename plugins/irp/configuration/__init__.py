"""The master configuration workbook: read, validate, parse, generate jobs, load into the store.

Importing this package is cheap (Airflow imports every plugin module in every component): its
names are imported on first use, and the workbook libraries (python-calamine) and psycopg only
when a workbook is read or loaded.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from irp.configuration.issues import Rule, Severity, ValidationIssue, format_issues
    from irp.configuration.jobs import generate_job_configurations, job_counts, required_batch_types
    from irp.configuration.loader import LoadResult, load_configuration
    from irp.configuration.reader import WorkbookReadError
    from irp.configuration.validation import (
        InvalidConfigurationError,
        ValidationReport,
        parse_workbook,
        validate_content,
        validate_workbook,
    )

#: Where each public name lives: imported on first use, so that importing one submodule (the batch
#: type registry reads ``irp.configuration.jobs`` while a cycle file is parsed) loads no other.
_EXPORTS = {
    "Rule": "issues",
    "Severity": "issues",
    "ValidationIssue": "issues",
    "format_issues": "issues",
    "generate_job_configurations": "jobs",
    "job_counts": "jobs",
    "required_batch_types": "jobs",
    "LoadResult": "loader",
    "load_configuration": "loader",
    "WorkbookReadError": "reader",
    "InvalidConfigurationError": "validation",
    "ValidationReport": "validation",
    "parse_workbook": "validation",
    "validate_content": "validation",
    "validate_workbook": "validation",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)


__all__ = [
    "InvalidConfigurationError",
    "LoadResult",
    "Rule",
    "Severity",
    "ValidationIssue",
    "ValidationReport",
    "WorkbookReadError",
    "format_issues",
    "generate_job_configurations",
    "job_counts",
    "load_configuration",
    "parse_workbook",
    "required_batch_types",
    "validate_content",
    "validate_workbook",
]
