"""Generate the project's sample master configuration workbook (include/workbooks/sample_cycle.xlsx).

The data is invented: three EDMs (Gulf Coast hurricane, California earthquake, Midwest severe
convective storm), four base portfolios and their sub-portfolios, three treaties, nine analyses,
four groups and two rollups. It follows the format of the workbooks analysts already keep
(specs/configuration.md §1) and deliberately includes valid edge cases: an output profile with a
trailing space, an event rate scheme with three inner spaces, an HD (wildfire) analysis with a
blank event rate, an analysis named like its portfolio, a gap between group items, a portfolio
as a group item, a fractional percentage, a producer name, analyses of sub-portfolios, and an
ignored extra sheet. Model profile names carry the peril (HU, EQ, USST, USWF) the Moody's
simulator infers from them.

The file is written byte-for-byte reproducibly (fixed timestamps), so regenerating it without
changing the data keeps its SHA-256, and with it the loader's "unchanged workbook" answer.

    python tools/make_sample_workbook.py [OUTPUT] [--analyses N] [--minimal] [--scale N]

``--analyses N`` repeats the analysis rows up to N rows (benchmarks of large workbooks).
``--minimal`` keeps one of each thing the twelve batch types need (the Gulf Coast EDM, one base
portfolio and its condo sub-portfolio, two analyses, a group and a rollup): the smallest valid
cycle, for tests that run whole cycles many times on a real deployment.
``--scale N`` writes N copies of every sheet's rows (EDMs, portfolios, treaties, GeoHaz
thresholds, analyses, groups, rollups, products, exposure groups): a valid cycle of N times the
sample's jobs (61 each). Copy 1 keeps the sample's names, copy k appends ``_s000k`` to every name
(EDM, portfolio, treaty name and number, analysis, group, product group, exposure group), which
keeps base portfolios within Moody's 20 characters and sub-portfolios within 40. The Import File
is shared by the copies, so the demo source warehouse (include/demo/source_dataset.sql) and the
mapping SQL (include/sql/portfolio_mapping/quarterly/<Import File>.sql, which names each
sub-portfolio after the base portfolio's suffix) serve every copy: a scaled cycle runs end to end
on the simulator like the sample (``IRP_DEMO_SCALE=10 bash scripts/demo.sh``). Metadata and
Moody's reference data are not copied; combine with ``--minimal`` for N minimal cycles.
"""

from __future__ import annotations

import argparse
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "include" / "workbooks" / "sample_cycle.xlsx"
#: Timestamp written into the file's properties and zip entries (reproducible bytes).
FIXED_TIMESTAMP = datetime(2026, 6, 1, 9, 0, 0)
CORE_PROPERTIES = "docProps/core.xml"
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")

DATE_VALUE = "202606"
CYCLE_TYPE = "Quarterly"
EDM_GCHU = f"RM_EDM_{DATE_VALUE}_{CYCLE_TYPE}_GCHU"
EDM_CAEQ = f"RM_EDM_{DATE_VALUE}_{CYCLE_TYPE}_CAEQ"
EDM_MWST = f"RM_EDM_{DATE_VALUE}_{CYCLE_TYPE}_MWST"

METADATA: list[tuple[str, Any]] = [
    ("Current Date Value", DATE_VALUE),
    ("EDM Data Version", "23.0.0"),
    ("Geocode Version", "23.0.0"),
    ("Hazard Version", "23.0.0"),
    ("DLM Model Version", 23),
    ("Validate DLM Model Versions?", "Y"),
    ("Wildfire HD Model Version", 2),
    ("SCS HD Model Version", 1),
    ("Inland Flood HD Model Version", 1.2),
    ("Validate HD Model Versions?", "Y"),
    ("Export RDM Name", f"RM_RDM_{DATE_VALUE}_QEM_DEMO"),
    ("Cycle Type", CYCLE_TYPE),
]

VALIDATIONS: list[list[Any]] = [
    ["Case", "Count of Failures"],
    ["If Analysis Profile contains 'HU' and Event Rate contains 'Historical' -> Analysis Name must end with 'LT'", 0],
    ["If Analysis Profile contains 'HU' and Event Rate contains 'Stochastic' -> Analysis Name must end with 'NT'", 0],
    ["If Group Name contains '_LT_' -> Group Members cannot contain 'NT'", 0],
]

