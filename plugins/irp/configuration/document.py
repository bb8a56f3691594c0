"""The parsed configuration document (specs/configuration.md §3): what is stored per cycle.

Job configurations are generated from this JSON, not from the workbook, so its shape is kept
compatible with the reference: the ten sheet names plus ``_validation``; blank → ``null``;
dates → ``YYYY-MM-DDTHH:MM:SS.mmmZ``. Numbers keep each cell's own type (whole → integer),
except in the columns the reference stores as floats (``% of Grand Total``, ``Threshold %``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from operator import itemgetter
from types import NoneType
from typing import TYPE_CHECKING, Any

from irp.configuration.schema import GROUP_ITEMS_KEY, VALIDATION_KEY, GroupingsColumn, SheetName

if TYPE_CHECKING:
    from irp.configuration.issues import ValidationIssue
    from irp.configuration.reader import CellValue, SheetGrid
    from irp.configuration.schema import ColumnSpec

#: Status of every sheet of a stored document (failing workbooks are never stored).
VALIDATION_SUCCESS = "SUCCESS"
#: Cell types stored unchanged in the document.
_AS_IS = frozenset({str, NoneType})

TableRows = tuple[list[str], Mapping[str, "ColumnSpec"], list[list["CellValue"]]]


def json_value(value: CellValue) -> Any:
    """A cell value as stored in the document."""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def _column_value(value: CellValue, as_float: bool) -> Any:
    if as_float and type(value) is int:
        return float(value)
    return json_value(value)


def table_records(headers: list[str], specs: Mapping[str, ColumnSpec], rows: list[list[CellValue]]) -> list[dict]:
    """One object per row, keys = every header in sheet order (extra columns included).

    Rows are zipped into dicts as they are; only the columns holding something other than text
    or blanks (numbers stored as floats, dates...) are converted afterwards, column by column.
    """
    records = [dict(zip(headers, row, strict=True)) for row in rows]
    for index, header in enumerate(headers):
        spec = specs.get(header)
        as_float = spec.as_float if spec else False
        if not as_float and set(map(type, map(itemgetter(index), rows))) <= _AS_IS:
            continue
        for record in records:
            record[header] = _column_value(record[header], as_float)
    return records


def build_document(
    *,
    metadata: Mapping[str, CellValue],
    tables: Mapping[SheetName, TableRows],
    groupings: Sequence[tuple[str | None, list[str]]],
    reference_data: Mapping[str, list[CellValue]],
    grids: Mapping[str, SheetGrid],
    warnings: Sequence[ValidationIssue],
) -> dict[str, Any]:
    """Assemble the document of a valid workbook (every sheet present, every rule passed)."""
    document: dict[str, Any] = {SheetName.METADATA.value: {key: json_value(value) for key, value in metadata.items()}}
    for sheet in SheetName:
        if sheet in tables:
            headers, specs, rows = tables[sheet]
            document[sheet.value] = table_records(headers, specs, rows)
        elif sheet is SheetName.GROUPINGS:
            document[sheet.value] = [
                {GroupingsColumn.GROUP_NAME.value: name, GROUP_ITEMS_KEY: items} for name, items in groupings
            ]
        elif sheet is SheetName.MOODYS_REFERENCE_DATA:
            document[sheet.value] = {
                header: [json_value(value) for value in values] for header, values in reference_data.items()
            }
    validated_at = datetime.now().isoformat()
    summary: dict[str, Any] = {}
    for sheet in SheetName:
        grid = grids[sheet]
        header_rows = 0 if sheet is SheetName.METADATA else 1
        summary[sheet.value] = {
            "status": VALIDATION_SUCCESS,
            "errors": [],
            "warnings": [str(issue) for issue in warnings if issue.sheet == sheet],
            "row_count": max(len(grid.rows) - header_rows, 0),
            "column_count": grid.width,
            "validated_at": validated_at,
        }
    document[VALIDATION_KEY] = summary
    # Keys in the §1.2 order, whatever order the sheets were processed in.
    return {key: document[key] for key in [*(sheet.value for sheet in SheetName), VALIDATION_KEY]}
