"""Every rule of specs/configuration.md §2.2, with the reference's bugs fixed (§6).

Unlike the reference, validation does not stop at the first failing phase: per-sheet rules run
on every sheet that exists, and each cross-sheet rule runs as soon as the columns it needs
exist, skipping cells already reported (blank, wrong type), so every finding of a workbook is
reported at once and none is a mere consequence of another.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from types import NoneType
from typing import Any

from irp.configuration import schema
from irp.configuration.document import build_document, json_value
from irp.configuration.issues import IssueCollector, Rule, Severity, ValidationIssue, format_issues
from irp.configuration.reader import AnomalyKind, CellValue, SheetGrid, WorkbookContent, read_bytes, read_workbook
from irp.configuration.schema import (
    AnalysisColumn,
    CellKind,
    ColumnSpec,
    DatabasesColumn,
    GeoHazColumn,
    GroupingsColumn,
    MetadataType,
    PortfoliosColumn,
    ProductsColumn,
    ReferenceDataColumn,
    SheetName,
    TableSpec,
    TreatyColumn,
)
from irp.exceptions import ConfigurationError

_UNNAMED = "Unnamed: {index}"
_BLANK: type[None] = NoneType
_TEXT_OR_BLANK = frozenset({str, NoneType})
_DATABASES_TARGET = f"{SheetName.DATABASES}.{DatabasesColumn.DATABASE}"
_PORTFOLIOS_TARGET = f"{SheetName.PORTFOLIOS}.{PortfoliosColumn.PORTFOLIO}"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating one workbook; ``document`` is set only when it is valid."""

    source: str
    errors: tuple[ValidationIssue, ...]
    warnings: tuple[ValidationIssue, ...]
    document: dict[str, Any] | None

    @property
    def valid(self) -> bool:
        return not self.errors


class InvalidConfigurationError(ConfigurationError):
    """The workbook breaks rules; ``errors`` lists every finding in workbook order."""

    def __init__(self, source: str, errors: tuple[ValidationIssue, ...]) -> None:
        super().__init__(
            f"{source} is not a valid configuration workbook ({len(errors)} errors):\n{format_issues(errors)}"
        )
        self.errors = errors


def validate_workbook(path: str | Path) -> ValidationReport:
    """Validate the workbook at ``path``. A missing or unreadable file raises WorkbookReadError."""
    return validate_content(read_bytes(path), source=str(path))


def validate_content(content: bytes, *, source: str = "workbook") -> ValidationReport:
    """Validate workbook bytes (the loader hashes and validates the very same bytes)."""
    return validate_sheets(read_workbook(content, list(SheetName), label=source), source=source)


def validate_sheets(workbook: WorkbookContent, *, source: str = "workbook") -> ValidationReport:
    """Validate sheets already read, e.g. a stored document with one job's row changed
    (:mod:`irp.configuration.overrides`): the very rules a workbook passes through."""
    issues = IssueCollector({name: position for position, name in enumerate(workbook.sheet_names)})
    _check_sheets_present(issues, workbook.sheet_names)
    checker = _Checker(issues)
    for grid in workbook.sheets.values():
        checker.report_anomalies(grid)
    grids = workbook.sheets
    if SheetName.METADATA in grids:
        checker.check_metadata(grids[SheetName.METADATA])
    tables: dict[SheetName, _Table] = {}
    for spec in schema.TABLES:
        if spec.sheet in grids:
            tables[spec.sheet] = checker.check_table(grids[spec.sheet], spec)
    if SheetName.GROUPINGS in grids:
        checker.check_groupings(grids[SheetName.GROUPINGS])
    if SheetName.MOODYS_REFERENCE_DATA in grids:
        checker.check_reference_data(grids[SheetName.MOODYS_REFERENCE_DATA])
    checker.tables = tables
    checker.check_cross_sheet()
    errors = issues.sorted(Severity.ERROR)
    warnings = issues.sorted(Severity.WARNING)
    document = None
    if not errors:
        document = build_document(
            metadata=checker.metadata,
            tables={sheet: (table.headers, table.specs, table.rows) for sheet, table in tables.items()},
            groupings=[(group.name, [item for _, item in group.items]) for group in checker.groups],
            reference_data=checker.reference_data,
            grids=grids,
            warnings=warnings,
        )
    return ValidationReport(source, errors, warnings, document)


