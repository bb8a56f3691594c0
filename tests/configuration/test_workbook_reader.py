"""The reading model (specs/configuration.md §1.1) on hand-written .xlsx parts, as Excel writes them
(shared strings, cached formula values), which openpyxl-made test files do not exercise."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest

from irp.configuration.reader import AnomalyKind, CellAnomaly, read_workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CONTENT_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{OFFICE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{OFFICE}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{OFFICE}.sharedStrings+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{OFFICE}.styles+xml"/>'
    "</Types>"
)
STYLES = f"""<?xml version="1.0" encoding="UTF-8"?>
<styleSheet xmlns="{MAIN}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>
</styleSheet>"""


def xlsx(sheet_data: str, shared_strings: list[str]) -> bytes:
    """A one-sheet workbook named ``Data``; ``shared_strings`` are raw ``<si>`` bodies."""
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}"><Relationship Id="rId1" '
        f'Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>'
        f'<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId3" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/></Relationships>',
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">' + "".join(f"<si>{s}</si>" for s in shared_strings) + "</sst>",
        "xl/styles.xml": STYLES,
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><sheetData>{sheet_data}</sheetData></worksheet>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_shared_strings_keep_whitespace_and_values_keep_their_types() -> None:
    content = xlsx(
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>2</v></c><c r="C1"><v>3</v></c>'
        '<c r="D1"><v>2.5</v></c><c r="E1" t="b"><v>1</v></c><c r="F1" s="1"><v>46023</v></c></row>'
        '<row r="3"><c r="A3" t="s"><v>1</v></c></row>',
        ["<t>Name</t>", "<t> </t>", '<t xml:space="preserve">HAZARD_Analysis </t>'],
    )

    grid = read_workbook(content, ["Data"]).sheets["Data"]

    assert grid.rows == [
        ["Name", "HAZARD_Analysis ", 3, 2.5, True, datetime(2026, 1, 1)],
        [None, None, None, None, None, None],
        [" ", None, None, None, None, None],
    ]
    assert grid.anomalies == {}


def test_cached_formula_values_are_read_and_uncached_ones_flagged() -> None:
    content = xlsx(
        '<row r="1"><c r="A1" t="str"><f>CONCAT("a","b")</f><v>ab</v></c><c r="B1" t="str"><f>""</f><v></v></c>'
        '<c r="C1"><f>1/0</f></c><c r="D1" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>',
        [],
    )

    grid = read_workbook(content, ["Data"]).sheets["Data"]

    assert grid.rows == [["ab"]]  # B1 is a formula whose cached value is the empty text
    assert grid.anomalies == {
        (0, 2): CellAnomaly(AnomalyKind.UNCACHED_FORMULA, "=1/0"),
        (0, 3): CellAnomaly(AnomalyKind.ERROR_VALUE, "#DIV/0!"),
    }


@pytest.mark.parametrize("wanted", [["Data"], ["Data", "Absent"]])
def test_only_wanted_sheets_that_exist_are_read(wanted: list[str]) -> None:
    workbook = read_workbook(xlsx('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', ["<t>x</t>"]), wanted)

    assert workbook.sheet_names == ("Data",)
    assert list(workbook.sheets) == ["Data"]
