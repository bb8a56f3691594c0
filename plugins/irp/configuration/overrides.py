"""New parameters for one job (resubmit with changes), checked with the workbook's own rules.

A job configuration is a workbook row, the Metadata, and a few fields computed from them. New
parameters are put back where they came from — the job's row of the stored document and its
Metadata — and that document is validated by :func:`~irp.configuration.validation.validate_sheets`,
the very rules a workbook passes through. The job configuration is then generated again from the
changed document, so computed fields follow their sources. Every finding names the job field it
is about; a change that breaks another row (renaming an analysis a group still lists) is reported
with that row's cell.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import zip_longest
from typing import Any, NamedTuple

from irp.configuration import schema
from irp.configuration.document import json_value
from irp.configuration.issues import Rule, ValidationIssue
from irp.configuration.jobs import JobField, generate_job_configurations
from irp.configuration.reader import SheetGrid, WorkbookContent
from irp.configuration.schema import (
    GROUP_ITEM_PREFIX,
    GROUP_ITEMS_KEY,
    CellKind,
    DatabasesColumn,
    GroupingsColumn,
    PortfoliosColumn,
    SheetName,
    TreatyColumn,
)
from irp.configuration.validation import validate_sheets
from irp.constants import BatchType
from irp.exceptions import ConfigurationError

#: Field of the parameters as a whole (not one field).
WHOLE = ""
#: Rule of the checks that are about the JSON object itself rather than a workbook rule.
PARAMETERS_RULE = "parameters"
_SOURCE = "job parameters"


class RowSource(NamedTuple):
    """Where a batch type's jobs come from: one row of ``sheet``, identified by ``key``."""

    sheet: SheetName
    key: str


_PORTFOLIO_ROW = RowSource(SheetName.PORTFOLIOS, PortfoliosColumn.PORTFOLIO)
_DATABASE_ROW = RowSource(SheetName.DATABASES, DatabasesColumn.DATABASE)
_GROUP_ROW = RowSource(SheetName.GROUPINGS, GroupingsColumn.GROUP_NAME)

ROW_SOURCES: dict[BatchType, RowSource] = {
    BatchType.DATA_EXTRACTION: _PORTFOLIO_ROW,
    BatchType.EDM_CREATION: _DATABASE_ROW,
    BatchType.PORTFOLIO_CREATION: _PORTFOLIO_ROW,
    BatchType.MRI_IMPORT: _PORTFOLIO_ROW,
    BatchType.CREATE_REINSURANCE_TREATIES: RowSource(SheetName.REINSURANCE_TREATIES, TreatyColumn.TREATY_NAME),
    BatchType.EDM_DB_UPGRADE: _DATABASE_ROW,
    BatchType.GEOHAZ: _PORTFOLIO_ROW,
    BatchType.PORTFOLIO_MAPPING: _PORTFOLIO_ROW,
    BatchType.ANALYSIS: RowSource(SheetName.ANALYSIS_TABLE, "Analysis Name"),
    BatchType.GROUPING: _GROUP_ROW,
    BatchType.GROUPING_ROLLUP: _GROUP_ROW,
}

#: Export to RDM jobs have no row: what a person may change, and what is derived from the workbook.
EXPORT_CHANGEABLE = frozenset({JobField.DATABASE_ID, JobField.SERVER_NAME})

_TABLE_SPECS = {spec.sheet: spec for spec in (*schema.TABLES, schema.GROUPINGS)}
_DATE_COLUMNS = {
    spec.sheet: {column.name for column in spec.columns if column.kind is CellKind.DATE} for spec in schema.TABLES
}


@dataclass(frozen=True)
class FieldError:
    """One finding about the new parameters; ``field`` is the job field (``Metadata.<key>`` for a
    Metadata value, empty for the parameters as a whole or another row they break)."""

    field: str
    message: str
    rule: str
    location: str = ""  # where the value sits in the workbook (``Sheet!Cell``)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidParametersError(ConfigurationError):
    """The new parameters break rules; ``errors`` lists every finding, by field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("Invalid parameters:\n" + "\n".join(f"  {error}" for error in errors))
        self.errors = tuple(errors)


def override_job_configuration(
    document: Mapping[str, Any],
    batch_type: BatchType,
    current: Mapping[str, Any],
    changes: Any,
    *,
    original: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The job's new configuration: ``changes`` over ``current``, checked with the workbook's rules.

    ``document`` is the stored configuration the job was generated from, ``original`` the job's
    first configuration (it locates the job's row when an earlier override renamed it). Raises
    :class:`InvalidParametersError` listing every finding; nothing is returned then.
    """
    if not isinstance(changes, Mapping):
        raise InvalidParametersError([FieldError(WHOLE, "parameters must be a JSON object", PARAMETERS_RULE)])
    errors = [
        FieldError(key, f"unknown field; this job's fields are {sorted(current)}", PARAMETERS_RULE)
        for key in changes
        if key not in current
    ]
    updated = {**current, **{key: value for key, value in changes.items() if key in current}}
    if JobField.METADATA in current and not isinstance(updated[JobField.METADATA], Mapping):
        errors.append(FieldError(JobField.METADATA, "must be a JSON object of Metadata keys", PARAMETERS_RULE))
        updated[JobField.METADATA] = current[JobField.METADATA]
    # These findings are reported together with the workbook rules' findings about the other fields.
    try:
        if batch_type is BatchType.EXPORT_TO_RDM:
            result = _export_override(current, updated)
        else:
            result = _row_override(document, batch_type, current, updated, original or current)
    except InvalidParametersError as exc:
        raise InvalidParametersError([*errors, *exc.errors]) from None
    if errors:
        raise InvalidParametersError(errors)
    return result


