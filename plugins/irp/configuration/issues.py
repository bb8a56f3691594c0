"""Validation findings: one record per offending cell, sorted in workbook order.

The reference stopped at the first failing phase and showed ten lines (specs §6.7), so a user
fixed one typo per run. We report every finding with the cell to open, the value found and what
was expected, so a workbook can be fixed in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Rule(StrEnum):
    """Stable identifiers of the rules; the spec's rule numbers are given in each comment."""

    FILE_NOT_FOUND = "file-not-found"  # V-01
    UNREADABLE_WORKBOOK = "unreadable-workbook"  # V-02
    MISSING_SHEET = "missing-sheet"  # V-03
    METADATA_MISSING_KEY = "metadata-missing-key"  # V-04
    METADATA_TYPE = "metadata-type"  # V-05
    METADATA_PATTERN = "metadata-pattern"  # V-06
    METADATA_BLANK_VALUE = "metadata-blank-value"  # fixes §6.2 (blank values were accepted)
    METADATA_BLANK_KEY = "metadata-blank-key"  # fixes §6.15 (a "NaN" key was stored)
    METADATA_DUPLICATE_KEY = "metadata-duplicate-key"  # fixes §6.15 (last one won silently)
    MISSING_COLUMN = "missing-column"  # V-07, V-13, V-17
    BLANK_ROW = "blank-row"  # §1.1.3: an empty row inside a table
    BLANK_VALUE = "blank-value"  # V-08, V-14
    DUPLICATE_VALUE = "duplicate-value"  # V-09, V-15, V-18
    CELL_TYPE = "cell-type"  # fixes §6.4/§6.5 (declared types were not enforced)
    PATTERN = "pattern"  # V-10
    PERCENTAGE_RANGE = "percentage-range"  # V-11
    DATE_ORDER = "date-order"  # V-12
    UNCACHED_FORMULA = "uncached-formula"  # §1.1.1: a formula saved without its value
    EXCEL_ERROR = "excel-error"  # a cell holding #N/A, #REF!, ...
    BROKEN_REFERENCE = "broken-reference"  # V-19, V-23, V-24
    PORTFOLIO_DATABASE_MISMATCH = "portfolio-database-mismatch"  # §2.3.7: Moody's would fail the analysis
    UNKNOWN_REFERENCE_DATA = "unknown-reference-data"  # V-20, V-21, V-22
    DUPLICATE_PERIL_PRODUCT_GROUP = "duplicate-peril-product-group"  # V-25
    UNDEFINED_GROUP_ITEM = "undefined-group-item"  # V-26
    GROUP_NAME_COLLISION = "group-name-collision"  # fixes §6.10
    MISSING_BASE_PORTFOLIO = "missing-base-portfolio"  # V-27
    EMPTY_GROUP = "empty-group"  # V-16 (warning)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class ValidationIssue:
    """One finding. ``cell`` is the Excel address (``B7``) when the finding has one; ``row`` is
    the Excel row number; ``column`` the column header (or Metadata key)."""

    rule: Rule
    message: str
    sheet: str | None = None
    cell: str | None = None
    row: int | None = None
    column: str | None = None
    value: Any = None
    expected: str | None = None
    severity: Severity = Severity.ERROR

    @property
    def location(self) -> str:
        """``Sheet!Cell``, ``Sheet`` or empty: where to look in Excel."""
        if self.sheet is None:
            return ""
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet

    def __str__(self) -> str:
        location = self.location
        return f"{location}: {self.message}" if location else self.message

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def column_letter(index: int) -> str:
    """Excel column letters of a zero-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_address(row_index: int, column_index: int) -> str:
    """Excel address of zero-based grid coordinates (0, 0 → A1)."""
    return f"{column_letter(column_index)}{row_index + 1}"


@dataclass
class IssueCollector:
    """Collects findings and returns them in workbook order: sheet position, row, column.

    ``sheet_positions`` gives each sheet's position in the workbook; findings about a sheet that
    is not in the workbook (a missing sheet) come first.
    """

    sheet_positions: dict[str, int] = field(default_factory=dict)
    _entries: list[tuple[tuple[int, int, int, int], ValidationIssue]] = field(default_factory=list)

    def add(
        self,
        rule: Rule,
        message: str,
        *,
        sheet: str | None = None,
        row_index: int | None = None,
        column_index: int | None = None,
        column: str | None = None,
        value: Any = None,
        expected: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        """Record a finding at zero-based grid coordinates (``row_index`` 0 is Excel row 1)."""
        cell = None
        if row_index is not None and column_index is not None:
            cell = cell_address(row_index, column_index)
        issue = ValidationIssue(
            rule=rule,
            message=message,
            sheet=None if sheet is None else str(sheet),
            cell=cell,
            row=None if row_index is None else row_index + 1,
            column=None if column is None else str(column),
            value=value,
            expected=expected,
            severity=severity,
        )
        position = -1 if sheet is None else self.sheet_positions.get(sheet, -1)
        key = (
            position,
            -1 if row_index is None else row_index,
            -1 if column_index is None else column_index,
            len(self._entries),
        )
        self._entries.append((key, issue))

    def sorted(self, severity: Severity) -> tuple[ValidationIssue, ...]:
        return tuple(issue for _, issue in sorted(self._entries, key=_key) if issue.severity is severity)


def _key(entry: tuple[tuple[int, int, int, int], ValidationIssue]) -> tuple[int, int, int, int]:
    return entry[0]


def format_issues(issues: Iterable[ValidationIssue]) -> str:
    """One ``Sheet!Cell: message`` line per finding (the CLI's and the exception's text)."""
    return "\n".join(str(issue) for issue in issues)
