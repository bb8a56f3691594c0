"""EDM Creation: one EDM per Databases row (asynchronous risk-data job); the cycle's EDMs asset."""

from __future__ import annotations

from irp.batch_types.entry import (
    BACKENDS,
    CONFIGURATION,
    MOODYS,
    SPECS,
    VALIDATION,
    BatchTypeEntry,
    EmittedAsset,
    JobLabel,
    JobList,
    Ref,
)
from irp.configuration.jobs import DATABASE_ROW, JobField
from irp.constants import BatchType
from irp.moodys.paths import ApiPath

ENTRY = BatchTypeEntry(
    batch_type=BatchType.EDM_CREATION,
    synchronous=False,
    label=JobLabel(JobField.DATABASE),
    spec=Ref(SPECS, "EdmCreationSpec"),
    required=Ref(CONFIGURATION, "has_databases"),
    generate=Ref(CONFIGURATION, "edm_creation_jobs"),
    count=Ref(CONFIGURATION, "count_databases"),
    row_source=DATABASE_ROW,
    backend=Ref(BACKENDS, "moodys_hook"),
    submit=Ref(MOODYS, "submit_edm_creation"),
    status_path=ApiPath.RISKDATA_JOBS,
    status_list=ApiPath.RISKDATA_JOBS,
    job_list=JobList(ApiPath.RISKDATA_JOBS, "CREATE_EDM", Ref(MOODYS, "edm_job_name")),
    find_submission=Ref(MOODYS, "find_job"),
    validate=Ref(VALIDATION, "EntityRules.edm_creation"),
    entity_exists=Ref(VALIDATION, "edm_present"),
    asset=EmittedAsset("edms", JobField.DATABASE),
)