DATABASES: list[list[Any]] = [
    ["Database", "Store in Data Bridge?"],
    [EDM_GCHU, "Y"],
    [EDM_CAEQ, "Y"],
    [EDM_MWST, "N"],
]

PORTFOLIOS: list[list[Any]] = [
    ["Portfolio", "Database", "Import File", "Base Portfolio?"],
    ["GCHU_Coastal", EDM_GCHU, "GCHU_Coastal", "Y"],
    ["GCHU_Coastal_Condo", EDM_GCHU, "GCHU_Coastal", "N"],
    ["GCHU_Coastal_Renters", EDM_GCHU, "GCHU_Coastal", "N"],
    ["GCHU_Inland", EDM_GCHU, "GCHU_Inland", "Y"],
    ["CAEQ", EDM_CAEQ, "CAEQ", "Y"],
    ["CAEQ_Wood_Frame", EDM_CAEQ, "CAEQ", "N"],
    ["CAEQ_Masonry", EDM_CAEQ, "CAEQ", "N"],
    ["MWST", EDM_MWST, "MWST", "Y"],
    ["MWST_Farm", EDM_MWST, "MWST", "N"],
]

TREATY_HEADER = [
    "Treaty Name", "Treaty Number", "Type", "Per-Risk Limit", "Occurrence Limit", "Attachment Point",
    "Inception Date", "Expiration Date", "Currency", "Attachment Basis", "Exposure Level", "% Covered",
    "% Place", "% Share", "% Retention", "Premium", "Reinstatements", "% Reinstatement Charge",
    "Aggregate Limit", "Aggregate Deductible Amount", "Inuring Priority", "Producer", "Tags",
]  # fmt: skip
_INCEPTION = datetime(2026, 1, 1)
_EXPIRATION = datetime(2026, 12, 31)
TREATIES: list[list[Any]] = [
    TREATY_HEADER,
    ["CAT_XL_2026_L1", "TR-2026-001", "Working Excess", 25_000_000, 50_000_000, 10_000_000, _INCEPTION,
     _EXPIRATION, "US Dollar", "Losses Occurring", "Location", 100, 95, 100, 100, 1_250_000, 1, 100, 0, 0, 1,
     None, None],
    ["CAT_XL_2026_L2", "TR-2026-002", "Working Excess", 50_000_000, 100_000_000, 35_000_000, _INCEPTION,
     _EXPIRATION, "US Dollar", "Losses Occurring", "Location", 100, 37.5, 100, 100, 900_000, 1, 100, 0, 0, 2,
     "Demo Re Brokers", None],
    ["QS_Homeowners_25", "TR-2026-003", "Quota Share", 5_000_000, 150_000_000, 0, _INCEPTION, _EXPIRATION,
     "US Dollar", "Risks Attaching", "Location", 100, 25, 100, 100, 0, 0, 0, 0, 0, 1, None, None],
]  # fmt: skip

GEOCODE_LEVELS: list[tuple[str, float, float]] = [
    ("Coordinate", 55.0, 40.0),
    ("Street address", 30.0, 25.0),
    ("Postcode", 12.5, 10.0),
    ("City/Town", 2.5, 5.0),
]
BASE_IMPORT_FILES = ["GCHU_Coastal", "GCHU_Inland", "CAEQ", "MWST"]

OUTPUT_PROFILE = "Modeling_Output_Profile"
HAZARD_OUTPUT_PROFILE = "HAZARD_Analysis "  # the trailing space is part of the name
HISTORICAL = "RMS 2023 Historical Event Rates"
STOCHASTIC = "RMS 2023 Stochastic Event Rates"
NA_STOCHASTIC = "RMS 17.0 NA   Stochastic Event Rates"  # three spaces, as Moody's spells it
ANALYSIS_HEADER = [
    "Database", "Portfolio", "Analysis Name", "Analysis Profile", "Output Profile", "Event Rate",
    "Reinsurance Treaty 1", "Reinsurance Treaty 2", "Reinsurance Treaty 3", "Reinsurance Treaty 4",
    "Reinsurance Treaty 5", "Tag 1", "Tag 2", "Tag 3", "Tag 4", "Tag 5",
]  # fmt: skip


