"""The vocabulary of the master configuration workbook: sheets, columns, keys and their rules.

Everything the reader, the validator and the job generator need to know about the format lives
here, as data, so that a rule is declared once and the three consumers cannot drift apart
(specs/configuration.md §1). Names are exact: case- and whitespace-sensitive, never trimmed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property


class SheetName(StrEnum):
    """The ten required sheets, in the order the reference validates them (§1.2)."""

    METADATA = "Metadata"
    DATABASES = "Databases"
    PORTFOLIOS = "Portfolios"
    REINSURANCE_TREATIES = "Reinsurance Treaties"
    GEOHAZ_THRESHOLDS = "GeoHaz Thresholds"
    ANALYSIS_TABLE = "Analysis Table"
    GROUPINGS = "Groupings"
    PRODUCTS_AND_PERILS = "Products and Perils"
    MOODYS_REFERENCE_DATA = "Moody's Reference Data"
    EXPOSURE_GROUP_PORTNAME = "ExposureGroup <-> Portname"


class MetadataKey(StrEnum):
    """The twelve required keys of the ``Metadata`` sheet (§1.3)."""

    CURRENT_DATE_VALUE = "Current Date Value"
    EDM_DATA_VERSION = "EDM Data Version"
    GEOCODE_VERSION = "Geocode Version"
    HAZARD_VERSION = "Hazard Version"
    DLM_MODEL_VERSION = "DLM Model Version"
    VALIDATE_DLM_MODEL_VERSIONS = "Validate DLM Model Versions?"
    WILDFIRE_HD_MODEL_VERSION = "Wildfire HD Model Version"
    SCS_HD_MODEL_VERSION = "SCS HD Model Version"
    INLAND_FLOOD_HD_MODEL_VERSION = "Inland Flood HD Model Version"
    VALIDATE_HD_MODEL_VERSIONS = "Validate HD Model Versions?"
    EXPORT_RDM_NAME = "Export RDM Name"
    CYCLE_TYPE = "Cycle Type"


class DatabasesColumn(StrEnum):
    DATABASE = "Database"
    STORE_IN_DATA_BRIDGE = "Store in Data Bridge?"


class PortfoliosColumn(StrEnum):
    PORTFOLIO = "Portfolio"
    DATABASE = "Database"
    IMPORT_FILE = "Import File"
    BASE_PORTFOLIO = "Base Portfolio?"


class TreatyColumn(StrEnum):
    TREATY_NAME = "Treaty Name"
    TREATY_NUMBER = "Treaty Number"
    TYPE = "Type"
    PER_RISK_LIMIT = "Per-Risk Limit"
    OCCURRENCE_LIMIT = "Occurrence Limit"
    ATTACHMENT_POINT = "Attachment Point"
    INCEPTION_DATE = "Inception Date"
    EXPIRATION_DATE = "Expiration Date"
    CURRENCY = "Currency"
    ATTACHMENT_BASIS = "Attachment Basis"
    EXPOSURE_LEVEL = "Exposure Level"
    PCT_COVERED = "% Covered"
    PCT_PLACE = "% Place"
    PCT_SHARE = "% Share"
    PCT_RETENTION = "% Retention"
    PREMIUM = "Premium"
    REINSTATEMENTS = "Reinstatements"
    PCT_REINSTATEMENT_CHARGE = "% Reinstatement Charge"
    AGGREGATE_LIMIT = "Aggregate Limit"
    AGGREGATE_DEDUCTIBLE_AMOUNT = "Aggregate Deductible Amount"
    INURING_PRIORITY = "Inuring Priority"
    PRODUCER = "Producer"
    TAGS = "Tags"


class GeoHazColumn(StrEnum):
    GEOCODE_LEVEL = "Geocode Level"
    IMPORT_FILE = "Import File"
    PCT_OF_GRAND_TOTAL = "% of Grand Total"
    THRESHOLD_PCT = "Threshold %"


class AnalysisColumn(StrEnum):
    DATABASE = "Database"
    PORTFOLIO = "Portfolio"
    ANALYSIS_NAME = "Analysis Name"
    ANALYSIS_PROFILE = "Analysis Profile"
    OUTPUT_PROFILE = "Output Profile"
    EVENT_RATE = "Event Rate"
    REINSURANCE_TREATY_1 = "Reinsurance Treaty 1"
    REINSURANCE_TREATY_2 = "Reinsurance Treaty 2"
    REINSURANCE_TREATY_3 = "Reinsurance Treaty 3"
    REINSURANCE_TREATY_4 = "Reinsurance Treaty 4"
    REINSURANCE_TREATY_5 = "Reinsurance Treaty 5"
    TAG_1 = "Tag 1"
    TAG_2 = "Tag 2"
    TAG_3 = "Tag 3"
    TAG_4 = "Tag 4"
    TAG_5 = "Tag 5"


#: The five treaty columns of the Analysis Table, in order (V-23, Create Reinsurance Treaties).
ANALYSIS_TREATY_COLUMNS: tuple[AnalysisColumn, ...] = (
    AnalysisColumn.REINSURANCE_TREATY_1,
    AnalysisColumn.REINSURANCE_TREATY_2,
    AnalysisColumn.REINSURANCE_TREATY_3,
    AnalysisColumn.REINSURANCE_TREATY_4,
    AnalysisColumn.REINSURANCE_TREATY_5,
)


class GroupingsColumn(StrEnum):
    GROUP_NAME = "Group_Name"


#: ``Item1`` ... ``Item50``: the only Groupings columns items are read from (§1.9).
GROUP_ITEM_PREFIX = "Item"
GROUP_ITEM_COUNT = 50
GROUP_ITEM_COLUMNS: tuple[str, ...] = tuple(f"{GROUP_ITEM_PREFIX}{n}" for n in range(1, GROUP_ITEM_COUNT + 1))
#: Key of a group's item list in the parsed document.
GROUP_ITEMS_KEY = "items"


class ProductsColumn(StrEnum):
    ANALYSIS_NAME = "Analysis Name"
    PERIL = "Peril"
    PRODUCT_GROUP = "Product Group"


class ReferenceDataColumn(StrEnum):
    MODEL_PROFILES = "Model Profiles"
    OUTPUT_PROFILES = "Output Profiles"
    EVENT_RATE_SCHEMES = "Event Rate Schemes"


class ExposureColumn(StrEnum):
    EXPOSURE_GROUP = "ExposureGroup"
    PORTNAME = "Portname"


#: The only value of a Y/N flag meaning "yes".
YES = "Y"
#: Key of the validation summary in the parsed document (§3).
VALIDATION_KEY = "_validation"


class CellKind(StrEnum):
    """What a cell must hold. The reference declared these types but did not enforce them for
    tables (§6.4); we do, because a wrong type otherwise surfaces only at Moody's, hours later."""

    TEXT = "text"
    NUMBER = "number"
    WHOLE_NUMBER = "whole number"
    DATE = "date"
    ANY = "any value"

    @property
    def phrase(self) -> str:
        """The kind as said in a message: "must be text", "must be a date"."""
        return self.value if self in (CellKind.TEXT, CellKind.ANY) else f"a {self.value}"


