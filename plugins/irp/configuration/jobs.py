"""Job configurations of the twelve batch types, generated from the stored document (§4).

Each function returns the ordered job configurations of one batch type; the field order of each
configuration follows the spec's tables, because when a computed field and a row column share a
name the later one wins there too. Every configuration owns its data (nothing is shared between
two jobs), so overriding one job's configuration cannot change another's.

Two of the reference's bugs are fixed: ``group_names`` is in sheet order (it was built from a
set, §6.11), and Export to RDM skips empty groups, which are never created (§6.9).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from irp.configuration.schema import (
    ANALYSIS_TREATY_COLUMNS,
    GROUP_ITEMS_KEY,
    YES,
    AnalysisColumn,
    DatabasesColumn,
    GroupingsColumn,
    MetadataKey,
    PortfoliosColumn,
    SheetName,
    TreatyColumn,
)
from irp.constants import BatchType
from irp.exceptions import ConfigurationError

Document = Mapping[str, Any]
JobConfiguration = dict[str, Any]

#: Moody's Data Bridge server every RDM export targets.
EXPORT_SERVER_NAME = "databridge-1"
#: Geocode version used when the Metadata key is absent (reference default).
DEFAULT_GEOCODE_VERSION = "22.0"
_VERSION_SEPARATOR = "."


class JobField:
    """Names of the computed fields (the rest are copied from the sheet rows)."""

    METADATA = "Metadata"
    ACCOUNTS_IMPORT_FILE = "accounts_import_file"
    LOCATIONS_IMPORT_FILE = "locations_import_file"
    DATE_VALUE = "date_value"
    CYCLE_TYPE = "cycle_type"
    DATABASE = "Database"
    TARGET_EDM_VERSION = "target_edm_version"
    GEOCODE_VERSION = "geocode_version"
    ANALYSIS_EDM_MAP = "analysis_edm_map"
    GROUP_NAMES = "group_names"
    RDM_NAME = "rdm_name"
    SERVER_NAME = "server_name"
    ANALYSIS_NAMES = "analysis_names"
    IS_SEED_JOB = "is_seed_job"
    DATABASE_ID = "database_id"
    IS_GROUP = "is_group"
    EDM_NAME = "edm_name"


def _metadata(document: Document) -> dict[str, Any]:
    return dict(document.get(SheetName.METADATA.value) or {})


def _rows(document: Document, sheet: SheetName) -> list[dict[str, Any]]:
    return list(document.get(sheet.value) or [])


def base_portfolios(document: Document) -> list[dict[str, Any]]:
    """Portfolios rows with ``Base Portfolio?`` exactly ``Y``, in sheet order."""
    return [row for row in _rows(document, SheetName.PORTFOLIOS) if row.get(PortfoliosColumn.BASE_PORTFOLIO) == YES]


def import_file_name(metadata: Mapping[str, Any], import_file: Any, entity: str) -> str:
    """``Modeling_<date>_Moodys_<import file>_<Account|Location>.csv`` (Data Extraction, MRI Import)."""
    return f"Modeling_{metadata.get(MetadataKey.CURRENT_DATE_VALUE, '')}_Moodys_{import_file}_{entity}.csv"


def _import_files(metadata: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, str]:
    import_file = row.get(PortfoliosColumn.IMPORT_FILE)
    return {
        JobField.ACCOUNTS_IMPORT_FILE: import_file_name(metadata, import_file, "Account"),
        JobField.LOCATIONS_IMPORT_FILE: import_file_name(metadata, import_file, "Location"),
    }


def data_extraction_jobs(document: Document) -> list[JobConfiguration]:
    metadata = _metadata(document)
    return [
        {
            JobField.METADATA: dict(metadata),
            **row,
            **_import_files(metadata, row),
            JobField.DATE_VALUE: metadata.get(MetadataKey.CURRENT_DATE_VALUE, ""),
            JobField.CYCLE_TYPE: metadata.get(MetadataKey.CYCLE_TYPE, ""),
        }
        for row in base_portfolios(document)
    ]


def _per_row(rows: list[dict[str, Any]], metadata: dict[str, Any]) -> list[JobConfiguration]:
    return [{JobField.METADATA: dict(metadata), **row} for row in rows]


def edm_creation_jobs(document: Document) -> list[JobConfiguration]:
    return _per_row(_rows(document, SheetName.DATABASES), _metadata(document))


def per_base_portfolio_jobs(document: Document) -> list[JobConfiguration]:
    return _per_row(base_portfolios(document), _metadata(document))


def mri_import_jobs(document: Document) -> list[JobConfiguration]:
    metadata = _metadata(document)
    return [
        {JobField.METADATA: dict(metadata), **row, **_import_files(metadata, row)} for row in base_portfolios(document)
    ]


def cell_text(value: Any) -> str:
    """A workbook cell as trimmed text ("" for an empty cell)."""
    return str(value).strip() if value is not None else ""


def sub_portfolios(document: Document, database: Any, import_file: Any) -> list[str]:
    """The sub-portfolios Portfolio Mapping creates from a base portfolio: the other ``Portfolios``
    rows (``Base Portfolio?`` not ``Y``) of the same database and import file, in sheet order."""
    key = (cell_text(database), cell_text(import_file))
    return [
        cell_text(row.get(PortfoliosColumn.PORTFOLIO))
        for row in _rows(document, SheetName.PORTFOLIOS)
        if cell_text(row.get(PortfoliosColumn.BASE_PORTFOLIO)).upper() != YES
        and (cell_text(row.get(PortfoliosColumn.DATABASE)), cell_text(row.get(PortfoliosColumn.IMPORT_FILE))) == key
    ]


def treaty_edm_pairs(document: Document) -> list[tuple[str, str]]:
    """Distinct (treaty, EDM) pairs used by analyses, by treaty name then database (code points)."""
    treaty_names = {row.get(TreatyColumn.TREATY_NAME) for row in _rows(document, SheetName.REINSURANCE_TREATIES)}
    treaty_names -= {None, ""}
    pairs = {  # one comprehension: this runs per analysis row, 10,000 rows in a large workbook
        (treaty, database)
        for row in _rows(document, SheetName.ANALYSIS_TABLE)
        if (database := row.get(AnalysisColumn.DATABASE))
        for treaty in map(row.get, ANALYSIS_TREATY_COLUMNS)
        if treaty in treaty_names
    }
    return cast("list[tuple[str, str]]", sorted(pairs))


def create_reinsurance_treaties_jobs(document: Document) -> list[JobConfiguration]:
    metadata = _metadata(document)
    treaties: dict[str | None, dict[str, Any]] = {}
    for row in _rows(document, SheetName.REINSURANCE_TREATIES):
        treaties.setdefault(row.get(TreatyColumn.TREATY_NAME), row)
    return [
        {JobField.METADATA: dict(metadata), JobField.DATABASE: database, **treaties[treaty]}
        for treaty, database in treaty_edm_pairs(document)
    ]


def target_edm_version(version: Any) -> str:
    """``23.0.0`` → ``23``: the EDM major version an upgrade targets."""
    return str(version).split(_VERSION_SEPARATOR, 1)[0]


def geocode_version(version: Any) -> str:
    """``23.0.0`` → ``23.0``: the geocode version GeoHaz runs with."""
    parts = str(version).split(_VERSION_SEPARATOR)
    return _VERSION_SEPARATOR.join(parts[:2]) if len(parts) >= 2 else str(version)


def _not_blank(metadata: Mapping[str, Any], key: MetadataKey, batch_type: BatchType) -> None:
    """A blank value means the cycle skips ``batch_type`` (§4.3); asking for its jobs is an error,
    not a batch of jobs carrying ``None``."""
    if key in metadata and metadata[key] is None:
        raise ConfigurationError(
            f"{batch_type} needs Metadata {key.value!r}, which the workbook leaves blank: "
            f"the cycle does not create this batch"
        )


def edm_db_upgrade_jobs(document: Document) -> list[JobConfiguration]:
    metadata = _metadata(document)
    _not_blank(metadata, MetadataKey.EDM_DATA_VERSION, BatchType.EDM_DB_UPGRADE)
    target = (
        target_edm_version(metadata[MetadataKey.EDM_DATA_VERSION]) if MetadataKey.EDM_DATA_VERSION in metadata else ""
    )
    return [
        {JobField.METADATA: dict(metadata), JobField.TARGET_EDM_VERSION: target, **row}
        for row in _rows(document, SheetName.DATABASES)
    ]


def geohaz_jobs(document: Document) -> list[JobConfiguration]:
    metadata = _metadata(document)
    _not_blank(metadata, MetadataKey.GEOCODE_VERSION, BatchType.GEOHAZ)
    version = metadata.get(MetadataKey.GEOCODE_VERSION, DEFAULT_GEOCODE_VERSION)
    return [
        {JobField.METADATA: dict(metadata), JobField.GEOCODE_VERSION: geocode_version(version), **row}
        for row in base_portfolios(document)
    ]


def analysis_jobs(document: Document) -> list[JobConfiguration]:
    return _per_row(_rows(document, SheetName.ANALYSIS_TABLE), _metadata(document))


def analysis_edm_map(document: Document) -> dict[str, str]:
    """Analysis Name → Database for every analysis row where both are set."""
    return {
        row[AnalysisColumn.ANALYSIS_NAME]: row[AnalysisColumn.DATABASE]
        for row in _rows(document, SheetName.ANALYSIS_TABLE)
        if row.get(AnalysisColumn.ANALYSIS_NAME) and row.get(AnalysisColumn.DATABASE)
    }


@dataclass(frozen=True)
class GroupClassification:
    """Groups split as Grouping / Grouping Rollup see them (empty groups are in neither)."""

    group_names: list[str]
    analysis_only: list[dict[str, Any]]
    rollups: list[dict[str, Any]]


def classify_groups(document: Document) -> GroupClassification:
    groups = _rows(document, SheetName.GROUPINGS)
    names = [group[GroupingsColumn.GROUP_NAME] for group in groups if group.get(GroupingsColumn.GROUP_NAME)]
    name_set = set(names)
    analysis_only: list[dict[str, Any]] = []
    rollups: list[dict[str, Any]] = []
    for group in groups:
        items = group.get(GROUP_ITEMS_KEY) or []
        if not group.get(GroupingsColumn.GROUP_NAME) or not items:
            continue
        (rollups if any(item in name_set for item in items) else analysis_only).append(group)
    return GroupClassification(list(dict.fromkeys(names)), analysis_only, rollups)


def _grouping_jobs(document: Document, rollup: bool) -> list[JobConfiguration]:
    metadata = _metadata(document)
    classification = classify_groups(document)
    edm_map = analysis_edm_map(document)
    groups = classification.rollups if rollup else classification.analysis_only
    return [
        {
            JobField.METADATA: dict(metadata),
            JobField.ANALYSIS_EDM_MAP: dict(edm_map),
            JobField.GROUP_NAMES: list(classification.group_names),
            GroupingsColumn.GROUP_NAME.value: group[GroupingsColumn.GROUP_NAME],
            GROUP_ITEMS_KEY: list(group[GROUP_ITEMS_KEY]),
        }
        for group in groups
    ]


def grouping_jobs(document: Document) -> list[JobConfiguration]:
    return _grouping_jobs(document, rollup=False)


def grouping_rollup_jobs(document: Document) -> list[JobConfiguration]:
    return _grouping_jobs(document, rollup=True)


def export_items(document: Document) -> list[str]:
    """Analyses in sheet order, then the non-empty groups in sheet order."""
    analyses = [
        row[AnalysisColumn.ANALYSIS_NAME]
        for row in _rows(document, SheetName.ANALYSIS_TABLE)
        if row.get(AnalysisColumn.ANALYSIS_NAME)
    ]
    groups = [
        group[GroupingsColumn.GROUP_NAME]
        for group in _rows(document, SheetName.GROUPINGS)
        if group.get(GroupingsColumn.GROUP_NAME) and group.get(GROUP_ITEMS_KEY)
    ]
    return analyses + groups


def export_to_rdm_jobs(document: Document) -> list[JobConfiguration]:
    metadata = _metadata(document)
    _not_blank(metadata, MetadataKey.EXPORT_RDM_NAME, BatchType.EXPORT_TO_RDM)
    group_names = set(classify_groups(document).group_names)
    edm_map = analysis_edm_map(document)
    return [
        {
            JobField.RDM_NAME: metadata.get(MetadataKey.EXPORT_RDM_NAME),
            JobField.SERVER_NAME: EXPORT_SERVER_NAME,
            JobField.ANALYSIS_NAMES: [item],
            JobField.IS_SEED_JOB: index == 0,
            JobField.DATABASE_ID: None,
            JobField.IS_GROUP: item in group_names,
            JobField.EDM_NAME: None if item in group_names else edm_map.get(item),
        }
        for index, item in enumerate(export_items(document))
    ]


def _batch_type(batch_type: BatchType | str) -> BatchType:
    try:
        return BatchType.parse(batch_type)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc


def generate_job_configurations(configuration: Document, batch_type: BatchType | str) -> list[JobConfiguration]:
    """The job configurations of ``batch_type`` for a parsed (stored) configuration document."""
    from irp.batch_types import entry

    return list(entry(_batch_type(batch_type)).generate(configuration))


def count_base_portfolios(document: Document) -> int:
    return len(base_portfolios(document))


def count_databases(document: Document) -> int:
    return len(_rows(document, SheetName.DATABASES))


def count_treaty_jobs(document: Document) -> int:
    return len(treaty_edm_pairs(document))


def count_analyses(document: Document) -> int:
    return len(_rows(document, SheetName.ANALYSIS_TABLE))


def count_analysis_groups(document: Document) -> int:
    return len(classify_groups(document).analysis_only)


def count_rollups(document: Document) -> int:
    return len(classify_groups(document).rollups)


def count_export_items(document: Document) -> int:
    return len(export_items(document))


def job_counts(configuration: Document) -> dict[BatchType, int]:
    """Number of jobs of each batch type the cycle creates (§4.3), in dependency order; the
    same as ``len(generate_job_configurations(...))`` for each (tests compare them). Counting a
    10,000-analysis workbook by generating its jobs took longer than validating it."""
    from irp.batch_types import entry

    return {batch_type: entry(batch_type).count(configuration) for batch_type in required_batch_types(configuration)}


# -- which batch types a cycle creates (§4.3) --------------------------------------------------------
def has_base_portfolios(document: Document) -> bool:
    return bool(base_portfolios(document))


def has_databases(document: Document) -> bool:
    return bool(_rows(document, SheetName.DATABASES))


def has_analyses(document: Document) -> bool:
    """Create Reinsurance Treaties is kept whenever there are analyses, even with no treaty job,
    as in the reference: the Analysis stage waits for it."""
    return bool(_rows(document, SheetName.ANALYSIS_TABLE))


def upgrades_edms(document: Document) -> bool:
    """A blank ``EDM Data Version`` skips EDM DB Upgrade."""
    return has_databases(document) and bool(_metadata(document).get(MetadataKey.EDM_DATA_VERSION))


def geocodes(document: Document) -> bool:
    """A blank ``Geocode Version`` skips GeoHaz."""
    return has_base_portfolios(document) and bool(_metadata(document).get(MetadataKey.GEOCODE_VERSION))


def has_analysis_groups(document: Document) -> bool:
    return bool(classify_groups(document).analysis_only)


def has_rollups(document: Document) -> bool:
    return bool(classify_groups(document).rollups)


def exports_rdm(document: Document) -> bool:
    """A blank ``Export RDM Name`` skips Export to RDM."""
    return bool(_metadata(document).get(MetadataKey.EXPORT_RDM_NAME)) and has_analyses(document)


def required_batch_types(configuration: Document) -> list[BatchType]:
    """The batch types a cycle creates for this configuration, in dependency order (§4.3)."""
    from irp.batch_types import entry

    return [batch_type for batch_type in BatchType if entry(batch_type).required(configuration)]


# -- what the registry's entries name --------------------------------------------------------------
class RowSource(NamedTuple):
    """Where a batch type's jobs come from: one row of ``sheet``, identified by ``key``; ``also``
    names the job fields that tell apart the jobs one row generates (a treaty: one job per EDM)."""

    sheet: SheetName
    key: str
    also: tuple[str, ...] = ()


PORTFOLIO_ROW = RowSource(SheetName.PORTFOLIOS, PortfoliosColumn.PORTFOLIO)
DATABASE_ROW = RowSource(SheetName.DATABASES, DatabasesColumn.DATABASE)
TREATY_ROW = RowSource(SheetName.REINSURANCE_TREATIES, TreatyColumn.TREATY_NAME, (JobField.DATABASE,))
ANALYSIS_ROW = RowSource(SheetName.ANALYSIS_TABLE, AnalysisColumn.ANALYSIS_NAME)
GROUP_ROW = RowSource(SheetName.GROUPINGS, GroupingsColumn.GROUP_NAME)
#: Export to RDM jobs have no row: what a person may change.
EXPORT_CHANGEABLE = frozenset({JobField.DATABASE_ID, JobField.SERVER_NAME})


def analysis_entity(config: Mapping[str, Any]) -> str:
    """The analysis a job creates, as entity validation names it (``EDM/analysis``)."""
    return f"{config.get(JobField.DATABASE)}/{config.get(AnalysisColumn.ANALYSIS_NAME)}"


def group_entity(config: Mapping[str, Any]) -> str:
    return str(config.get(GroupingsColumn.GROUP_NAME))


def rdm_entity(config: Mapping[str, Any]) -> str:
    return str(config.get(JobField.RDM_NAME))
