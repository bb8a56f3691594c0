"""The master configuration workbook: read, validate, parse, generate jobs, load into the store.

Importing this package is cheap (Airflow imports every plugin module in every component): the
workbook libraries (python-calamine) and psycopg are imported only when a workbook is read or
loaded.
"""

from __future__ import annotations

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