def _export_override(current: Mapping[str, Any], updated: dict[str, Any]) -> dict[str, Any]:
    """Export to RDM jobs are derived from Metadata and the analysis/group names; only where the
    RDM lives may change."""
    errors = [
        FieldError(
            field,
            "is derived from the workbook (Metadata 'Export RDM Name', Analysis Table, Groupings); "
            "archive the cycle and load an edited workbook to change it",
            PARAMETERS_RULE,
        )
        for field, value in updated.items()
        if field not in EXPORT_CHANGEABLE and value != current.get(field)
    ]
    database_id = updated.get(JobField.DATABASE_ID)
    if database_id is not None and (
        isinstance(database_id, bool) or not isinstance(database_id, int) or database_id <= 0
    ):
        errors.append(FieldError(JobField.DATABASE_ID, "must be a positive whole number or null", Rule.CELL_TYPE))
    server = updated.get(JobField.SERVER_NAME)
    if not isinstance(server, str) or not server.strip():
        errors.append(FieldError(JobField.SERVER_NAME, "must be a non-blank text", Rule.CELL_TYPE))
    if errors:
        raise InvalidParametersError(errors)
    return updated


def _row_override(
    document: Mapping[str, Any],
    batch_type: BatchType,
    current: Mapping[str, Any],
    updated: dict[str, Any],
    original: Mapping[str, Any],
) -> dict[str, Any]:
    source = ROW_SOURCES[batch_type]
    changed = copy.deepcopy(dict(document))
    rows: list[dict[str, Any]] = changed[source.sheet.value]
    index = next((i for i, row in enumerate(rows) if row.get(source.key) == original.get(source.key)), None)
    if index is None:
        raise InvalidParametersError(
            [FieldError(source.key, f"the job's row is not in sheet {source.sheet.value!r}", PARAMETERS_RULE)]
        )
    row = rows[index]
    for column in row:
        if column in updated:  # an emptied form field is a blank cell, as in Excel
            row[column] = None if updated[column] == "" else updated[column]
    if isinstance(updated.get(JobField.METADATA), Mapping):
        changed[SheetName.METADATA.value] = dict(updated[JobField.METADATA])
    errors = _rule_errors(changed, source, index)
    if errors:
        raise InvalidParametersError(errors)
    for column in _DATE_COLUMNS.get(source.sheet, ()):  # stored as the document stores dates
        row[column] = json_value(_cell(row[column], CellKind.DATE))
    regenerated = _matching_job(changed, batch_type, source, current, updated)
    computed = [
        FieldError(
            field,
            f"is computed from the workbook (it would be {regenerated.get(field)!r}); change the fields "
            f"it is computed from instead",
            PARAMETERS_RULE,
        )
        for field, value in updated.items()
        if field not in row and field != JobField.METADATA and value not in (current[field], regenerated.get(field))
    ]
    if computed:
        raise InvalidParametersError(computed)
    return regenerated


def _matching_job(
    document: Mapping[str, Any],
    batch_type: BatchType,
    source: RowSource,
    current: Mapping[str, Any],
    updated: Mapping[str, Any],
) -> dict[str, Any]:
    """The job the changed row generates (treaties: the one for the job's EDM)."""
    for candidate in generate_job_configurations(document, batch_type):
        if candidate.get(source.key) != updated.get(source.key):
            continue
        if batch_type is BatchType.CREATE_REINSURANCE_TREATIES and candidate.get("Database") != current.get("Database"):
            continue
        return candidate
    raise InvalidParametersError(
        [
            FieldError(
                WHOLE,
                f"with these parameters the workbook would not create this {batch_type} job (is the row still a "
                f"base portfolio, a group of the same kind, a treaty an analysis of this EDM uses?)",
                PARAMETERS_RULE,
            )
        ]
    )


def _rule_errors(document: Mapping[str, Any], source: RowSource, index: int) -> list[FieldError]:
    report = validate_sheets(document_sheets(document), source=_SOURCE)
    excel_row = index + 2  # row 1 holds the headers
    return [_field_error(issue, source, excel_row) for issue in report.errors]


