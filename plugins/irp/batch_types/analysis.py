"""Analysis: one model run per Analysis Table row (asynchronous); existing analyses follow
``on_existing``."""

from __future__ import annotations

from irp.batch_types.entry import (
    BACKENDS,
    CONFIGURATION,
    MOODYS,
    SPECS,
    STORE_JOBS,
    VALIDATION,
    BatchTypeEntry,
    ExistingEntities,
    JobLabel,
    JobList,
    Ref,
)
from irp.configuration.jobs import ANALYSIS_ROW
from irp.configuration.schema import AnalysisColumn
from irp.constants import BatchType
from irp.moodys.paths import ApiPath

ENTRY = BatchTypeEntry(
    batch_type=BatchType.ANALYSIS,
    synchronous=False,
    label=JobLabel(AnalysisColumn.ANALYSIS_NAME.value),
    spec=Ref(SPECS, "AnalysisSpec"),
    required=Ref(CONFIGURATION, "has_analyses"),
    generate=Ref(CONFIGURATION, "analysis_jobs"),
    count=Ref(CONFIGURATION, "count_analyses"),
    row_source=ANALYSIS_ROW,
    backend=Ref(BACKENDS, "moodys_hook"),
    submit=Ref(MOODYS, "submit_analysis"),
    status_path=ApiPath.MODEL_JOBS,
    status_list=ApiPath.MODEL_JOBS,
    job_list=JobList(ApiPath.MODEL_JOBS, None, Ref(MOODYS, "analysis_job_name")),
    find_submission=Ref(MOODYS, "find_job"),
    validate=Ref(VALIDATION, "EntityRules.analysis"),
    entity_exists=Ref(VALIDATION, "analysis_present"),
    existing=ExistingEntities(
        "ENT-ANALYSIS-001", Ref(CONFIGURATION, "analysis_entity"), Ref(STORE_JOBS, "delete_analyses_for_jobs")
    ),
)
