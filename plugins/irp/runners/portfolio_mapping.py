"""Portfolio Mapping: split a base portfolio into its sub-portfolios.

The mapping SQL (``include/sql/portfolio_mapping/<cycle dir>/<Import File>.sql``) runs on the
Data Bridge connection (``[irp] databridge_conn_id``) and returns one row per assignment —
columns ``sub_portfolio`` and ``account_number``; the sub-portfolios are then created in the EDM
and given their accounts through the Moody's API. A base portfolio without a mapping script
has no sub-portfolios: the job finishes with status ``SKIPPED`` in its response.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from irp.configuration.specs import JobSpec, PortfolioMappingSpec
from irp.constants import SYNCHRONOUS_WORKFLOW_ID, BatchType
from irp.exceptions import JobError
from irp.moodys.jobs import RequestKeys
from irp.moodys.protocol import StatusReport, SubmissionResult
from irp.runners.sql_templates import cycle_directory, run_template, safe_name

if TYPE_CHECKING:
    from irp.moodys.hook import MoodysHook

RESULT_COLUMNS = ("sub_portfolio", "account_number")
MAX_PORTFOLIO_NAME = 40  # Moody's limit on portfolio names


class PortfolioMappingRunner:
    """The job backend of Portfolio Mapping (synchronous)."""

    def __init__(self, hook: MoodysHook, *, databridge_conn_id: str, sql_folder: Path) -> None:
        self.hook = hook
        self.databridge_conn_id = databridge_conn_id
        self.template_root = Path(sql_folder) / "portfolio_mapping"

    def submit_job(
        self, batch_type: BatchType, job_id: int, job: JobSpec, *, installation_id: UUID
    ) -> SubmissionResult:
        if not isinstance(job, PortfolioMappingSpec):
            raise JobError(f"PortfolioMappingRunner cannot run a {batch_type} job")
        for field in ("portfolio", "database", "import_file"):
            job.require(field)
        cycle_type = job.require_cycle_type()
        folder = cycle_directory(self.template_root, cycle_type)
        template = folder / f"{safe_name(job.import_file, job.keys()['import_file'])}.sql"
        edm, portfolio = str(job.database), str(job.portfolio)
        if not template.is_file():
            return SubmissionResult(
                SYNCHRONOUS_WORKFLOW_ID,
                request={"sql_script": str(template)},
                response={"workflow_id": SYNCHRONOUS_WORKFLOW_ID, "status": "SKIPPED",
                          "message": f"No mapping script for import file {job.import_file}"},
            )  # fmt: skip
        database_name, portfolio_id = self.hook.portfolio_mapping_target(edm, portfolio)
        parameters = {
            "import_file": str(job.import_file),
            "portfolio": portfolio,
            "portfolio_id": portfolio_id,
            "date_value": str(job.current_date_value),
            "cycle_type": cycle_type,
            "edm": database_name,
        }
        assignments = self._assignments(template, parameters)
        created = self.hook.map_sub_portfolios(edm, portfolio, assignments, RequestKeys(installation_id, job_id))
        return SubmissionResult(
            SYNCHRONOUS_WORKFLOW_ID,
            request={"sql_script": str(template), "parameters": parameters},
            response={
                "workflow_id": SYNCHRONOUS_WORKFLOW_ID,
                "status": "FINISHED",
                "message": f"Mapped {sum(created.values())} accounts into {len(created)} sub-portfolios",
                "sub_portfolios": created,
                "result_sets_count": 1,
            },
        )

    def _assignments(self, template: Path, parameters: Mapping[str, Any]) -> dict[str, list[str]]:
        assignments: dict[str, list[str]] = defaultdict(list)
        with run_template(self.databridge_conn_id, template, parameters) as result:
            columns = [c.lower() for c in result.columns]
            if tuple(columns[:2]) != RESULT_COLUMNS:
                raise JobError(f"{template.name} must return the columns {RESULT_COLUMNS}, not {result.columns}")
            for sub_portfolio, account in (row[:2] for row in result.rows):
                name = str(sub_portfolio)
                if not name or len(name) > MAX_PORTFOLIO_NAME:
                    raise JobError(f"{template.name} returned an invalid sub-portfolio name {sub_portfolio!r}")
                assignments[name].append(str(account))
        return dict(assignments)

    def get_job_status(self, batch_type: BatchType, workflow_id: str) -> StatusReport:
        raise JobError("Portfolio Mapping is synchronous: there is no job to poll")

    def cancel_job(self, batch_type: BatchType, workflow_id: str) -> None:
        raise JobError("Portfolio Mapping is synchronous: there is no job to cancel")