@dataclass(frozen=True)
class Pattern:
    """A regular expression the *whole* value must match (the reference matched prefixes, §6.3)."""

    regex: str
    example: str

    @cached_property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.regex)


VERSION_PATTERN = Pattern(r"\d+(\.\d+)?(\.\d+)?", "23.0.0")
YES_NO_PATTERN = Pattern(r"[YN]", "Y or N")
DATABASE_PATTERN = Pattern(r"(RM_|RMS_|TEST_)EDM_\d{6}_.*", "RM_EDM_202503_Quarterly_USHU")
TREATY_TYPE_PATTERN = Pattern(r"Working Excess|Quota Share", "Working Excess or Quota Share")

#: Percentages are numbers from 0 to 100 inclusive (V-11).
PERCENTAGE_MIN = 0
PERCENTAGE_MAX = 100


@dataclass(frozen=True)
class ColumnSpec:
    """One required column of a table sheet."""

    name: str
    kind: CellKind = CellKind.TEXT
    #: The cell may not be blank (V-08).
    required_value: bool = True
    #: No value may repeat within the column (V-09).
    unique: bool = False
    pattern: Pattern | None = None
    #: Numeric value limited to 0..100 (V-11).
    percentage: bool = False
    #: Numbers are stored as JSON floats (``0.0``), as the reference stores this column.
    as_float: bool = False


