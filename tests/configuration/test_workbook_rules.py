"""One test per rule: each mutation of the sample must produce exactly the findings listed
(sheet, cell, rule) — no finding missing, and none added as a side effect of another."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from irp.configuration import Rule, Severity, ValidationIssue, validate_workbook

if TYPE_CHECKING:
    from openpyxl import Workbook

Mutation = Callable[["Workbook"], Any]
Finding = tuple[str, str | None, Rule]

GCHU = "RM_EDM_202606_Quarterly_GCHU"
MD, DB, PF, RT, GH, AT, GR, PP, RD, EX = (
    "Metadata",
    "Databases",
    "Portfolios",
    "Reinsurance Treaties",
    "GeoHaz Thresholds",
    "Analysis Table",
    "Groupings",
    "Products and Perils",
    "Moody's Reference Data",
    "ExposureGroup <-> Portname",
)


def put(sheet: str, **cells: Any) -> Mutation:
    def apply(workbook: Workbook) -> None:
        for address, value in cells.items():
            workbook[sheet][address] = value

    return apply


def append(sheet: str, *values: Any) -> Mutation:
    return lambda workbook: workbook[sheet].append(list(values))


def rename(old: str, new: str) -> Mutation:
    """Replace a name in every cell of every sheet, keeping the workbook consistent."""

    def apply(workbook: Workbook) -> None:
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value == old:
                        cell.value = new

    return apply


def error_value(sheet: str, address: str, code: str) -> Mutation:
    def apply(workbook: Workbook) -> None:
        cell = workbook[sheet][address]
        cell.value = code
        cell.data_type = "e"

    return apply


def both(*mutations: Mutation) -> Mutation:
    def apply(workbook: Workbook) -> None:
        for mutation in mutations:
            mutation(workbook)

    return apply


def findings(issues: tuple[ValidationIssue, ...]) -> list[Finding]:
    return [(issue.sheet, issue.cell, issue.rule) for issue in issues]  # type: ignore[misc]


CASES = [
    # Metadata
    pytest.param(lambda wb: wb[MD].delete_rows(2), [(MD, None, Rule.METADATA_MISSING_KEY)], id="metadata-missing-key"),
    pytest.param(put(MD, B5="abc"), [(MD, "B5", Rule.METADATA_TYPE)], id="metadata-integer-as-text"),
    pytest.param(put(MD, B5=23.5), [(MD, "B5", Rule.METADATA_TYPE)], id="metadata-integer-as-fraction"),
    pytest.param(put(MD, B5=True), [(MD, "B5", Rule.METADATA_TYPE)], id="metadata-integer-as-boolean"),
    pytest.param(put(MD, B1=202606), [(MD, "B1", Rule.METADATA_TYPE)], id="metadata-string-as-number"),
    pytest.param(put(MD, B9="1.2"), [(MD, "B9", Rule.METADATA_TYPE)], id="metadata-float-as-text"),
    pytest.param(put(MD, B2="v1"), [(MD, "B2", Rule.METADATA_PATTERN)], id="metadata-version-pattern"),
    pytest.param(put(MD, B3="23.0.0.1abc"), [(MD, "B3", Rule.METADATA_PATTERN)], id="metadata-version-suffix"),
    pytest.param(put(MD, B6="y"), [(MD, "B6", Rule.METADATA_PATTERN)], id="metadata-flag-lowercase"),
    pytest.param(put(MD, B10="YES"), [(MD, "B10", Rule.METADATA_PATTERN)], id="metadata-flag-word"),
    pytest.param(put(MD, B1=None), [(MD, "B1", Rule.METADATA_BLANK_VALUE)], id="metadata-blank-date-value"),
    pytest.param(put(MD, B12=None), [(MD, "B12", Rule.METADATA_BLANK_VALUE)], id="metadata-blank-cycle-type"),
    pytest.param(
        put(MD, A13="Cycle Type", B13="Annual"), [(MD, "A13", Rule.METADATA_DUPLICATE_KEY)], id="metadata-duplicate"
    ),
    pytest.param(put(MD, B14="orphan"), [(MD, "A14", Rule.METADATA_BLANK_KEY)], id="metadata-value-without-key"),
    pytest.param(
        put(MD, A12='=CONCAT("Cycle"," Type")'),
        [(MD, "A12", Rule.UNCACHED_FORMULA)],
        id="metadata-key-uncached-formula",
    ),
    # Databases
    pytest.param(
        rename(GCHU, "BAD_EDM_202606_Quarterly_GCHU"), [(DB, "A2", Rule.PATTERN)], id="database-prefix-pattern"
    ),
    pytest.param(rename(GCHU, "RM_EDM_2026061_x"), [(DB, "A2", Rule.PATTERN)], id="database-seven-digits"),
    pytest.param(put(DB, B3="n"), [(DB, "B3", Rule.PATTERN)], id="database-flag-lowercase"),
    pytest.param(put(DB, B3=1), [(DB, "B3", Rule.CELL_TYPE)], id="database-flag-as-number"),
    pytest.param(append(DB, GCHU, "Y"), [(DB, "A5", Rule.DUPLICATE_VALUE)], id="database-duplicate"),
    pytest.param(put(DB, A3=None), [(DB, "A3", Rule.BLANK_VALUE)], id="database-blank"),
    pytest.param(lambda wb: wb[DB].delete_cols(2), [(DB, None, Rule.MISSING_COLUMN)], id="database-missing-column"),
    pytest.param(
        append(DB, "RM_EDM_202606_Quarterly_NOPF", "Y"),
        [(DB, "A5", Rule.MISSING_BASE_PORTFOLIO)],
        id="database-without-base-portfolio",
    ),
    # Portfolios
    pytest.param(put(PF, D9="N"), [(DB, "A4", Rule.MISSING_BASE_PORTFOLIO)], id="portfolio-base-removed"),
    pytest.param(
        put(PF, B10="RM_EDM_202606_Quarterly_FAKE"), [(PF, "B10", Rule.BROKEN_REFERENCE)], id="portfolio-database-fk"
    ),
    pytest.param(put(PF, A4="GCHU_Coastal"), [(PF, "A4", Rule.DUPLICATE_VALUE)], id="portfolio-duplicate"),
    pytest.param(put(PF, D4="Yes"), [(PF, "D4", Rule.PATTERN)], id="portfolio-base-flag-word"),
    pytest.param(put(PF, D9="Yes"), [(PF, "D9", Rule.PATTERN)], id="portfolio-only-base-flag-word"),
    pytest.param(put(PF, C3=None), [(PF, "C3", Rule.BLANK_VALUE)], id="portfolio-import-file-blank"),
    pytest.param(
        put(PF, A12="MWST_Extra", B12="RM_EDM_202606_Quarterly_MWST", C12="MWST", D12="N"),
        [(PF, "A11", Rule.BLANK_ROW)],
        id="portfolio-blank-row-inside",
    ),
    pytest.param(
        put(PF, A14="MWST_Extra", B14="RM_EDM_202606_Quarterly_MWST", C14="MWST", D14="N"),
        [(PF, "A11", Rule.BLANK_ROW)],
        id="portfolio-blank-rows-reported-once",
    ),
    pytest.param(
        put(PF, A12=" "),
        [
            (PF, "A11", Rule.BLANK_ROW),
            (PF, "B12", Rule.BLANK_VALUE),
            (PF, "C12", Rule.BLANK_VALUE),
            (PF, "D12", Rule.BLANK_VALUE),
        ],
        id="portfolio-space-far-below",
    ),
    # Reinsurance Treaties
    pytest.param(put(RT, C2="working excess"), [(RT, "C2", Rule.PATTERN)], id="treaty-type-case"),
    pytest.param(put(RT, C4="Quota Share "), [(RT, "C4", Rule.PATTERN)], id="treaty-type-trailing-space"),
    pytest.param(put(RT, L2=150), [(RT, "L2", Rule.PERCENTAGE_RANGE)], id="treaty-percentage-over-100"),
    pytest.param(put(RT, M3=-5), [(RT, "M3", Rule.PERCENTAGE_RANGE)], id="treaty-percentage-negative"),
    pytest.param(put(RT, N2="50"), [(RT, "N2", Rule.CELL_TYPE)], id="treaty-percentage-as-text"),
    pytest.param(put(RT, D2="abc"), [(RT, "D2", Rule.CELL_TYPE)], id="treaty-limit-as-text"),
    pytest.param(put(RT, Q2=1.5), [(RT, "Q2", Rule.CELL_TYPE)], id="treaty-reinstatements-fraction"),
    pytest.param(put(RT, G2="2026-01-01"), [(RT, "G2", Rule.CELL_TYPE)], id="treaty-date-as-text"),
    pytest.param(put(RT, H2=datetime(2025, 12, 31)), [(RT, "H2", Rule.DATE_ORDER)], id="treaty-expires-first"),
    pytest.param(put(RT, H3=datetime(2026, 1, 1)), [(RT, "H3", Rule.DATE_ORDER)], id="treaty-same-dates"),
    pytest.param(put(RT, B3="TR-2026-001"), [(RT, "B3", Rule.DUPLICATE_VALUE)], id="treaty-number-duplicate"),
    pytest.param(put(RT, V2=12), [(RT, "V2", Rule.CELL_TYPE)], id="treaty-producer-as-number"),
    pytest.param(put(RT, I2=None), [(RT, "I2", Rule.BLANK_VALUE)], id="treaty-currency-blank"),
    # GeoHaz Thresholds
    pytest.param(put(GH, C2="x"), [(GH, "C2", Rule.CELL_TYPE)], id="geohaz-percentage-as-text"),
    pytest.param(put(GH, D2=-5), [(GH, "D2", Rule.PERCENTAGE_RANGE)], id="geohaz-percentage-negative"),
    pytest.param(put(GH, B2="NONEXISTENT_IMPORT_FILE"), [(GH, "B2", Rule.BROKEN_REFERENCE)], id="geohaz-import-fk"),
    # Analysis Table
    pytest.param(
        put(AT, D2="NONEXISTENT_PROFILE"), [(AT, "D2", Rule.UNKNOWN_REFERENCE_DATA)], id="analysis-model-profile"
    ),
    pytest.param(
        put(AT, E6="HAZARD_Analysis"), [(AT, "E6", Rule.UNKNOWN_REFERENCE_DATA)], id="analysis-output-profile-exact"
    ),
    pytest.param(
        put(AT, F7="RMS 17.0 NA Stochastic Event Rates"),
        [(AT, "F7", Rule.UNKNOWN_REFERENCE_DATA)],
        id="analysis-event-rate-exact",
    ),
    pytest.param(put(AT, G2="NONEXISTENT_TREATY"), [(AT, "G2", Rule.BROKEN_REFERENCE)], id="analysis-treaty-fk"),
    pytest.param(put(AT, B2="FAKE"), [(AT, "B2", Rule.BROKEN_REFERENCE)], id="analysis-portfolio-fk"),
    pytest.param(
        put(AT, A2="RM_EDM_202606_Quarterly_FAKE"), [(AT, "A2", Rule.BROKEN_REFERENCE)], id="analysis-database-fk"
    ),
    pytest.param(
        put(AT, B10="GCHU_Inland"), [(AT, "B10", Rule.PORTFOLIO_DATABASE_MISMATCH)], id="analysis-portfolio-elsewhere"
    ),
    pytest.param(
        lambda wb: wb[AT].append([cell.value for cell in wb[AT][2]]),
        [(AT, "C11", Rule.DUPLICATE_VALUE)],
        id="analysis-name-duplicate",
    ),
    pytest.param(put(AT, L2=None), [(AT, "L2", Rule.BLANK_VALUE)], id="analysis-tag-1-blank"),
    pytest.param(put(AT, C2=12345), [(AT, "C2", Rule.CELL_TYPE)], id="analysis-name-as-number"),
    pytest.param(put(AT, D1="Analysis profile"), [(AT, None, Rule.MISSING_COLUMN)], id="analysis-header-case"),
    # Groupings
    pytest.param(put(GR, B2="INVALID ITEM"), [(GR, "B2", Rule.UNDEFINED_GROUP_ITEM)], id="group-unknown-item"),
    pytest.param(
        put(GR, B2="202606_LT_All_Group"), [(GR, "B2", Rule.UNDEFINED_GROUP_ITEM)], id="group-forward-reference"
    ),
    pytest.param(put(GR, B6="202606_LT_All_Group"), [(GR, "B6", Rule.UNDEFINED_GROUP_ITEM)], id="group-self-reference"),
    pytest.param(append(GR, "202606_CAEQ_Group", "CAEQ"), [(GR, "A8", Rule.DUPLICATE_VALUE)], id="group-duplicate"),
    pytest.param(put(GR, A4=None), [(GR, "A4", Rule.BLANK_VALUE)], id="group-name-blank"),
    pytest.param(
        append(GR, "GCHU_Coastal_LT", "CAEQ"), [(GR, "A8", Rule.GROUP_NAME_COLLISION)], id="group-named-as-analysis"
    ),
    pytest.param(
        append(GR, "CAEQ_Wood_Frame", "CAEQ"), [(GR, "A8", Rule.GROUP_NAME_COLLISION)], id="group-named-as-portfolio"
    ),
    pytest.param(append(GR, "202606_Numbers_Group", 5), [(GR, "B8", Rule.CELL_TYPE)], id="group-item-as-number"),
    # Products and Perils
    pytest.param(put(PP, A2="NONEXISTENT_ANALYSIS"), [(PP, "A2", Rule.BROKEN_REFERENCE)], id="products-name-fk"),
    pytest.param(
        append(PP, "MWST_Farm_WF", "Standard GCHU", "Coastal Homeowners"),
        [(PP, "B11", Rule.DUPLICATE_PERIL_PRODUCT_GROUP)],
        id="products-duplicate-pair",
    ),
    pytest.param(put(PP, A3=None), [(PP, "A3", Rule.BLANK_VALUE)], id="products-name-blank"),
    # Moody's Reference Data
    pytest.param(put(RD, A8="DLM CA EQ v23"), [(RD, "A8", Rule.DUPLICATE_VALUE)], id="reference-duplicate"),
    pytest.param(put(RD, C1="Event Rates"), [(RD, None, Rule.MISSING_COLUMN)], id="reference-missing-column"),
    pytest.param(put(RD, A8=5), [(RD, "A8", Rule.CELL_TYPE)], id="reference-profile-as-number"),
    # ExposureGroup <-> Portname
    pytest.param(put(EX, B3="GCHU_Coastal"), [(EX, "B3", Rule.DUPLICATE_VALUE)], id="exposure-duplicate"),
    pytest.param(put(EX, A2=None), [(EX, "A2", Rule.BLANK_VALUE)], id="exposure-blank"),
    # Workbook and cells
    pytest.param(lambda wb: wb.remove(wb[GH]), [(GH, None, Rule.MISSING_SHEET)], id="missing-sheet"),
    pytest.param(lambda wb: setattr(wb[DB], "title", "Database"), [(DB, None, Rule.MISSING_SHEET)], id="renamed-sheet"),
    pytest.param(
        put(DB, A2='=CONCAT("RM_EDM_","202606","_Quarterly_GCHU")'),
        [(DB, "A2", Rule.UNCACHED_FORMULA)],
        id="uncached-formula",
    ),
    pytest.param(error_value(AT, "F3", "#N/A"), [(AT, "F3", Rule.EXCEL_ERROR)], id="excel-error"),
]


@pytest.mark.parametrize(("mutation", "expected"), CASES)
def test_mutation_reports_exactly_its_findings(mutate: Callable[[Mutation], Path], mutation: Mutation,
                                               expected: list[Finding]) -> None:  # fmt: skip
    report = validate_workbook(mutate(mutation))

    assert findings(report.errors) == expected
    assert report.document is None
    for issue in report.errors:
        assert issue.message
        assert issue.severity is Severity.ERROR
        if issue.cell is not None:
            assert issue.row == int(issue.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def test_at_least_forty_distinct_mutations() -> None:
    assert len({case.id for case in CASES}) == len(CASES) >= 40


def test_every_workbook_rule_has_a_mutation() -> None:
    covered = {finding[2] for case in CASES for finding in case.values[1]}
    tested_apart = {Rule.FILE_NOT_FOUND, Rule.UNREADABLE_WORKBOOK, Rule.EMPTY_GROUP}
    assert covered | tested_apart == set(Rule)


def test_errors_in_several_sheets_are_all_reported_in_workbook_order(mutate: Callable[[Mutation], Path]) -> None:
    path = mutate(
        both(
            put(AT, D3="DLM XX"),
            put(MD, B2="v1"),
            put(GR, B2="INVALID ITEM"),
            put(RT, L2=150, M3="x"),
            put(AT, F2=5),
            put(DB, B3="n"),
            put(PP, A2="NONEXISTENT_ANALYSIS"),
        )
    )

    report = validate_workbook(path)

    # Sheets in the sample's order (Validations second), rows, then columns.
    assert findings(report.errors) == [
        (MD, "B2", Rule.METADATA_PATTERN),
        (DB, "B3", Rule.PATTERN),
        (RT, "L2", Rule.PERCENTAGE_RANGE),
        (RT, "M3", Rule.CELL_TYPE),
        (AT, "F2", Rule.CELL_TYPE),
        (AT, "D3", Rule.UNKNOWN_REFERENCE_DATA),
        (GR, "B2", Rule.UNDEFINED_GROUP_ITEM),
        (PP, "A2", Rule.BROKEN_REFERENCE),
    ]


def test_more_than_ten_errors_are_all_reported(mutate: Callable[[Mutation], Path]) -> None:
    cells = {f"D{row}": "NONEXISTENT_PROFILE" for row in range(2, 11)}
    cells.update({f"E{row}": "NONEXISTENT_OUTPUT" for row in range(2, 11)})

    report = validate_workbook(mutate(put(AT, **cells)))

    assert len(report.errors) == 18
    assert {issue.rule for issue in report.errors} == {Rule.UNKNOWN_REFERENCE_DATA}


def test_error_carries_value_expectation_and_location(mutate: Callable[[Mutation], Path]) -> None:
    report = validate_workbook(mutate(put(RT, L2=150)))

    (issue,) = report.errors
    assert issue.sheet == RT
    assert issue.cell == "L2"
    assert issue.row == 2
    assert issue.column == "% Covered"
    assert issue.value == 150
    assert issue.expected == "0-100"
    assert str(issue) == "Reinsurance Treaties!L2: % Covered 150 is out of range; a percentage lies between 0 and 100"


def test_uncached_formula_tells_the_user_to_save_in_excel(mutate: Callable[[Mutation], Path]) -> None:
    report = validate_workbook(mutate(put(AT, C4='=CONCAT("GCHU_","Inland_LT")')))

    (issue,) = report.errors
    assert issue.rule is Rule.UNCACHED_FORMULA
    assert issue.cell == "C4"
    assert issue.value == '=CONCAT("GCHU_","Inland_LT")'
    assert "open the workbook in Excel and save it" in issue.message


def test_formula_with_a_cached_value_is_read_as_its_value(tmp_path: Path, sample_path: Path) -> None:
    """Excel stores ``<f>`` with ``<v>``: the value is what counts, as in the reference."""
    import zipfile

    source = zipfile.ZipFile(sample_path)
    target_path = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(target_path, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet3.xml":  # Databases
                data = data.replace(
                    b'<c r="B2" t="inlineStr"><is><t>Y</t></is></c>',
                    b'<c r="B2" t="str"><f>IF(TRUE,"Y","N")</f><v>Y</v></c>',
                )
                assert b"<f>" in data
            target.writestr(info, data)

    report = validate_workbook(target_path)

    assert report.valid
    assert report.document is not None
    assert report.document[DB][0]["Store in Data Bridge?"] == "Y"


def test_empty_group_is_a_warning_and_is_not_exported(mutate: Callable[[Mutation], Path]) -> None:
    from irp.configuration import generate_job_configurations

    report = validate_workbook(mutate(append(GR, "202606_Empty_Group")))

    assert report.valid
    assert findings(report.warnings) == [(GR, "A8", Rule.EMPTY_GROUP)]
    assert report.warnings[0].severity is Severity.WARNING
    assert report.document is not None
    assert report.document["_validation"][GR]["warnings"] == [str(report.warnings[0])]
    exported = [job["analysis_names"][0] for job in generate_job_configurations(report.document, "Export to RDM")]
    assert "202606_Empty_Group" not in exported


def test_extra_columns_and_sheets_are_kept_and_ignored(mutate: Callable[[Mutation], Path]) -> None:
    from irp.configuration import generate_job_configurations

    def add_notes(workbook: Workbook) -> None:
        workbook[AT]["Q1"] = "Notes"
        workbook[AT]["Q2"] = "peer reviewed"
        workbook.create_sheet("Scratch")["A1"] = 42

    report = validate_workbook(mutate(add_notes))

    assert report.valid
    assert report.document is not None
    jobs = generate_job_configurations(report.document, "Analysis")
    assert jobs[0]["Notes"] == "peer reviewed"
    assert jobs[1]["Notes"] is None
    assert "Scratch" not in report.document


def test_repeated_and_empty_headers_are_named_as_pandas_names_them(mutate: Callable[[Mutation], Path]) -> None:
    report = validate_workbook(mutate(put(DB, C1="Database", D2="x", E1="Note")))

    assert report.valid
    assert report.document is not None
    assert list(report.document[DB][0]) == ["Database", "Store in Data Bridge?", "Database.1", "Unnamed: 3", "Note"]
    assert report.document[DB][0]["Unnamed: 3"] == "x"


def test_prefix_matches_that_the_reference_accepted_are_rejected(mutate: Callable[[Mutation], Path]) -> None:
    report = validate_workbook(mutate(put(MD, B2="23.0.0.1", B4="1.2.3.4")))

    assert findings(report.errors) == [(MD, "B2", Rule.METADATA_PATTERN), (MD, "B4", Rule.METADATA_PATTERN)]


def test_blank_metadata_rows_are_skipped(mutate: Callable[[Mutation], Path]) -> None:
    def insert_blank_row(workbook: Workbook) -> None:
        workbook[MD].insert_rows(5)

    report = validate_workbook(mutate(insert_blank_row))

    assert report.valid
    assert report.document is not None
    assert list(report.document[MD]) == [
        "Current Date Value", "EDM Data Version", "Geocode Version", "Hazard Version", "DLM Model Version",
        "Validate DLM Model Versions?", "Wildfire HD Model Version", "SCS HD Model Version",
        "Inland Flood HD Model Version", "Validate HD Model Versions?", "Export RDM Name", "Cycle Type",
    ]  # fmt: skip


@pytest.mark.parametrize("content", [b"", b"not a workbook", b"PK\x03\x04broken zip"])
def test_a_file_that_is_not_a_workbook_is_a_read_error(tmp_path: Path, content: bytes) -> None:
    from irp.configuration import WorkbookReadError

    path = tmp_path / "fake.xlsx"
    path.write_bytes(content)

    with pytest.raises(WorkbookReadError, match="Failed to read Excel file") as raised:
        validate_workbook(path)
    assert raised.value.rule is Rule.UNREADABLE_WORKBOOK


def test_a_missing_file_is_a_read_error(tmp_path: Path) -> None:
    from irp.configuration import WorkbookReadError

    with pytest.raises(WorkbookReadError, match="Configuration file not found") as raised:
        validate_workbook(tmp_path / "absent.xlsx")
    assert raised.value.rule is Rule.FILE_NOT_FOUND


def test_shared_formula_cells_without_values_are_each_reported(tmp_path: Path, sample_path: Path) -> None:
    """Excel writes a formula filled down as one master cell and ``<f t="shared" si=".."/>``
    children; neither has a value when the file was produced without calculating it."""
    import zipfile

    source = zipfile.ZipFile(sample_path)
    target_path = tmp_path / "shared.xlsx"
    with zipfile.ZipFile(target_path, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet3.xml":  # Databases
                data = data.replace(
                    b'<c r="B3" t="inlineStr"><is><t>Y</t></is></c>',
                    b'<c r="B3" t="str"><f t="shared" ref="B3:B4" si="0">IF(A3&lt;&gt;"","Y","N")</f></c>',
                ).replace(b'<c r="B4" t="inlineStr"><is><t>N</t></is></c>', b'<c r="B4"><f t="shared" si="0"/></c>')
            target.writestr(info, data)

    report = validate_workbook(target_path)

    assert findings(report.errors) == [(DB, "B3", Rule.UNCACHED_FORMULA), (DB, "B4", Rule.UNCACHED_FORMULA)]
    assert report.errors[0].value == '=IF(A3<>"","Y","N")'
    assert report.errors[1].value == "(part of a shared formula)"


def test_blank_row_message_names_the_whole_run(mutate: Callable[[Mutation], Path]) -> None:
    report = validate_workbook(
        mutate(put(PF, A14="MWST_Extra", B14="RM_EDM_202606_Quarterly_MWST", C14="MWST", D14="N"))
    )

    (issue,) = report.errors
    assert str(issue) == (
        "Portfolios!A11: rows 11-13 are empty inside the table; delete them (the rows below are still read as data)"
    )


def test_parse_workbook_returns_the_document_or_raises_with_every_error(
    sample_path: Path, mutate: Callable[[Mutation], Path]
) -> None:
    from irp.configuration import InvalidConfigurationError, parse_workbook

    assert parse_workbook(sample_path)["Metadata"]["Cycle Type"] == "Quarterly"
    with pytest.raises(InvalidConfigurationError) as raised:
        parse_workbook(mutate(put(DB, B3="n", B4="x")))
    assert findings(raised.value.errors) == [(DB, "B3", Rule.PATTERN), (DB, "B4", Rule.PATTERN)]
    assert str(raised.value).splitlines()[1:] == [str(issue) for issue in raised.value.errors]


def test_unknown_names_only_silence_references_that_could_be_right(mutate: Callable[[Mutation], Path]) -> None:
    """An analysis name held by a formula without value may be any name: a Products and Perils
    row naming an unknown analysis cannot be judged, but a forward group reference still can."""
    path = mutate(
        both(
            put(AT, C10='=CONCAT("MWST_","Low_Frq")'),
            put(GR, C2="202606_NT_All_Group"),
            put(PP, A3="GCHU_Coastal_NT_v2"),
        )
    )

    report = validate_workbook(path)

    assert findings(report.errors) == [(AT, "C10", Rule.UNCACHED_FORMULA), (GR, "C2", Rule.UNDEFINED_GROUP_ITEM)]


def test_a_zip_that_is_not_a_workbook_is_a_read_error(tmp_path: Path) -> None:
    import zipfile

    from irp.configuration import WorkbookReadError

    path = tmp_path / "document.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")

    with pytest.raises(WorkbookReadError, match=r"not an \.xlsx workbook"):
        validate_workbook(path)


@pytest.mark.parametrize(
    ("address", "skipped"),
    [("B2", "EDM DB Upgrade"), ("B3", "GeoHaz"), ("B11", "Export to RDM")],
    ids=["edm-data-version", "geocode-version", "export-rdm-name"],
)
def test_a_blank_optional_metadata_value_skips_its_batch_type(
    mutate: Callable[[Mutation], Path], address: str, skipped: str
) -> None:
    """The orchestrator rules (§4.3) give these three blanks a meaning: skip that batch type."""
    from irp.configuration import generate_job_configurations, job_counts, required_batch_types
    from irp.constants import BatchType
    from irp.exceptions import ConfigurationError

    report = validate_workbook(mutate(put(MD, **{address: None})))

    assert report.valid, report.errors
    assert report.document is not None
    assert required_batch_types(report.document) == [t for t in BatchType if t != skipped]
    assert skipped not in job_counts(report.document)
    with pytest.raises(ConfigurationError, match="leaves blank"):
        generate_job_configurations(report.document, skipped)
