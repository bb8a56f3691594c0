"""Data Extraction: source warehouse → the Account and Location CSVs that MRI Import uploads.

Runs ``include/sql/data_extraction/<cycle dir>/account.sql`` and ``location.sql`` on the
source connection (``[irp] source_conn_id``; SQL Server in production, any DB-API connection)
and writes each result set, tab-delimited, under ``<storage root>/<cycle>/data/``.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from irp.configuration.specs import DataExtractionSpec, JobSpec
from irp.constants import SYNCHRONOUS_WORKFLOW_ID, BatchType
from irp.exceptions import JobError
from irp.moodys.protocol import StatusReport, SubmissionResult
from irp.runners.sql_templates import cycle_directory, run_template, safe_name

TEMPLATES = {"account": "account.sql", "location": "location.sql"}


def cycle_data_folder(storage_root: str, cycle_name: str) -> Any:
    """Where a cycle's data files live (an ``ObjectStoragePath``: local folder or object store)."""
    from airflow.sdk import ObjectStoragePath

    root = storage_root if "://" in storage_root else Path(storage_root).resolve().as_uri()
    return ObjectStoragePath(root) / cycle_name / "data"


class DataExtractionRunner:
    """The job backend of Data Extraction (synchronous: submitting is running)."""

    def __init__(self, cycle_name: str, *, source_conn_id: str, sql_folder: Path, storage_root: str) -> None:
        self.cycle_name = cycle_name
        self.source_conn_id = source_conn_id
        self.template_root = Path(sql_folder) / "data_extraction"
        self.storage_root = storage_root

    def submit_job(
        self,
        batch_type: BatchType,
        job_id: int,
        job: JobSpec,
        *,
        installation_id: UUID | None = None,
    ) -> SubmissionResult:
        """Run the extraction (it sends nothing to Moody's, so ``installation_id`` keys nothing)."""
        if not isinstance(job, DataExtractionSpec):
            raise JobError(f"DataExtractionRunner cannot run a {batch_type} job")
        for field in ("portfolio", "import_file", "accounts_import_file", "locations_import_file"):
            job.require(field)
        cycle_type = job.require_cycle_type()
        folder = cycle_directory(self.template_root, cycle_type)
        parameters = {
            "import_file": str(job.import_file),
            "portfolio": str(job.portfolio),
            "date_value": str(job.current_date_value),
            "cycle_type": cycle_type,
            "edm": str(job.database if job.database is not None else ""),
        }
        output = cycle_data_folder(self.storage_root, self.cycle_name)
        output.mkdir(parents=True, exist_ok=True)
        files = {
            "account": safe_name(job.accounts_import_file, job.keys()["accounts_import_file"]),
            "location": safe_name(job.locations_import_file, job.keys()["locations_import_file"]),
        }
        counts: dict[str, int] = {}
        for kind, template in TEMPLATES.items():
            counts[kind] = self._extract(folder / template, parameters, output / files[kind])
        return SubmissionResult(
            workflow_id=SYNCHRONOUS_WORKFLOW_ID,
            request={
                "sql_scripts": {kind: str(folder / t) for kind, t in TEMPLATES.items()},
                "parameters": parameters,
                "accounts_file": files["account"],
                "locations_file": files["location"],
            },
            response={
                "workflow_id": SYNCHRONOUS_WORKFLOW_ID,
                "status": "SUCCESS",
                "message": f"Extracted {counts['account']} accounts and {counts['location']} locations",
                "csv_files": [str(output / files[kind]) for kind in TEMPLATES],
                "account_rows": counts["account"],
                "location_rows": counts["location"],
                "output_directory": str(output),
                "completed_at": datetime.now(UTC).isoformat(),
            },
        )

    def _extract(self, template: Path, parameters: Mapping[str, Any], target: Any) -> int:
        if not template.is_file():
            raise JobError(f"SQL template not found: {template}")
        written = 0
        with (
            run_template(self.source_conn_id, template, parameters) as result,
            target.open("w", newline="") as out,
        ):
            writer = csv.writer(out, delimiter="\t", lineterminator="\n")
            writer.writerow(result.columns)
            for row in result.rows:
                writer.writerow(row)
                written += 1
        return written

    def get_job_status(self, batch_type: BatchType, workflow_id: str) -> StatusReport:
        raise JobError("Data Extraction is synchronous: there is no job to poll")

    def cancel_job(self, batch_type: BatchType, workflow_id: str) -> None:
        raise JobError("Data Extraction is synchronous: there is no job to cancel")