def parse_workbook(path: str | Path) -> dict[str, Any]:
    """The parsed document of a valid workbook; InvalidConfigurationError lists every error."""
    report = validate_workbook(path)
    if report.document is None:
        raise InvalidConfigurationError(report.source, report.errors)
    return report.document


def _check_sheets_present(issues: IssueCollector, names: tuple[str, ...]) -> None:
    present = set(names)
    for sheet in SheetName:
        if sheet not in present:
            issues.add(
                Rule.MISSING_SHEET,
                f"Missing required sheet {sheet.value!r}; the workbook has {list(names)}",
                sheet=sheet,
                value=sheet.value,
                expected=f"all of {[name.value for name in SheetName]}",
            )


@dataclass
class _Table:
    """A table sheet: mangled headers, data rows (grid rows 1..), and where each column is."""

    sheet: SheetName
    headers: list[str]
    rows: list[list[CellValue]]
    specs: dict[str, ColumnSpec]
    blank_rows: set[int] = field(default_factory=set)
    #: (row offset, column index) of cells already reported; cross-sheet rules skip them.
    bad_cells: set[tuple[int, int]] = field(default_factory=set)
    #: Columns with a cell whose value is unknown (blank where required, wrong type, formula
    #: without value): references *to* them are not checked, as they would fail spuriously.
    unknown_columns: set[int] = field(default_factory=set)

    def column(self, name: str) -> int | None:
        try:
            return self.headers.index(name)
        except ValueError:
            return None

    def texts(self, name: str) -> Iterator[tuple[int, int, str]]:
        """(row offset, column index, value) of the sound text cells of a column."""
        column = self.column(name)
        if column is None:
            return
        for offset, row in enumerate(self.rows):
            value = row[column]
            if type(value) is str and (offset, column) not in self.bad_cells:
                yield offset, column, value

    def known_set(self, name: str) -> set[str] | None:
        """The column's values as a reference target; None when some of them are unknown."""
        column = self.column(name)
        if column is None or column in self.unknown_columns:
            return None
        # Values that broke a pattern are still the names other sheets refer to.
        return {value for value in set(map(itemgetter(column), self.rows)) if type(value) is str}


@dataclass(frozen=True)
class _Group:
    offset: int
    column: int
    name: str | None
    items: list[tuple[int, str]]


def _headers(row: list[CellValue]) -> list[str]:
    """Header texts as pandas names them: empty → ``Unnamed: k``, repeats → ``X.1``, ``X.2``."""
    headers: list[str] = []
    seen: set[str] = set()
    counts: dict[str, int] = {}
    for index, value in enumerate(row):
        name = _UNNAMED.format(index=index) if value is None else _text_form(value)
        if name in seen:
            suffix = counts.get(name, 1)
            candidate = f"{name}.{suffix}"
            while candidate in seen:
                suffix += 1
                candidate = f"{name}.{suffix}"
            counts[name] = suffix + 1
            name = candidate
        seen.add(name)
        headers.append(name)
    return headers


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted integers as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    for number in numbers:
        if runs and runs[-1][1] == number - 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


def _text_form(value: CellValue) -> str:
    if isinstance(value, datetime):
        return str(json_value(value))
    return str(value)


def _describe(value: CellValue) -> str:
    """How a wrong value is shown in a message: its type and its text."""
    if isinstance(value, bool):
        return f"the boolean {str(value).upper()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, datetime):
        return f"the date {value:%Y-%m-%d}"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"{type(value).__name__} {value}"


def _kind_ok(kind: CellKind, value: CellValue) -> bool:
    value_type = type(value)
    if kind is CellKind.TEXT:
        return value_type is str
    if kind is CellKind.NUMBER:
        return value_type is int or value_type is float
    if kind is CellKind.WHOLE_NUMBER:
        return value_type is int
    if kind is CellKind.DATE:
        return value_type is datetime
    return True


_METADATA_TYPE_CHECKS: dict[MetadataType, CellKind] = {
    MetadataType.STRING: CellKind.TEXT,
    MetadataType.INTEGER: CellKind.WHOLE_NUMBER,
    MetadataType.FLOAT: CellKind.NUMBER,
}


