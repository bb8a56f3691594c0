"""MRI Import: the extracted CSVs uploaded and imported into each base portfolio (asynchronous)."""

from __future__ import annotations

from irp.batch_types.entry import (
    BACKENDS,
    CONFIGURATION,
    MOODYS,
    SPECS,
    VALIDATION,
    BatchTypeEntry,
    JobLabel,
    JobList,
    Ref,
)
from irp.configuration.jobs import PORTFOLIO_ROW
from irp.configuration.schema import PortfoliosColumn
from irp.constants import BatchType
from irp.moodys.paths import ApiPath

ENTRY = BatchTypeEntry(
    batch_type=BatchType.MRI_IMPORT,
    synchronous=False,
    label=JobLabel(PortfoliosColumn.PORTFOLIO.value),
    spec=Ref(SPECS, "MriImportSpec"),
    required=Ref(CONFIGURATION, "has_base_portfolios"),
    generate=Ref(CONFIGURATION, "mri_import_jobs"),
    count=Ref(CONFIGURATION, "count_base_portfolios"),
    row_source=PORTFOLIO_ROW,
    backend=Ref(BACKENDS, "moodys_hook"),
    submit=Ref(MOODYS, "submit_mri_import"),
    status_path=ApiPath.IMPORT_JOBS,
    job_list=JobList(ApiPath.IMPORT_JOBS, None, Ref(MOODYS, "import_job_name")),
    find_submission=Ref(MOODYS, "find_job"),
    validate=Ref(VALIDATION, "EntityRules.mri_import"),
    entity_exists=Ref(VALIDATION, "accounts_present"),
)
