"""Data Extraction: the source warehouse's accounts and locations of each base portfolio, written as
the CSVs MRI Import uploads (SQL, synchronous, nothing in Moody's)."""

from __future__ import annotations

from irp.batch_types.entry import BACKENDS, CONFIGURATION, SPECS, BatchTypeEntry, JobLabel, Ref
from irp.configuration.jobs import PORTFOLIO_ROW
from irp.configuration.schema import PortfoliosColumn
from irp.constants import BatchType

ENTRY = BatchTypeEntry(
    batch_type=BatchType.DATA_EXTRACTION,
    synchronous=True,
    label=JobLabel(PortfoliosColumn.IMPORT_FILE.value),
    spec=Ref(SPECS, "DataExtractionSpec"),
    required=Ref(CONFIGURATION, "has_base_portfolios"),
    generate=Ref(CONFIGURATION, "data_extraction_jobs"),
    count=Ref(CONFIGURATION, "count_base_portfolios"),
    row_source=PORTFOLIO_ROW,
    backend=Ref(BACKENDS, "data_extraction_runner"),
    submit=None,
    status_path=None,
)