class _Checker:
    def __init__(self, issues: IssueCollector) -> None:
        self.issues = issues
        self.anomalies: dict[str, set[tuple[int, int]]] = {}
        self.metadata: dict[str, CellValue] = {}
        self.tables: dict[SheetName, _Table] = {}
        self.groupings: _Table | None = None
        self.groups: list[_Group] = []
        self.reference_data: dict[str, list[CellValue]] = {}
        self.reference_table: _Table | None = None

    # -- cells -----------------------------------------------------------------------------

    def report_anomalies(self, grid: SheetGrid) -> None:
        """Uncached formulas and Excel errors: reported once, never again as blanks."""
        headers = _headers(grid.rows[0]) if grid.rows and grid.name != SheetName.METADATA else []
        self.anomalies[grid.name] = set(grid.anomalies)
        for (row_index, column_index), anomaly in grid.anomalies.items():
            column = headers[column_index] if column_index < len(headers) else None
            if anomaly.kind is AnomalyKind.UNCACHED_FORMULA:
                self.issues.add(
                    Rule.UNCACHED_FORMULA,
                    f"formula {anomaly.detail} has no saved value; open the workbook in Excel and "
                    f"save it, so that the calculated values are stored in the file",
                    sheet=grid.name,
                    row_index=row_index,
                    column_index=column_index,
                    column=column,
                    value=anomaly.detail,
                    expected="a formula with its calculated value saved",
                )
            else:
                self.issues.add(
                    Rule.EXCEL_ERROR,
                    f"cell holds the Excel error {anomaly.detail}; correct the cell or its formula",
                    sheet=grid.name,
                    row_index=row_index,
                    column_index=column_index,
                    column=column,
                    value=anomaly.detail,
                    expected="a value",
                )

    def _check_cell(self, table: _Table, spec: ColumnSpec, offset: int, column: int, value: CellValue) -> bool:
        """Blank, type, pattern and range rules of one cell; True when the cell is sound."""
        sheet = table.sheet
        row_index = offset + 1
        if value is None:
            anomalous = (row_index, column) in self.anomalies.get(sheet, ())
            if anomalous or spec.required_value:
                table.unknown_columns.add(column)
            if spec.required_value and not anomalous:
                self.issues.add(
                    Rule.BLANK_VALUE,
                    f"{spec.name} is blank; every row needs a value",
                    sheet=sheet,
                    row_index=row_index,
                    column_index=column,
                    column=spec.name,
                    expected=spec.kind.phrase,
                )
            return False
        if not _kind_ok(spec.kind, value):
            table.unknown_columns.add(column)
            self.issues.add(
                Rule.CELL_TYPE,
                f"{spec.name} must be {spec.kind.phrase}, found {_describe(value)}",
                sheet=sheet,
                row_index=row_index,
                column_index=column,
                column=spec.name,
                value=json_value(value),
                expected=spec.kind.phrase,
            )
            return False
        pattern = spec.pattern
        if pattern is not None and not (isinstance(value, str) and pattern.compiled.fullmatch(value)):
            self.issues.add(
                Rule.PATTERN,
                f"{spec.name} {value!r} does not match the required pattern {pattern.regex} (e.g. {pattern.example})",
                sheet=sheet,
                row_index=row_index,
                column_index=column,
                column=spec.name,
                value=value,
                expected=pattern.regex,
            )
            return False
        if (
            spec.percentage
            and isinstance(value, int | float)
            and not schema.PERCENTAGE_MIN <= value <= schema.PERCENTAGE_MAX
        ):
            self.issues.add(
                Rule.PERCENTAGE_RANGE,
                f"{spec.name} {value} is out of range; a percentage lies between "
                f"{schema.PERCENTAGE_MIN} and {schema.PERCENTAGE_MAX}",
                sheet=sheet,
                row_index=row_index,
                column_index=column,
                column=spec.name,
                value=value,
                expected=f"{schema.PERCENTAGE_MIN}-{schema.PERCENTAGE_MAX}",
            )
            return False
        return True

    def _sound_text_column(self, table: _Table, spec: ColumnSpec, column: int) -> bool:
        """True when a plain text column has nothing to report: every cell text or an optional
        blank, no repeat in a unique column. Set operations in C instead of a step per cell, the
        bulk of a 10,000-row sheet; any doubt leaves the cell-by-cell check to find and word it."""
        if spec.kind is not CellKind.TEXT or spec.pattern is not None:
            return False
        values = list(map(itemgetter(column), table.rows))
        kinds = set(map(type, values))
        if not kinds <= _TEXT_OR_BLANK:
            return False
        if _BLANK in kinds:
            if spec.required_value or self.anomalies.get(table.sheet):
                return False
            if spec.unique:
                values = [value for value in values if value is not None]
        return not spec.unique or len(set(values)) == len(values)

    def _check_column(self, table: _Table, spec: ColumnSpec, column: int) -> None:
        if self._sound_text_column(table, spec, column):
            return
        seen: dict[CellValue, int] = {}
        blank_rows = table.blank_rows
        anomalies = self.anomalies.get(table.sheet)
        plain_text = spec.kind is CellKind.TEXT and spec.pattern is None
        required = spec.required_value
        for offset, row in enumerate(table.rows):
            value = row[column]
            if value is None:
                # Blank optional cells are the bulk of a sheet: skip them without a call.
                if offset not in blank_rows and (required or (anomalies and (offset + 1, column) in anomalies)):
                    self._check_cell(table, spec, offset, column, value)
                    table.bad_cells.add((offset, column))
                continue
            if not (plain_text and type(value) is str) and not self._check_cell(table, spec, offset, column, value):
                table.bad_cells.add((offset, column))
                continue
            if spec.unique:
                first = seen.setdefault(value, offset)
                if first != offset:
                    self.issues.add(
                        Rule.DUPLICATE_VALUE,
                        f"{spec.name} {json_value(value)!r} is already used in row {first + 2}; "
                        f"each {spec.name} must be unique",
                        sheet=table.sheet,
                        row_index=offset + 1,
                        column_index=column,
                        column=spec.name,
                        value=json_value(value),
                        expected=f"a {spec.name} not used in another row",
                    )

    def _new_table(self, grid: SheetGrid, spec: TableSpec, *, lists: bool = False) -> _Table | None:
        """Headers and rows of a table sheet; None (after reporting) when a column is missing.

        With ``lists`` (Moody's Reference Data) each column is a list: blank cells and rows are
        gaps, not mistakes."""
        headers = _headers(grid.rows[0]) if grid.rows else []
        missing = [name for name in spec.column_names if name not in headers]
        for name in missing:
            self.issues.add(
                Rule.MISSING_COLUMN,
                f"Missing required column {name!r} in row 1 (found {headers})",
                sheet=grid.name,
                column=name,
                expected=f"columns {list(spec.column_names)}",
            )
        if missing:
            return None
        table = _Table(spec.sheet, headers, grid.rows[1:], {column.name: column for column in spec.columns})
        if lists:
            return table
        anomalies = self.anomalies.get(grid.name, set())
        anomaly_rows = {row_index for row_index, _ in anomalies}
        for offset, row in enumerate(table.rows):
            if row.count(None) == len(row) and offset + 1 not in anomaly_rows:
                table.blank_rows.add(offset)
        # One finding per run of empty rows: a stray value a million rows down is one mistake.
        for first, last in _runs(sorted(table.blank_rows)):
            rows = f"row {first + 2} is" if first == last else f"rows {first + 2}-{last + 2} are"
            self.issues.add(
                Rule.BLANK_ROW,
                f"{rows} empty inside the table; delete them (the rows below are still read as data)",
                sheet=grid.name,
                row_index=first + 1,
                column_index=0,
                expected="no empty rows between data rows",
            )
        return table

    # -- sheets ----------------------------------------------------------------------------

    def check_metadata(self, grid: SheetGrid) -> None:
        sheet = SheetName.METADATA
        anomalies = self.anomalies.get(sheet, set())
        key_column, value_column = 0, 1
        entries: dict[str, int] = {}
        for row_index, row in enumerate(grid.rows):
            key = row[key_column] if len(row) > key_column else None
            value = row[value_column] if len(row) > value_column else None
            if key is None:
                if value is not None and (row_index, key_column) not in anomalies:
                    self.issues.add(
                        Rule.METADATA_BLANK_KEY,
                        f"value {json_value(value)!r} has no key in column A",
                        sheet=sheet,
                        row_index=row_index,
                        column_index=key_column,
                        value=json_value(value),
                        expected="a key in column A",
                    )
                continue
            if type(key) is not str:
                self.issues.add(
                    Rule.CELL_TYPE,
                    f"Metadata key must be text, found {_describe(key)}",
                    sheet=sheet,
                    row_index=row_index,
                    column_index=key_column,
                    value=json_value(key),
                    expected="a text key",
                )
                continue
            if key in entries:
                self.issues.add(
                    Rule.METADATA_DUPLICATE_KEY,
                    f"key {key!r} is already given in row {entries[key] + 1}; keep one of them",
                    sheet=sheet,
                    row_index=row_index,
                    column_index=key_column,
                    column=key,
                    value=key,
                    expected="each key once",
                )
                continue
            entries[key] = row_index
            self.metadata[key] = value
        # A key cell holding a formula without value may be any key: do not call keys missing then.
        keys_unknown = any(column == key_column for _, column in anomalies)
        for spec in schema.METADATA_KEYS:
            if spec.key in entries or not keys_unknown:
                self._check_metadata_value(spec, entries, anomalies)

    def _check_metadata_value(
        self, spec: schema.MetadataKeySpec, entries: dict[str, int], anomalies: set[tuple[int, int]]
    ) -> None:
        sheet = SheetName.METADATA
        value_column = 1
        key = spec.key.value
        if key not in entries:
            self.issues.add(
                Rule.METADATA_MISSING_KEY,
                f"Missing required key {key!r} (column A)",
                sheet=sheet,
                column=key,
                expected=f"a row with key {key!r} and its value in column B",
            )
            return
        row_index = entries[key]
        value = self.metadata[key]
        where: dict[str, Any] = {"sheet": sheet, "row_index": row_index, "column_index": value_column, "column": key}
        if value is None:
            if (row_index, value_column) not in anomalies and not spec.blank_skips:
                self.issues.add(
                    Rule.METADATA_BLANK_VALUE,
                    f"{key} is blank; it needs a {spec.type.value} value",
                    expected=spec.type.value,
                    **where,
                )
            return
        if not _kind_ok(_METADATA_TYPE_CHECKS[spec.type], value):
            self.issues.add(
                Rule.METADATA_TYPE,
                f"{key} has the wrong type: expected {spec.type.value}, found {_describe(value)}",
                value=json_value(value),
                expected=spec.type.value,
                **where,
            )
            return
        pattern = spec.pattern
        if pattern is not None and not (isinstance(value, str) and pattern.compiled.fullmatch(value)):
            self.issues.add(
                Rule.METADATA_PATTERN,
                f"{key} {value!r} does not match the required pattern {pattern.regex} (e.g. {pattern.example})",
                value=value,
                expected=pattern.regex,
                **where,
            )

    def check_table(self, grid: SheetGrid, spec: TableSpec) -> _Table:
        table = self._new_table(grid, spec)
        if table is None:
            return _Table(spec.sheet, [], [], {})
        for column_spec in spec.columns:
            self._check_column(table, column_spec, table.headers.index(column_spec.name))
        if spec.sheet is SheetName.REINSURANCE_TREATIES:
            self._check_treaty_dates(table)
        return table

    def _check_treaty_dates(self, table: _Table) -> None:
        inception = table.headers.index(TreatyColumn.INCEPTION_DATE)
        expiration = table.headers.index(TreatyColumn.EXPIRATION_DATE)
        name_column = table.headers.index(TreatyColumn.TREATY_NAME)
        for offset, row in enumerate(table.rows):
            start, end = row[inception], row[expiration]
            if type(start) is datetime and type(end) is datetime and end <= start:
                self.issues.add(
                    Rule.DATE_ORDER,
                    f"Expiration Date {end:%Y-%m-%d} of treaty {row[name_column]!r} must be after "
                    f"Inception Date {start:%Y-%m-%d}",
                    sheet=table.sheet,
                    row_index=offset + 1,
                    column_index=expiration,
                    column=TreatyColumn.EXPIRATION_DATE,
                    value=json_value(end),
                    expected=f"a date after {start:%Y-%m-%d}",
                )

    def check_groupings(self, grid: SheetGrid) -> None:
        table = self._new_table(grid, schema.GROUPINGS)
        if table is None:
            return
        self.groupings = table
        name_spec = schema.GROUPINGS.columns[0]
        name_column = table.headers.index(name_spec.name)
        self._check_column(table, name_spec, name_column)
        item_specs = {
            table.headers.index(name): ColumnSpec(name, CellKind.TEXT, required_value=False)
            for name in schema.GROUP_ITEM_COLUMNS
            if name in table.headers
        }
        for offset, row in enumerate(table.rows):
            if offset in table.blank_rows:
                continue
            items: list[tuple[int, str]] = []
            for column, item_spec in item_specs.items():
                value = row[column]
                if type(value) is str:
                    items.append((column, value))
                elif value is not None:
                    self._check_cell(table, item_spec, offset, column, value)
            name = row[name_column]
            sound_name = name if type(name) is str and (offset, name_column) not in table.bad_cells else None
            group = _Group(offset, name_column, sound_name, items)
            self.groups.append(group)
            if sound_name is not None and not items:
                self.issues.add(
                    Rule.EMPTY_GROUP,
                    f"group {sound_name!r} has no items; it is neither created nor exported",
                    sheet=table.sheet,
                    row_index=offset + 1,
                    column_index=name_column,
                    column=GroupingsColumn.GROUP_NAME,
                    value=sound_name,
                    expected=f"at least one item in {schema.GROUP_ITEM_COLUMNS[0]}...{schema.GROUP_ITEM_COLUMNS[-1]}",
                    severity=Severity.WARNING,
                )

    def check_reference_data(self, grid: SheetGrid) -> None:
        spec = schema.MOODYS_REFERENCE_DATA
        table = self._new_table(grid, spec, lists=True)
        if table is None:
            return
        self.reference_table = table
        for column, header in enumerate(table.headers):
            column_spec = table.specs.get(header) or ColumnSpec(header, CellKind.ANY, required_value=False, unique=True)
            self._check_column(table, column_spec, column)
            self.reference_data[header] = [
                row[column]
                for offset, row in enumerate(table.rows)
                if row[column] is not None and (offset, column) not in table.bad_cells
            ]

    # -- cross-sheet -----------------------------------------------------------------------

    def _table(self, sheet: SheetName, *columns: str) -> _Table | None:
        table = self.tables.get(sheet)
        if table is None or any(table.column(name) is None for name in columns):
            return None
        return table

    def _reference(
        self,
        source: _Table,
        column_name: str,
        allowed: set[str],
        rule: Rule,
        describe_target: str,
    ) -> None:
        column = source.column(column_name)
        if column is None:
            return
        if not any(type(value) is str for value in set(map(itemgetter(column), source.rows)) - allowed):
            return  # every name is known: no step per row (10,000 analyses)
        bad_cells = source.bad_cells
        for offset, row in enumerate(source.rows):
            value = row[column]
            if type(value) is str and value not in allowed and (offset, column) not in bad_cells:
                self.issues.add(
                    rule,
                    f"{column_name} {value!r} is not found in {describe_target}",
                    sheet=source.sheet,
                    row_index=offset + 1,
                    column_index=column,
                    column=column_name,
                    value=value,
                    expected=f"a value of {describe_target}",
                )

    def check_cross_sheet(self) -> None:
        databases = self._table(SheetName.DATABASES, DatabasesColumn.DATABASE)
        portfolios = self._table(
            SheetName.PORTFOLIOS, PortfoliosColumn.PORTFOLIO, PortfoliosColumn.DATABASE, PortfoliosColumn.IMPORT_FILE
        )
        analyses = self._table(SheetName.ANALYSIS_TABLE, *schema.ANALYSIS_TABLE.column_names)
        database_names = databases.known_set(DatabasesColumn.DATABASE) if databases is not None else None
        portfolio_names = portfolios.known_set(PortfoliosColumn.PORTFOLIO) if portfolios is not None else None
        analysis_names = analyses.known_set(AnalysisColumn.ANALYSIS_NAME) if analyses is not None else None
        if portfolios is not None and database_names is not None:
            self._reference(
                portfolios, PortfoliosColumn.DATABASE, database_names, Rule.BROKEN_REFERENCE, _DATABASES_TARGET
            )
        geohaz = self._table(SheetName.GEOHAZ_THRESHOLDS, GeoHazColumn.IMPORT_FILE)
        import_files = portfolios.known_set(PortfoliosColumn.IMPORT_FILE) if portfolios is not None else None
        if geohaz is not None and import_files is not None:
            self._reference(
                geohaz,
                GeoHazColumn.IMPORT_FILE,
                import_files,
                Rule.BROKEN_REFERENCE,
                f"{SheetName.PORTFOLIOS}.{PortfoliosColumn.IMPORT_FILE}",
            )
        if analyses is not None:
            self._check_analyses(analyses, portfolios, database_names, portfolio_names)
        groups = self.groups if self.groupings is not None else None
        group_names = None
        if self.groupings is not None:
            group_names = self.groupings.known_set(GroupingsColumn.GROUP_NAME)
        products = self._table(SheetName.PRODUCTS_AND_PERILS, *schema.PRODUCTS_AND_PERILS.column_names)
        if products is not None and analysis_names is not None and group_names is not None:
            self._reference(
                products,
                ProductsColumn.ANALYSIS_NAME,
                analysis_names | group_names,
                Rule.BROKEN_REFERENCE,
                f"{SheetName.ANALYSIS_TABLE}.{AnalysisColumn.ANALYSIS_NAME} or "
                f"{SheetName.GROUPINGS}.{GroupingsColumn.GROUP_NAME}",
            )
        if products is not None:
            self._check_product_pairs(products)
        if groups is not None:
            self._check_group_items(groups, analysis_names, portfolio_names, group_names is not None)
        if databases is not None and portfolios is not None:
            self._check_base_portfolios(databases, portfolios)

    def _check_analyses(
        self,
        analyses: _Table,
        portfolios: _Table | None,
        database_names: set[str] | None,
        portfolio_names: set[str] | None,
    ) -> None:
        if database_names is not None:
            self._reference(analyses, AnalysisColumn.DATABASE, database_names, Rule.BROKEN_REFERENCE, _DATABASES_TARGET)
        if portfolios is not None and portfolio_names is not None:
            name_column = portfolios.headers.index(PortfoliosColumn.PORTFOLIO)
            home_column = portfolios.headers.index(PortfoliosColumn.DATABASE)
            portfolio_database = {row[name_column]: row[home_column] for row in portfolios.rows}
            self._reference(
                analyses, AnalysisColumn.PORTFOLIO, portfolio_names, Rule.BROKEN_REFERENCE, _PORTFOLIOS_TARGET
            )
            self._check_portfolio_databases(analyses, portfolio_database, database_names)
        if self.reference_table is not None:
            reference_checks = (
                (AnalysisColumn.ANALYSIS_PROFILE, ReferenceDataColumn.MODEL_PROFILES),
                (AnalysisColumn.OUTPUT_PROFILE, ReferenceDataColumn.OUTPUT_PROFILES),
                (AnalysisColumn.EVENT_RATE, ReferenceDataColumn.EVENT_RATE_SCHEMES),
            )
            for column, reference_column in reference_checks:
                allowed = self.reference_table.known_set(reference_column)
                if allowed is None:
                    continue
                self._reference(
                    analyses,
                    column,
                    allowed,
                    Rule.UNKNOWN_REFERENCE_DATA,
                    f"the {reference_column} list of {SheetName.MOODYS_REFERENCE_DATA}",
                )
        treaties = self._table(SheetName.REINSURANCE_TREATIES, TreatyColumn.TREATY_NAME)
        treaty_names = treaties.known_set(TreatyColumn.TREATY_NAME) if treaties else None
        if treaty_names is not None:
            for column in schema.ANALYSIS_TREATY_COLUMNS:
                self._reference(
                    analyses,
                    column,
                    treaty_names,
                    Rule.BROKEN_REFERENCE,
                    f"{SheetName.REINSURANCE_TREATIES}.{TreatyColumn.TREATY_NAME}",
                )

    def _check_portfolio_databases(
        self, analyses: _Table, portfolio_database: dict[CellValue, CellValue], database_names: set[str] | None
    ) -> None:
        """An analysis must name its portfolio's own database (Moody's would fail it)."""
        database_column = analyses.headers.index(AnalysisColumn.DATABASE)
        portfolio_column = analyses.headers.index(AnalysisColumn.PORTFOLIO)
        pairs = set(map(itemgetter(portfolio_column, database_column), analyses.rows))
        if all(portfolio_database.get(portfolio, database) == database for portfolio, database in pairs):
            return  # each distinct pair is judged once, not each of 10,000 rows
        for offset, column, portfolio in analyses.texts(AnalysisColumn.PORTFOLIO):
            database = analyses.rows[offset][database_column]
            home = portfolio_database.get(portfolio)
            if (
                type(database) is str
                and type(home) is str
                and home != database
                and (database_names is None or (database in database_names and home in database_names))
            ):
                self.issues.add(
                    Rule.PORTFOLIO_DATABASE_MISMATCH,
                    f"Portfolio {portfolio!r} belongs to database {home!r} (Portfolios sheet), "
                    f"not to {database!r} named in this row",
                    sheet=analyses.sheet,
                    row_index=offset + 1,
                    column_index=column,
                    column=AnalysisColumn.PORTFOLIO,
                    value=portfolio,
                    expected=f"a portfolio of {database}",
                )

    def _check_product_pairs(self, products: _Table) -> None:
        peril_column = products.headers.index(ProductsColumn.PERIL)
        group_column = products.headers.index(ProductsColumn.PRODUCT_GROUP)
        seen: dict[tuple[str, str], int] = {}
        for offset, row in enumerate(products.rows):
            peril, product_group = row[peril_column], row[group_column]
            if type(peril) is not str or type(product_group) is not str:
                continue
            first = seen.setdefault((peril, product_group), offset)
            if first != offset:
                self.issues.add(
                    Rule.DUPLICATE_PERIL_PRODUCT_GROUP,
                    f"Duplicate Peril + Product Group (Peril={peril!r}, Product Group={product_group!r}); "
                    f"the pair is already used in row {first + 2}",
                    sheet=products.sheet,
                    row_index=offset + 1,
                    column_index=peril_column,
                    column=ProductsColumn.PERIL,
                    value=[peril, product_group],
                    expected="each (Peril, Product Group) pair once",
                )

    def _check_group_items(
        self,
        groups: list[_Group],
        analysis_names: set[str] | None,
        portfolio_names: set[str] | None,
        group_names_known: bool,
    ) -> None:
        """V-26 and the name-collision rule. With some names unknown (a blank or formula cell),
        an item is reported only when it is certainly wrong: it names its own group or a group
        defined below."""
        assert self.groupings is not None
        sheet = self.groupings.sheet
        analyses = analysis_names or set()
        portfolios = portfolio_names or set()
        all_known = analysis_names is not None and portfolio_names is not None and group_names_known
        defined_in: dict[str, int] = {}
        for group in groups:
            if group.name is not None:
                defined_in.setdefault(group.name, group.offset)
        defined_above: set[str] = set()
        for group in groups:
            if group.name is not None and (group.name in analyses or group.name in portfolios):
                kind = "an analysis" if group.name in analyses else "a portfolio"
                self.issues.add(
                    Rule.GROUP_NAME_COLLISION,
                    f"Group_Name {group.name!r} is also the name of {kind}; an item with this name "
                    f"would be ambiguous, so give the group another name",
                    sheet=sheet,
                    row_index=group.offset + 1,
                    column_index=group.column,
                    column=GroupingsColumn.GROUP_NAME,
                    value=group.name,
                    expected="a name not used by an analysis or a portfolio",
                )
            for column, item in group.items:
                if item in analyses or item in portfolios or item in defined_above:
                    continue
                if item == group.name:
                    reason = "a group cannot contain itself"
                elif item in defined_in:
                    reason = (
                        f"group {item!r} is defined below, in row {defined_in[item] + 2}; "
                        f"groups must be defined before they are referenced"
                    )
                elif all_known:
                    reason = "it is neither a portfolio, an analysis nor a group defined above"
                else:
                    continue
                self.issues.add(
                    Rule.UNDEFINED_GROUP_ITEM,
                    f"item {item!r} of group {group.name!r} is not found: {reason}",
                    sheet=sheet,
                    row_index=group.offset + 1,
                    column_index=column,
                    column=self.groupings.headers[column],
                    value=item,
                    expected="a portfolio, an analysis or a group defined in a row above",
                )
            if group.name is not None:
                defined_above.add(group.name)

    def _check_base_portfolios(self, databases: _Table, portfolios: _Table) -> None:
        """V-27. A database is not judged while one of its portfolios has an unreadable flag
        (``Yes`` may well have meant ``Y``), nor at all while a portfolio's database is unknown."""
        database_column = portfolios.headers.index(PortfoliosColumn.DATABASE)
        if database_column in portfolios.unknown_columns:
            return
        base_column = portfolios.headers.index(PortfoliosColumn.BASE_PORTFOLIO)
        with_base: set[str] = set()
        undecided: set[str] = set()
        for offset, _, database in portfolios.texts(PortfoliosColumn.DATABASE):
            if (offset, base_column) in portfolios.bad_cells:
                undecided.add(database)
            elif portfolios.rows[offset][base_column] == schema.YES:
                with_base.add(database)
        for offset, column, database in databases.texts(DatabasesColumn.DATABASE):
            if database not in with_base and database not in undecided:
                self.issues.add(
                    Rule.MISSING_BASE_PORTFOLIO,
                    f"database {database!r} has no Base Portfolio (Base Portfolio? = Y in sheet "
                    f"{SheetName.PORTFOLIOS}); at least one required",
                    sheet=databases.sheet,
                    row_index=offset + 1,
                    column_index=column,
                    column=DatabasesColumn.DATABASE,
                    value=database,
                    expected="at least one base portfolio",
                )