def _analysis(
    database: str, portfolio: str, name: str, profile: str, output: str, rate: str | None,
    treaties: list[str], tags: list[str],
) -> list[Any]:  # fmt: skip
    return [database, portfolio, name, profile, output, rate, *treaties, *[None] * (5 - len(treaties)),
            *tags, *[None] * (5 - len(tags))]  # fmt: skip


ANALYSES: list[list[Any]] = [
    _analysis(EDM_GCHU, "GCHU_Coastal", "GCHU_Coastal_LT", "DLM NA HU Coastal (85% SS) v23", OUTPUT_PROFILE,
              HISTORICAL, ["CAT_XL_2026_L1", "CAT_XL_2026_L2"], [f"{DATE_VALUE}_{CYCLE_TYPE}_GCHU_LT"]),
    _analysis(EDM_GCHU, "GCHU_Coastal", "GCHU_Coastal_NT", "DLM NA HU Coastal (85% SS) v23", OUTPUT_PROFILE,
              STOCHASTIC, ["CAT_XL_2026_L1", "CAT_XL_2026_L2"], [f"{DATE_VALUE}_{CYCLE_TYPE}_GCHU_NT"]),
    _analysis(EDM_GCHU, "GCHU_Inland", "GCHU_Inland_LT", "DLM NA HU Inland (9% SS) v23", OUTPUT_PROFILE,
              HISTORICAL, ["CAT_XL_2026_L1", "QS_Homeowners_25"], [f"{DATE_VALUE}_{CYCLE_TYPE}_GCHU_LT"]),
    _analysis(EDM_GCHU, "GCHU_Inland", "GCHU_Inland_NT", "DLM NA HU Inland (9% SS) v23", OUTPUT_PROFILE,
              STOCHASTIC, ["CAT_XL_2026_L1", "QS_Homeowners_25"], [f"{DATE_VALUE}_{CYCLE_TYPE}_GCHU_NT"]),
    _analysis(EDM_GCHU, "GCHU_Coastal_Condo", "GCHU_Coastal_Condo_LT", "DLM NA HU Coastal (85% SS) v23",
              HAZARD_OUTPUT_PROFILE, HISTORICAL, [], [f"{DATE_VALUE}_{CYCLE_TYPE}_GCHU_LT", "Condo"]),
    _analysis(EDM_CAEQ, "CAEQ", "CAEQ", "DLM CA EQ v23", OUTPUT_PROFILE, NA_STOCHASTIC, ["CAT_XL_2026_L1"],
              [f"{DATE_VALUE}_{CYCLE_TYPE}_CAEQ"]),
    _analysis(EDM_MWST, "MWST_Farm", "MWST_Farm_WF", "HD USWF v2", "RMS Admin1", None, [],
              [f"{DATE_VALUE}_{CYCLE_TYPE}_MWST", "Wildfire"]),
    _analysis(EDM_MWST, "MWST", "MWST_High_Frq", "DLM USST High Frq v23", OUTPUT_PROFILE, STOCHASTIC,
              ["QS_Homeowners_25"], [f"{DATE_VALUE}_{CYCLE_TYPE}_MWST"]),
    _analysis(EDM_MWST, "MWST", "MWST_Low_Frq", "DLM USST Low Frq v23", OUTPUT_PROFILE, STOCHASTIC,
              ["QS_Homeowners_25"], [f"{DATE_VALUE}_{CYCLE_TYPE}_MWST"]),
]  # fmt: skip