@dataclass(frozen=True)
class TableSpec:
    sheet: SheetName
    columns: tuple[ColumnSpec, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


class MetadataType(StrEnum):
    """Declared (and enforced, as in the reference) type of a Metadata value (§1.3)."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"


@dataclass(frozen=True)
class MetadataKeySpec:
    key: MetadataKey
    type: MetadataType
    pattern: Pattern | None = None
    #: A blank value is allowed and means "skip": the batch type that needs this value is not
    #: created (§4.3). Any other required key must have a value (the reference accepted blanks,
    #: producing file names such as ``Modeling_None_Moodys_...``, §6.2).
    blank_skips: bool = False


METADATA_KEYS: tuple[MetadataKeySpec, ...] = (
    MetadataKeySpec(MetadataKey.CURRENT_DATE_VALUE, MetadataType.STRING),
    MetadataKeySpec(MetadataKey.EDM_DATA_VERSION, MetadataType.STRING, VERSION_PATTERN, blank_skips=True),
    MetadataKeySpec(MetadataKey.GEOCODE_VERSION, MetadataType.STRING, VERSION_PATTERN, blank_skips=True),
    MetadataKeySpec(MetadataKey.HAZARD_VERSION, MetadataType.STRING, VERSION_PATTERN),
    MetadataKeySpec(MetadataKey.DLM_MODEL_VERSION, MetadataType.INTEGER),
    MetadataKeySpec(MetadataKey.VALIDATE_DLM_MODEL_VERSIONS, MetadataType.STRING, YES_NO_PATTERN),
    MetadataKeySpec(MetadataKey.WILDFIRE_HD_MODEL_VERSION, MetadataType.INTEGER),
    MetadataKeySpec(MetadataKey.SCS_HD_MODEL_VERSION, MetadataType.INTEGER),
    MetadataKeySpec(MetadataKey.INLAND_FLOOD_HD_MODEL_VERSION, MetadataType.FLOAT),
    MetadataKeySpec(MetadataKey.VALIDATE_HD_MODEL_VERSIONS, MetadataType.STRING, YES_NO_PATTERN),
    MetadataKeySpec(MetadataKey.EXPORT_RDM_NAME, MetadataType.STRING, blank_skips=True),
    MetadataKeySpec(MetadataKey.CYCLE_TYPE, MetadataType.STRING),
)


def _text(name: str, *, required: bool = True, unique: bool = False, pattern: Pattern | None = None) -> ColumnSpec:
    return ColumnSpec(name, CellKind.TEXT, required_value=required, unique=unique, pattern=pattern)


def _percentage(name: str, *, as_float: bool = False) -> ColumnSpec:
    return ColumnSpec(name, CellKind.NUMBER, percentage=True, as_float=as_float)


DATABASES = TableSpec(
    SheetName.DATABASES,
    (
        _text(DatabasesColumn.DATABASE, unique=True, pattern=DATABASE_PATTERN),
        _text(DatabasesColumn.STORE_IN_DATA_BRIDGE, pattern=YES_NO_PATTERN),
    ),
)

PORTFOLIOS = TableSpec(
    SheetName.PORTFOLIOS,
    (
        _text(PortfoliosColumn.PORTFOLIO, unique=True),
        _text(PortfoliosColumn.DATABASE),
        _text(PortfoliosColumn.IMPORT_FILE),
        _text(PortfoliosColumn.BASE_PORTFOLIO, pattern=YES_NO_PATTERN),
    ),
)

REINSURANCE_TREATIES = TableSpec(
    SheetName.REINSURANCE_TREATIES,
    (
        _text(TreatyColumn.TREATY_NAME, unique=True),
        _text(TreatyColumn.TREATY_NUMBER, unique=True),
        _text(TreatyColumn.TYPE, pattern=TREATY_TYPE_PATTERN),
        ColumnSpec(TreatyColumn.PER_RISK_LIMIT, CellKind.NUMBER),
        ColumnSpec(TreatyColumn.OCCURRENCE_LIMIT, CellKind.NUMBER),
        ColumnSpec(TreatyColumn.ATTACHMENT_POINT, CellKind.NUMBER),
        ColumnSpec(TreatyColumn.INCEPTION_DATE, CellKind.DATE),
        ColumnSpec(TreatyColumn.EXPIRATION_DATE, CellKind.DATE),
        _text(TreatyColumn.CURRENCY),
        _text(TreatyColumn.ATTACHMENT_BASIS),
        _text(TreatyColumn.EXPOSURE_LEVEL),
        _percentage(TreatyColumn.PCT_COVERED),
        _percentage(TreatyColumn.PCT_PLACE),
        _percentage(TreatyColumn.PCT_SHARE),
        _percentage(TreatyColumn.PCT_RETENTION),
        ColumnSpec(TreatyColumn.PREMIUM, CellKind.NUMBER),
        ColumnSpec(TreatyColumn.REINSTATEMENTS, CellKind.WHOLE_NUMBER),
        _percentage(TreatyColumn.PCT_REINSTATEMENT_CHARGE),
        ColumnSpec(TreatyColumn.AGGREGATE_LIMIT, CellKind.NUMBER),
        ColumnSpec(TreatyColumn.AGGREGATE_DEDUCTIBLE_AMOUNT, CellKind.NUMBER),
        ColumnSpec(TreatyColumn.INURING_PRIORITY, CellKind.WHOLE_NUMBER),
        # Declared "float" by the reference only because pandas types an all-blank column so;
        # both hold names (a producer, tags), hence text.
        _text(TreatyColumn.PRODUCER, required=False),
        _text(TreatyColumn.TAGS, required=False),
    ),
)

GEOHAZ_THRESHOLDS = TableSpec(
    SheetName.GEOHAZ_THRESHOLDS,
    (
        _text(GeoHazColumn.GEOCODE_LEVEL),
        _text(GeoHazColumn.IMPORT_FILE),
        _percentage(GeoHazColumn.PCT_OF_GRAND_TOTAL, as_float=True),
        _percentage(GeoHazColumn.THRESHOLD_PCT, as_float=True),
    ),
)

ANALYSIS_TABLE = TableSpec(
    SheetName.ANALYSIS_TABLE,
    (
        _text(AnalysisColumn.DATABASE),
        _text(AnalysisColumn.PORTFOLIO),
        _text(AnalysisColumn.ANALYSIS_NAME, unique=True),
        _text(AnalysisColumn.ANALYSIS_PROFILE),
        _text(AnalysisColumn.OUTPUT_PROFILE),
        _text(AnalysisColumn.EVENT_RATE, required=False),
        *(_text(column, required=False) for column in ANALYSIS_TREATY_COLUMNS),
        _text(AnalysisColumn.TAG_1),
        _text(AnalysisColumn.TAG_2, required=False),
        _text(AnalysisColumn.TAG_3, required=False),
        _text(AnalysisColumn.TAG_4, required=False),
        _text(AnalysisColumn.TAG_5, required=False),
    ),
)

PRODUCTS_AND_PERILS = TableSpec(
    SheetName.PRODUCTS_AND_PERILS,
    (
        _text(ProductsColumn.ANALYSIS_NAME),
        _text(ProductsColumn.PERIL, required=False),
        _text(ProductsColumn.PRODUCT_GROUP, required=False),
    ),
)

EXPOSURE_GROUP_PORTNAME = TableSpec(
    SheetName.EXPOSURE_GROUP_PORTNAME,
    (
        _text(ExposureColumn.EXPOSURE_GROUP, unique=True),
        _text(ExposureColumn.PORTNAME, unique=True),
    ),
)

#: Groupings: the group name column; item columns are handled apart (§1.9).
GROUPINGS = TableSpec(SheetName.GROUPINGS, (_text(GroupingsColumn.GROUP_NAME, unique=True),))

#: Moody's Reference Data: required lists; every list (required or extra) must be duplicate-free.
MOODYS_REFERENCE_DATA = TableSpec(
    SheetName.MOODYS_REFERENCE_DATA,
    tuple(ColumnSpec(column, CellKind.TEXT, required_value=False, unique=True) for column in ReferenceDataColumn),
)

#: The plain table sheets, in validation order.
TABLES: tuple[TableSpec, ...] = (
    DATABASES,
    PORTFOLIOS,
    REINSURANCE_TREATIES,
    GEOHAZ_THRESHOLDS,
    ANALYSIS_TABLE,
    PRODUCTS_AND_PERILS,
    EXPOSURE_GROUP_PORTNAME,
)
