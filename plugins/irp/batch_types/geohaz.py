"""GeoHaz: each base portfolio geocoded and its hazard computed (asynchronous)."""

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
    batch_type=BatchType.GEOHAZ,
    synchronous=False,
    label=JobLabel(PortfoliosColumn.PORTFOLIO.value),
    spec=Ref(SPECS, "GeoHazSpec"),
    required=Ref(CONFIGURATION, "geocodes"),
    generate=Ref(CONFIGURATION, "geohaz_jobs"),
    count=Ref(CONFIGURATION, "count_base_portfolios"),
    row_source=PORTFOLIO_ROW,
    backend=Ref(BACKENDS, "moodys_hook"),
    submit=Ref(MOODYS, "submit_geohaz"),
    status_path=ApiPath.GEOHAZ_JOBS,
    # The Risk Data job list also serves GeoHaz jobs (documented by Moody's).
    status_list=ApiPath.RISKDATA_JOBS,
    job_list=JobList(ApiPath.GEOHAZ_JOBS, None, Ref(MOODYS, "geohaz_job_name")),
    find_submission=Ref(MOODYS, "find_job"),
    validate=Ref(VALIDATION, "EntityRules.geohaz"),
    entity_exists=Ref(VALIDATION, "geohaz_done"),
)
