"""Create Reinsurance Treaties: each treaty an analysis uses, in each EDM it is used in (immediate
API calls, synchronous)."""

from __future__ import annotations

from irp.batch_types.entry import BACKENDS, CONFIGURATION, MOODYS, SPECS, VALIDATION, BatchTypeEntry, JobLabel, Ref
from irp.configuration.jobs import TREATY_ROW
from irp.configuration.schema import TreatyColumn
from irp.constants import BatchType

ENTRY = BatchTypeEntry(
    batch_type=BatchType.CREATE_REINSURANCE_TREATIES,
    synchronous=True,
    label=JobLabel(TreatyColumn.TREATY_NAME.value, with_database=True),
    spec=Ref(SPECS, "TreatySpec"),
    required=Ref(CONFIGURATION, "has_analyses"),
    generate=Ref(CONFIGURATION, "create_reinsurance_treaties_jobs"),
    count=Ref(CONFIGURATION, "count_treaty_jobs"),
    row_source=TREATY_ROW,
    backend=Ref(BACKENDS, "moodys_hook"),
    submit=Ref(MOODYS, "submit_treaty"),
    status_path=None,
    find_submission=Ref(MOODYS, "find_treaty"),
    validate=Ref(VALIDATION, "EntityRules.treaties"),
    entity_exists=Ref(VALIDATION, "treaty_present"),
)
