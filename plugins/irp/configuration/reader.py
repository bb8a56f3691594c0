"""Reading an .xlsx workbook into grids of typed cell values (specs/configuration.md §1.1).

Cell values come from python-calamine, which reads a workbook about ten times faster than
openpyxl. Three things calamine cannot tell us are recovered from the sheet XML, and only when
a cheap byte search says the sheet may contain them:

* a formula saved without its cached value (calamine reads it as empty; the user must open and
  save the workbook in Excel, otherwise we would validate blanks instead of their data);
* a cell holding an Excel error (``#N/A``...; calamine reads it as empty too);
* a text cell holding only whitespace written without ``xml:space="preserve"`` (openpyxl writes
  ``" "`` so; calamine trims it to empty, but a space is not a blank, §1 conventions).

Values are typed as the reference reads them: text → ``str``, whole numbers → ``int``, other
numbers → ``float``, booleans → ``bool``, dates → ``datetime``; blank → ``None``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from html import unescape
from operator import itemgetter
from os import PathLike
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from irp.configuration.issues import Rule
from irp.exceptions import ConfigurationError

CellValue = str | int | float | bool | datetime | time | timedelta | None
#: A cell as python-calamine reads it.
RawCell = int | float | str | bool | time | date | datetime | timedelta

#: Floats beyond this magnitude are not exactly representable as whole numbers.
_MAX_EXACT_FLOAT = 2.0**53

_WORKBOOK_PART = "xl/workbook.xml"
_RELATIONSHIP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHARED_STRINGS_SUFFIX = "/sharedStrings"

# Sheet XML patterns. Element names may carry a namespace prefix (<x:c>) in some generators.
_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
#: Byte strings whose absence proves a sheet has no formula or error cell (plain ``in`` tests: a
#: regex alternation over megabytes of XML costs more than reading the cells). ``<f``/``:f`` may
#: match other elements: a false alarm only costs a scan.
_SCAN_TRIGGERS = (b"<f", b":f", b't="e"')
#: Text starting with whitespace (it may be whitespace only): one search, which the regex engine
#: runs as a fast literal search for ``t>``, instead of one pass per whitespace character.
_WHITESPACE_TRIGGER = re.compile(rb"t>[ \t\r\n]")
_CELL = re.compile(rb"<" + _PREFIX + rb"c\b([^>]*?)(?:/>|>(.*?)</" + _PREFIX + rb"c>)", re.S)
_REF_ATTR = re.compile(rb"\br=\"([A-Z]+)(\d+)\"")
_TYPE_ATTR = re.compile(rb"\bt=\"(\w+)\"")
_FORMULA = re.compile(rb"<" + _PREFIX + rb"f[\s>/]")
_FORMULA_TEXT = re.compile(rb"<" + _PREFIX + rb"f\b[^>]*>(.+?)</" + _PREFIX + rb"f>", re.S)
_VALUE = re.compile(rb"<" + _PREFIX + rb"v>(.*?)</" + _PREFIX + rb"v>", re.S)
_WHITESPACE_TEXT = re.compile(rb"<" + _PREFIX + rb"t>([ \t\r\n]+)</" + _PREFIX + rb"t>")
_SHARED_ITEM = re.compile(rb"<" + _PREFIX + rb"si>(.*?)</" + _PREFIX + rb"si>|<" + _PREFIX + rb"si/>", re.S)
_WHITESPACE_ONLY_ITEM = re.compile(rb"\s*<" + _PREFIX + rb"t>([ \t\r\n]+)</" + _PREFIX + rb"t>\s*", re.S)


#: The set of values of a blank column.
_BLANK_COLUMN = {None}

#: Shown for a cell of a shared formula, whose text is stored only in the first cell.
SHARED_FORMULA = "(part of a shared formula)"


class WorkbookReadError(ConfigurationError):
    """The file is missing or is not a readable .xlsx workbook (CLI exit code 2)."""

    def __init__(self, rule: Rule, message: str) -> None:
        super().__init__(message)
        self.rule = rule


class AnomalyKind(StrEnum):
    UNCACHED_FORMULA = "uncached formula"
    ERROR_VALUE = "error value"


@dataclass(frozen=True)
class CellAnomaly:
    """A cell whose value cannot be trusted; ``detail`` is the formula (``=SUM(A1:A3)``) or the
    Excel error code (``#N/A``)."""

    kind: AnomalyKind
    detail: str


@dataclass
class SheetGrid:
    """One sheet as a rectangular grid from A1; trailing blank rows and columns removed."""

    name: str
    position: int
    rows: list[list[CellValue]]
    anomalies: dict[tuple[int, int], CellAnomaly] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return len(self.rows[0]) if self.rows else 0


@dataclass
class WorkbookContent:
    """The sheet names in workbook order, and the grids of the sheets that were asked for."""

    sheet_names: tuple[str, ...]
    sheets: dict[str, SheetGrid]


def is_url(path: str | PathLike[str]) -> bool:
    """An object-storage address (``s3://bucket/key``, ``memory://…``, ``file:///…``), not a local path."""
    return isinstance(path, str) and "://" in path


def read_bytes(path: str | PathLike[str]) -> bytes:
    """The file's bytes; hashing and validating the same bytes rules out a file changing between.

    An object-storage URL is read through Airflow's ``ObjectStoragePath`` (its scheme's provider,
    and connection ``s3://<conn_id>@bucket/key`` when one is named)."""
    if is_url(path):
        return _read_object(str(path))
    file = Path(path)
    if not file.exists():
        raise WorkbookReadError(Rule.FILE_NOT_FOUND, f"Configuration file not found: {file}")
    if not file.is_file():
        raise WorkbookReadError(Rule.UNREADABLE_WORKBOOK, f"Failed to read Excel file {file}: not a file")
    try:
        return file.read_bytes()
    except OSError as exc:
        raise WorkbookReadError(Rule.UNREADABLE_WORKBOOK, f"Failed to read Excel file {file}: {exc}") from exc


def _read_object(url: str) -> bytes:
    from airflow.sdk import ObjectStoragePath

    try:
        target = ObjectStoragePath(url)
        if not target.exists():
            raise WorkbookReadError(Rule.FILE_NOT_FOUND, f"Configuration file not found: {url}")
        if not target.is_file():
            raise WorkbookReadError(Rule.UNREADABLE_WORKBOOK, f"Failed to read Excel file {url}: not a file")
        return target.read_bytes()
    except WorkbookReadError:
        raise
    except Exception as exc:  # no provider for the scheme, access denied, network...
        raise WorkbookReadError(Rule.UNREADABLE_WORKBOOK, f"Failed to read Excel file {url}: {exc}") from exc


def modified_time(path: str | PathLike[str]) -> datetime | None:
    """When the file was last changed, if its storage says (an in-memory store does not)."""
    from datetime import UTC

    try:
        if is_url(path):
            from airflow.sdk import ObjectStoragePath

            return datetime.fromtimestamp(ObjectStoragePath(str(path)).stat().st_mtime, tz=UTC)
        return datetime.fromtimestamp(Path(path).stat().st_mtime, tz=UTC)
    except Exception:
        return None


def read_workbook(content: bytes, wanted: Iterable[str], *, label: str = "workbook") -> WorkbookContent:
    """Read the ``wanted`` sheets that exist in the .xlsx ``content`` (others are ignored)."""
    from python_calamine import CalamineWorkbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise WorkbookReadError(
            Rule.UNREADABLE_WORKBOOK, f"Failed to read Excel file {label}: not an .xlsx workbook ({exc})"
        ) from exc
    with archive:
        try:
            parts = _sheet_parts(archive)
            book = CalamineWorkbook.from_filelike(io.BytesIO(content))
            names = tuple(book.sheet_names)
            shared_whitespace = _shared_whitespace_strings(archive, parts.shared_strings)
        except (KeyError, ElementTree.ParseError) as exc:
            raise WorkbookReadError(
                Rule.UNREADABLE_WORKBOOK, f"Failed to read Excel file {label}: not an .xlsx workbook ({exc})"
            ) from exc
        except Exception as exc:  # calamine raises its own error classes for corrupt parts
            raise WorkbookReadError(Rule.UNREADABLE_WORKBOOK, f"Failed to read Excel file {label}: {exc}") from exc
        sheets: dict[str, SheetGrid] = {}
        for name in wanted:
            if name not in names:
                continue
            try:
                raw = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                xml = archive.read(parts.sheets[name]) if name in parts.sheets else b""
            except Exception as exc:
                raise WorkbookReadError(
                    Rule.UNREADABLE_WORKBOOK, f"Failed to read Excel file {label}: sheet {name!r}: {exc}"
                ) from exc
            # Text (most cells) is converted inline: a call per cell costs more than the test.
            rows = [[(value or None) if type(value) is str else _cell(value) for value in row] for row in raw]
            anomalies = _scan(xml, shared_whitespace, rows)
            sheets[name] = SheetGrid(name, names.index(name), _trim(rows), anomalies)
    return WorkbookContent(names, sheets)


def _cell(value: RawCell) -> CellValue:
    if type(value) is str:
        return value or None
    if type(value) is float:
        if value.is_integer() and -_MAX_EXACT_FLOAT <= value <= _MAX_EXACT_FLOAT:
            return int(value)
        return value
    if isinstance(value, date):  # a date cell becomes midnight of that day
        return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    return value


def _trim(rows: list[list[CellValue]]) -> list[list[CellValue]]:
    """Drop trailing blank rows and columns; pad every row to the same width.

    Blank rows and columns are found with C-level counts and column sets, not a step per cell."""
    height = len(rows)
    while height and rows[height - 1].count(None) == len(rows[height - 1]):
        height -= 1
    trimmed = rows[:height]
    width = max(map(len, trimmed), default=0)
    for row in trimmed:
        if len(row) < width:
            row.extend([None] * (width - len(row)))
    while width and set(map(itemgetter(width - 1), trimmed)) == _BLANK_COLUMN:
        width -= 1
    if trimmed and len(trimmed[0]) > width:
        trimmed = [row[:width] for row in trimmed]
    return trimmed


@dataclass(frozen=True)
class _Parts:
    sheets: dict[str, str]
    shared_strings: str | None


def _sheet_parts(archive: zipfile.ZipFile) -> _Parts:
    """Map sheet names to their XML part through xl/workbook.xml and its relationships."""
    workbook = ElementTree.fromstring(archive.read(_WORKBOOK_PART))
    rels_path = "xl/_rels/workbook.xml.rels"
    targets: dict[str, str] = {}
    shared_strings = None
    if rels_path in archive.namelist():
        for rel in ElementTree.fromstring(archive.read(rels_path)):
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            targets[rel.get("Id", "")] = path
            if rel.get("Type", "").endswith(_SHARED_STRINGS_SUFFIX):
                shared_strings = path
    sheets: dict[str, str] = {}
    for element in workbook.iter():
        if element.tag.rpartition("}")[2] != "sheet":
            continue
        rel_id = next((value for key, value in element.attrib.items() if key.rpartition("}")[2] == "id"), None)
        if rel_id in targets and targets[rel_id] in archive.namelist():
            sheets[element.get("name", "")] = targets[rel_id]
    return _Parts(sheets, shared_strings)


def _shared_whitespace_strings(archive: zipfile.ZipFile, part: str | None) -> dict[int, str]:
    """Indices of shared strings that are only whitespace and lack ``xml:space="preserve"``."""
    if part is None or part not in archive.namelist():
        return {}
    data = archive.read(part)
    if not _WHITESPACE_TEXT.search(data):
        return {}
    found: dict[int, str] = {}
    for index, match in enumerate(_SHARED_ITEM.finditer(data)):
        body = match.group(1)
        whitespace = _WHITESPACE_ONLY_ITEM.fullmatch(body) if body is not None else None
        if whitespace:
            found[index] = whitespace.group(1).decode()
    return found


def _scan(
    xml: bytes, shared_whitespace: dict[int, str], rows: list[list[CellValue]]
) -> dict[tuple[int, int], CellAnomaly]:
    """Find uncached formulas and error cells; restore whitespace-only text into ``rows``."""
    if not xml or not (
        any(trigger in xml for trigger in _SCAN_TRIGGERS)
        or _WHITESPACE_TRIGGER.search(xml)
        or (shared_whitespace and b't="s"' in xml)
    ):
        return {}
    anomalies: dict[tuple[int, int], CellAnomaly] = {}
    for match in _CELL.finditer(xml):
        attributes, body = match.groups()
        if not body:
            continue
        ref = _REF_ATTR.search(attributes)
        if ref is None:
            continue
        row_index = int(ref.group(2)) - 1
        column_index = _column_index(ref.group(1))
        type_match = _TYPE_ATTR.search(attributes)
        cell_type = type_match.group(1) if type_match else b"n"
        value = _VALUE.search(body)
        if _FORMULA.search(body) and (value is None or (not value.group(1) and cell_type != b"str")):
            formula = _FORMULA_TEXT.search(body)
            text = "=" + unescape(formula.group(1).decode(errors="replace")) if formula else SHARED_FORMULA
            anomalies[(row_index, column_index)] = CellAnomaly(AnomalyKind.UNCACHED_FORMULA, text)
            continue
        if cell_type == b"e":
            detail = value.group(1).decode(errors="replace") if value else ""
            anomalies[(row_index, column_index)] = CellAnomaly(AnomalyKind.ERROR_VALUE, detail)
        elif cell_type == b"inlineStr":
            whitespace = _WHITESPACE_TEXT.search(body)
            if whitespace:
                _put(rows, row_index, column_index, whitespace.group(1).decode())
        elif cell_type == b"s" and value is not None and value.group(1).isdigit():
            shared_text = shared_whitespace.get(int(value.group(1)))
            if shared_text is not None:
                _put(rows, row_index, column_index, shared_text)
    return anomalies


def _put(rows: list[list[CellValue]], row_index: int, column_index: int, value: CellValue) -> None:
    while len(rows) <= row_index:
        rows.append([])
    row = rows[row_index]
    if len(row) <= column_index:
        row.extend([None] * (column_index + 1 - len(row)))
    row[column_index] = value


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1
