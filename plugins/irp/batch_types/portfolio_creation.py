"""Portfolio Creation: one portfolio per base portfolio (an immediate API call, synchronous)."""

from __future__ import annotations

from irp.batch_types.entry import BACKENDS, CONFIGURATION, MOODYS, SPECS, VALIDATION, BatchTypeEntry, JobLabel, Ref
from irp.configuration.jobs import PORTFOLIO_ROW
from irp.configuration.schema import PortfoliosColumn
from irp.constants import BatchType

ENTRY = BatchTypeEntry(
    batch_type=BatchType.PORTFOLIO_CREATION,
    synchronous=True,
    label=JobLabel(PortfoliosColumn.PORTFOLIO.value),
    spec=Ref(SPECS, "PortfolioCreationSpec"),
    required=Ref(CONFIGURATION, "has_base_portfolios"),
    generate=Ref(CONFIGURATION, "per_base_portfolio_jobs"),
    count=Ref(CONFIGURATION, "count_base_portfolios"),
    row_source=PORTFOLIO_ROW,
    backend=Ref(BACKENDS, "moodys_hook"),
    submit=Ref(MOODYS, "submit_portfolio_creation"),
    status_path=None,
    find_submission=Ref(MOODYS, "find_portfolio"),
    validate=Ref(VALIDATION, "EntityRules.portfolio_creation"),
    entity_exists=Ref(VALIDATION, "portfolio_present"),
)