GROUP_LT = f"{DATE_VALUE}_GCHU_LT_Group"
GROUP_NT = f"{DATE_VALUE}_GCHU_NT_Group"
GROUP_CAEQ = f"{DATE_VALUE}_CAEQ_Group"
GROUP_MWST = f"{DATE_VALUE}_MWST_Group"
ROLLUP_LT = f"{DATE_VALUE}_LT_All_Group"
ROLLUP_NT = f"{DATE_VALUE}_NT_All_Group"
#: Group name and items by item column (None = a gap, which is allowed).
GROUPINGS: list[tuple[str, list[str | None]]] = [
    (GROUP_LT, ["GCHU_Coastal_LT", None, "GCHU_Inland_LT", "GCHU_Coastal_Condo_LT"]),
    (GROUP_NT, ["GCHU_Coastal_NT", "GCHU_Inland_NT"]),
    (GROUP_CAEQ, ["CAEQ", "CAEQ_Masonry"]),
    (GROUP_MWST, ["MWST_High_Frq", "MWST_Low_Frq", "MWST_Farm_WF"]),
    (ROLLUP_LT, [GROUP_LT, GROUP_CAEQ, GROUP_MWST]),
    (ROLLUP_NT, [GROUP_NT, GROUP_CAEQ, GROUP_MWST]),
]
GROUP_ITEM_COLUMNS = 50

PRODUCTS: list[list[Any]] = [
    ["Analysis Name", "Peril", "Product Group"],
    ["GCHU_Coastal_LT", "Standard GCHU", "Coastal Homeowners"],
    ["GCHU_Coastal_NT", "WSST GCHU", "Coastal Homeowners"],
    ["GCHU_Coastal_Condo_LT", None, None],
    ["CAEQ", "Standard CAEQ", "Earthquake"],
    ["MWST_High_Frq", None, None],
    [GROUP_LT, "Standard GCHU", "All Gulf Coast"],
    [GROUP_NT, "WSST GCHU", "All Gulf Coast"],
    [ROLLUP_LT, "Standard All", "All Lines"],
    [ROLLUP_NT, "WSST All", "All Lines"],
]

REFERENCE_DATA: dict[str, list[str]] = {
    "Model Profiles": [
        "DLM CA EQ v23",
        "DLM NA HU Coastal (85% SS) v23",
        "DLM NA HU Inland (9% SS) v23",
        "DLM USST High Frq v23",
        "DLM USST Low Frq v23",
        "HD USWF v2",
    ],
    "Output Profiles": [HAZARD_OUTPUT_PROFILE, OUTPUT_PROFILE, "RMS Admin1"],
    "Event Rate Schemes": [
        NA_STOCHASTIC,
        HISTORICAL,
        STOCHASTIC,
        "RMS 2025 Historical Event Rates",
        "RMS 2025 Stochastic Event Rates",
    ],
}

EXPOSURE_GROUPS: list[list[Any]] = [
    ["ExposureGroup", "Portname"],
    ["GCHU_Hurricane_Coastal", "GCHU_Coastal"],
    ["GCHU_Hurricane_Inland", "GCHU_Inland"],
    ["CAEQ_Quake", "CAEQ"],
    ["MWST_Convective_Storm", "MWST"],
]


@dataclass(frozen=True)
class Tables:
    """The rows of the sheets that differ between the full sample and the minimal one."""

    databases: list[list[Any]]
    portfolios: list[list[Any]]
    treaties: list[list[Any]]
    analyses: list[list[Any]]
    groupings: list[tuple[str, list[str | None]]]
    products: list[list[Any]]
    import_files: list[str]
    exposure_groups: list[list[Any]]


FULL = Tables(DATABASES, PORTFOLIOS, TREATIES, ANALYSES, GROUPINGS, PRODUCTS, BASE_IMPORT_FILES, EXPOSURE_GROUPS)


def minimal_tables() -> Tables:
    """One EDM, one base portfolio and a sub-portfolio, the treaties and two analyses on them, one
    group and one rollup: every batch type runs, with as few jobs as possible."""
    analyses = {"GCHU_Coastal_LT", "GCHU_Coastal_Condo_LT"}
    name_column = ANALYSIS_HEADER.index("Analysis Name")
    kept = [row for row in ANALYSES if row[name_column] in analyses]
    treaties = {name for row in kept for name in row[6:11] if name}
    groupings: list[tuple[str, list[str | None]]] = [(GROUP_LT, sorted(analyses)), (ROLLUP_LT, [GROUP_LT])]
    names = analyses | {name for name, _ in groupings}
    return Tables(
        databases=[DATABASES[0], [EDM_GCHU, "Y"]],
        portfolios=[row for row in PORTFOLIOS if row[0] in ("Portfolio", "GCHU_Coastal", "GCHU_Coastal_Condo")],
        treaties=[TREATY_HEADER, *[row for row in TREATIES[1:] if row[0] in treaties]],
        analyses=kept,
        groupings=groupings,
        products=[PRODUCTS[0], *[row for row in PRODUCTS[1:] if row[0] in names]],
        import_files=["GCHU_Coastal"],
        exposure_groups=[row for row in EXPOSURE_GROUPS if row[1] in ("Portname", "GCHU_Coastal")],
    )


