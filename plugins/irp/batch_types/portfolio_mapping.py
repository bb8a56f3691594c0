"""Portfolio Mapping: each base portfolio's accounts mapped to sub-portfolios by the Data Bridge SQL,
the sub-portfolios created through the API (synchronous)."""

from __future__ import annotations

from irp.batch_types.entry import BACKENDS, CONFIGURATION, SPECS, VALIDATION, BatchTypeEntry, JobLabel, Ref
from irp.configuration.jobs import PORTFOLIO_ROW
from irp.configuration.schema import PortfoliosColumn
from irp.constants import BatchType

ENTRY = BatchTypeEntry(
    batch_type=BatchType.PORTFOLIO_MAPPING,
    synchronous=True,
    label=JobLabel(PortfoliosColumn.PORTFOLIO.value),
    spec=Ref(SPECS, "PortfolioMappingSpec"),
    required=Ref(CONFIGURATION, "has_base_portfolios"),
    generate=Ref(CONFIGURATION, "per_base_portfolio_jobs"),
    count=Ref(CONFIGURATION, "count_base_portfolios"),
    row_source=PORTFOLIO_ROW,
    backend=Ref(BACKENDS, "portfolio_mapping_runner"),
    submit=None,
    status_path=None,
    validate=Ref(VALIDATION, "EntityRules.portfolio_mapping"),
    entity_exists=Ref(VALIDATION, "subs_present"),
)
