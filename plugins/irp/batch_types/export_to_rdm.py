"""Export to RDM: every analysis and non-empty group exported to the cycle's RDM (asynchronous).

The seed job creates the RDM and runs first; the others append to it. The whole batch writes one
RDM, so it exists or not for every job (``on_existing``); its completion updates the RDM asset."""

from __future__ import annotations

from irp.batch_types.entry import (
    BACKENDS,
    CONFIGURATION,
    MOODYS,
    SPECS,
    STORE_JOBS,
    VALIDATION,
    BatchTypeEntry,
    EmittedAsset,
    ExistingEntities,
    JobLabel,
    JobList,
    Ref,
)
from irp.configuration.jobs import EXPORT_CHANGEABLE, JobField
from irp.constants import BatchType
from irp.moodys.paths import ApiPath

ENTRY = BatchTypeEntry(
    batch_type=BatchType.EXPORT_TO_RDM,
    synchronous=False,
    label=JobLabel(JobField.ANALYSIS_NAMES),
    spec=Ref(SPECS, "ExportSpec"),
    required=Ref(CONFIGURATION, "exports_rdm"),
    generate=Ref(CONFIGURATION, "export_to_rdm_jobs"),
    count=Ref(CONFIGURATION, "count_export_items"),
    row_source=None,
    changeable=EXPORT_CHANGEABLE,
    backend=Ref(BACKENDS, "moodys_hook"),
    submit=Ref(MOODYS, "submit_export"),
    status_path=ApiPath.EXPORT_JOBS,
    job_list=JobList(ApiPath.EXPORT_JOBS, None, Ref(MOODYS, "export_job_name")),
    find_submission=Ref(MOODYS, "find_job"),
    validate=Ref(VALIDATION, "EntityRules.export_to_rdm"),
    entity_exists=Ref(VALIDATION, "rdm_present"),
    # Moody's names the RDM database <rdm name>_<suffix>.
    existing=ExistingEntities(
        "ENT-RDM-001", Ref(CONFIGURATION, "rdm_entity"), Ref(STORE_JOBS, "delete_rdms_for_jobs"), prefix_match=True
    ),
    asset=EmittedAsset("rdm", JobField.RDM_NAME),
    seed_field=JobField.IS_SEED_JOB,
)
