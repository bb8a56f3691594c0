"""Grouping: one group per Groupings row whose items are analyses only (asynchronous); existing
groups follow ``on_existing``."""

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
from irp.configuration.jobs import GROUP_ROW
from irp.configuration.schema import GroupingsColumn
from irp.constants import BatchType
from irp.moodys.paths import ApiPath

ENTRY = BatchTypeEntry(
    batch_type=BatchType.GROUPING,
    synchronous=False,
    label=JobLabel(GroupingsColumn.GROUP_NAME.value),
    spec=Ref(SPECS, "GroupingSpec"),
    required=Ref(CONFIGURATION, "has_analysis_groups"),
    generate=Ref(CONFIGURATION, "grouping_jobs"),
    count=Ref(CONFIGURATION, "count_analysis_groups"),
    row_source=GROUP_ROW,
    backend=Ref(BACKENDS, "moodys_hook"),
    submit=Ref(MOODYS, "submit_grouping"),
    status_path=ApiPath.GROUPING_JOBS,
    job_list=JobList(ApiPath.GROUPING_JOBS, None, Ref(MOODYS, "group_job_name")),
    find_submission=Ref(MOODYS, "find_job"),
    validate=Ref(VALIDATION, "EntityRules.grouping"),
    entity_exists=Ref(VALIDATION, "group_present"),
    existing=ExistingEntities(
        "ENT-GROUP-001", Ref(CONFIGURATION, "group_entity"), Ref(STORE_JOBS, "delete_groups_for_jobs")
    ),
)