def _scaled_analyses(count: int | None) -> list[list[Any]]:
    """The analysis rows, repeated with numbered names up to ``count`` rows."""
    if count is None or count <= len(ANALYSES):
        return ANALYSES if count is None else ANALYSES[:count]
    name_column = ANALYSIS_HEADER.index("Analysis Name")
    rows = list(ANALYSES)
    index = 0
    while len(rows) < count:
        row = list(ANALYSES[index % len(ANALYSES)])
        row[name_column] = f"{row[name_column]}_{index // len(ANALYSES) + 1:05d}"
        rows.append(row)
        index += 1
    return rows


#: Largest ``--scale``: copy numbers keep four digits, so every copy's names have one length.
MAX_SCALE = 9999
#: Appended to every name of copy ``copy`` > 1 (copy 1 keeps the sample's names).
SCALE_SUFFIX = "_s{copy:04d}"
#: The columns holding names, renamed in each copy; other cells (flags, profiles, amounts,
#: tags, import files) are copied as they are.
_SCALED_COLUMNS: dict[str, tuple[str, ...]] = {
    "Databases": ("Database",),
    "Portfolios": ("Portfolio", "Database"),
    "Reinsurance Treaties": ("Treaty Name", "Treaty Number"),
    "Analysis Table": (
        "Database", "Portfolio", "Analysis Name", *(f"Reinsurance Treaty {n}" for n in range(1, 6)),
    ),
    "Products and Perils": ("Analysis Name", "Product Group"),
    "ExposureGroup <-> Portname": ("ExposureGroup", "Portname"),
}  # fmt: skip


def scale_suffix(copy: int) -> str:
    """What copy ``copy`` (1-based) of a scaled workbook appends to its names."""
    return "" if copy == 1 else SCALE_SUFFIX.format(copy=copy)


def _copies(sheet: str, header: list[Any], rows: list[list[Any]], scale: int) -> list[list[Any]]:
    """``scale`` copies of ``rows`` (no header), names suffixed per copy."""
    renamed = {header.index(name) for name in _SCALED_COLUMNS[sheet]}
    return [
        [f"{value}{suffix}" if index in renamed and value is not None else value for index, value in enumerate(row)]
        for suffix in map(scale_suffix, range(1, scale + 1))
        for row in rows
    ]


def scaled_tables(data: Tables, scale: int) -> Tables:
    """``scale`` copies of every table of ``data`` with unique names (see the module docstring)."""
    if scale == 1:
        return data

    def table(sheet: str, rows: list[list[Any]]) -> list[list[Any]]:
        return [rows[0], *_copies(sheet, rows[0], rows[1:], scale)]

    return Tables(
        databases=table("Databases", data.databases),
        portfolios=table("Portfolios", data.portfolios),
        treaties=table("Reinsurance Treaties", data.treaties),
        analyses=_copies("Analysis Table", ANALYSIS_HEADER, data.analyses, scale),
        groupings=[
            (f"{name}{suffix}", [None if item is None else f"{item}{suffix}" for item in items])
            for suffix in map(scale_suffix, range(1, scale + 1))
            for name, items in data.groupings
        ],
        products=table("Products and Perils", data.products),
        import_files=data.import_files * scale,
        exposure_groups=table("ExposureGroup <-> Portname", data.exposure_groups),
    )