def _field_error(issue: ValidationIssue, source: RowSource, excel_row: int) -> FieldError:
    if issue.sheet == source.sheet and issue.row == excel_row:
        column = issue.column or WHOLE
        if source.sheet is SheetName.GROUPINGS and column.startswith(GROUP_ITEM_PREFIX):
            column = GROUP_ITEMS_KEY
        return FieldError(column, issue.message, issue.rule, issue.location)
    if issue.sheet == SheetName.METADATA:
        field = f"{JobField.METADATA}.{issue.column}" if issue.column else JobField.METADATA
        return FieldError(field, issue.message, issue.rule, issue.location)
    return FieldError(WHOLE, f"{issue.location}: {issue.message}", issue.rule, issue.location)


def display_order(batch_type: BatchType, configuration: Mapping[str, Any]) -> dict[str, Any]:
    """A job configuration as people read it (Postgres does not keep key order): the row's columns
    in the workbook's order, then the computed fields, the Metadata last, in its own order."""
    source = ROW_SOURCES.get(batch_type)
    columns = list(_TABLE_SPECS[source.sheet].column_names) if source else []
    if source and source.sheet is SheetName.GROUPINGS:
        columns.append(GROUP_ITEMS_KEY)
    keys = [c for c in columns if c in configuration]
    keys += sorted(k for k in configuration if k not in keys and k != JobField.METADATA)
    ordered = {key: configuration[key] for key in keys}
    metadata = configuration.get(JobField.METADATA)
    if isinstance(metadata, Mapping):
        known = [spec.key.value for spec in schema.METADATA_KEYS]
        order = [k for k in known if k in metadata] + sorted(k for k in metadata if k not in known)
        ordered[JobField.METADATA] = {key: metadata[key] for key in order}
    elif JobField.METADATA in configuration:
        ordered[JobField.METADATA] = metadata
    return ordered


# -- the stored document as sheets -------------------------------------------------------------------
def document_sheets(document: Mapping[str, Any]) -> WorkbookContent:
    """The sheets a stored document was read from, as the reader returns them (dates as dates)."""
    grids: dict[str, list[list[Any]]] = {}
    for sheet in SheetName:
        value = document.get(sheet.value)
        if sheet is SheetName.METADATA:
            metadata = value or {}
            known = [spec.key.value for spec in schema.METADATA_KEYS]
            keys = [key for key in known if key in metadata] + [k for k in metadata if k not in known]
            grids[sheet] = [[key, metadata[key]] for key in keys]
        elif sheet is SheetName.GROUPINGS:
            grids[sheet] = _groupings_rows(value or [])
        elif sheet is SheetName.MOODYS_REFERENCE_DATA:
            grids[sheet] = _list_rows(value or {})
        else:
            grids[sheet] = _table_rows(sheet, value or [])
    names = tuple(sheet.value for sheet in SheetName)
    return WorkbookContent(
        names,
        {name: SheetGrid(name, position, _rectangular(grids[name])) for position, name in enumerate(names)},
    )


def _cell(value: Any, kind: CellKind) -> Any:
    """A JSON value as the reader types cells: dates of date columns as datetimes."""
    if kind is CellKind.DATE and isinstance(value, str):
        try:
            return datetime.fromisoformat(value).replace(tzinfo=None)
        except ValueError:
            return value
    return value


def _table_rows(sheet: SheetName, records: list[Mapping[str, Any]]) -> list[list[Any]]:
    # Postgres (JSONB) does not keep key order: the required columns in the format's order, then
    # any extra column, so cell addresses are those of a workbook laid out as specified.
    required = list(_TABLE_SPECS[sheet].column_names)
    headers = required + [h for h in (records[0] if records else ()) if h not in required]
    dates = _DATE_COLUMNS.get(sheet, set())
    body = [
        [_cell(record.get(h), CellKind.DATE if h in dates else CellKind.ANY) for h in headers] for record in records
    ]
    return [headers, *body]


def _groupings_rows(groups: list[Mapping[str, Any]]) -> list[list[Any]]:
    def items(group: Mapping[str, Any]) -> list[Any]:
        value = group.get(GROUP_ITEMS_KEY) or []
        return list(value) if isinstance(value, list) else [value]

    width = max([1, *(len(items(group)) for group in groups)])
    headers = [GroupingsColumn.GROUP_NAME.value, *(f"{GROUP_ITEM_PREFIX}{n}" for n in range(1, width + 1))]
    return [headers, *([group.get(GroupingsColumn.GROUP_NAME), *items(group)] for group in groups)]


def _list_rows(lists: Mapping[str, list[Any]]) -> list[list[Any]]:
    headers = list(lists) or [column.value for column in schema.ReferenceDataColumn]
    return [headers, *(list(row) for row in zip_longest(*(lists.get(h, []) for h in headers)))]


def _rectangular(rows: list[list[Any]]) -> list[list[Any]]:
    width = max((len(row) for row in rows), default=0)
    return [row + [None] * (width - len(row)) for row in rows]
