"""EDM DB Upgrade: each EDM upgraded to the Metadata's EDM Data Version (asynchronous legacy workflow).

A lost submission is not looked up: sending the upgrade again creates nothing twice."""

from __future__ import annotations

from irp.batch_types.entry import BACKENDS, CONFIGURATION, MOODYS, SPECS, VALIDATION, BatchTypeEntry, JobLabel, Ref
from irp.configuration.jobs import DATABASE_ROW, JobField
from irp.constants import BatchType
from irp.moodys.paths import ApiPath

ENTRY = BatchTypeEntry(
    batch_type=BatchType.EDM_DB_UPGRADE,
    synchronous=False,
    label=JobLabel(JobField.DATABASE),
    spec=Ref(SPECS, "EdmDbUpgradeSpec"),
    required=Ref(CONFIGURATION, "upgrades_edms"),
    generate=Ref(CONFIGURATION, "edm_db_upgrade_jobs"),
    count=Ref(CONFIGURATION, "count_databases"),
    row_source=DATABASE_ROW,
    backend=Ref(BACKENDS, "moodys_hook"),
    submit=Ref(MOODYS, "submit_edm_upgrade"),
    status_path=ApiPath.WORKFLOWS,
    status_list=ApiPath.WORKFLOWS,
    validate=Ref(VALIDATION, "EntityRules.edm_upgrade"),
    entity_exists=Ref(VALIDATION, "edm_upgraded"),
)