def build_workbook(analyses: int | None = None, minimal: bool = False, scale: int = 1) -> Workbook:
    """The sample workbook; ``analyses`` resizes the Analysis Table (benchmarks), ``minimal``
    keeps one of everything (:func:`minimal_tables`), ``scale`` copies every table
    (:func:`scaled_tables`)."""
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be between 1 and {MAX_SCALE}, not {scale}")
    if scale > 1 and analyses is not None:
        raise ValueError("--analyses and --scale cannot be combined: --scale copies the Analysis Table too")
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    bold = Font(bold=True)
    metadata = workbook.active
    metadata.title = "Metadata"
    for key, value in METADATA:
        metadata.append([key, value])
    metadata.column_dimensions["A"].width = 32
    metadata.column_dimensions["B"].width = 28

    def table(title: str, rows: list[list[Any]]) -> None:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"

    data = scaled_tables(minimal_tables() if minimal else FULL, scale)
    table("Validations", VALIDATIONS)
    table("Databases", data.databases)
    table("Portfolios", data.portfolios)
    table("Reinsurance Treaties", data.treaties)
    treaties = workbook["Reinsurance Treaties"]
    for row in treaties.iter_rows(min_row=2, min_col=7, max_col=8):
        for cell in row:
            cell.number_format = "yyyy-mm-dd"
    geohaz = [["Geocode Level", "Import File", "% of Grand Total", "Threshold %"]]
    geohaz += [[level, import_file, share, threshold] for import_file in data.import_files
               for level, share, threshold in GEOCODE_LEVELS]  # fmt: skip
    table("GeoHaz Thresholds", geohaz)
    rows = data.analyses if minimal or scale > 1 else _scaled_analyses(analyses)
    table("Analysis Table", [ANALYSIS_HEADER, *rows])
    groupings: list[list[Any]] = [["Group_Name", *(f"Item{n}" for n in range(1, GROUP_ITEM_COLUMNS + 1))]]
    groupings += [[name, *items] for name, items in data.groupings]
    table("Groupings", groupings)
    table("Products and Perils", data.products)
    longest = max(len(values) for values in REFERENCE_DATA.values())
    reference: list[list[Any]] = [list(REFERENCE_DATA)]
    reference += [
        [values[index] if index < len(values) else None for values in REFERENCE_DATA.values()]
        for index in range(longest)
    ]
    table("Moody's Reference Data", reference)
    table("ExposureGroup <-> Portname", data.exposure_groups)
    workbook.properties.creator = "irp-airflow tools/make_sample_workbook.py"
    workbook.properties.created = FIXED_TIMESTAMP
    workbook.properties.modified = FIXED_TIMESTAMP
    return workbook


def workbook_bytes(workbook: Workbook) -> bytes:
    """The .xlsx bytes with fixed zip timestamps, so equal content gives equal bytes."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    fixed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(fixed, "w") as target:
        for info in source.infolist():
            stable = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP.timetuple()[:6])
            stable.compress_type = zipfile.ZIP_DEFLATED
            stable.external_attr = info.external_attr
            data = source.read(info.filename)
            if info.filename == CORE_PROPERTIES:  # openpyxl stamps the save time as "modified"
                data = _MODIFIED.sub(
                    rb"\g<1>" + FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", data
                )
            target.writestr(stable, data)
    return fixed.getvalue()


def write_sample(
    output: Path = DEFAULT_OUTPUT, analyses: int | None = None, minimal: bool = False, scale: int = 1
) -> Path:
    workbook = build_workbook(analyses, minimal, scale)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(workbook_bytes(workbook))
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", nargs="?", type=Path, help=f"default: {DEFAULT_OUTPUT.relative_to(ROOT)}")
    parser.add_argument("--analyses", type=int, default=None, help="number of Analysis Table rows")
    parser.add_argument("--minimal", action="store_true", help="one of everything: the smallest valid cycle")
    parser.add_argument(
        "--scale", type=int, default=1, help=f"N copies of every sheet's rows, unique names (1-{MAX_SCALE})"
    )
    args = parser.parse_args()
    variant = args.analyses is not None or args.minimal or args.scale != 1
    if args.output is None and variant:
        parser.error("give an OUTPUT path for a variant: the default path is the committed sample")
    try:
        print(write_sample(args.output or DEFAULT_OUTPUT, args.analyses, args.minimal, args.scale))
    except ValueError as exc:
        parser.error(str(exc))


if __name__ == "__main__":
    main()
