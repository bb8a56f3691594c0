"""Typed job specs: one frozen dataclass per batch type, what the Moody's client and the SQL runners
read instead of a job configuration keyed by workbook headings.

A job configuration is stored as JSON (``irp_job_configuration.job_configuration_data``): a workbook
row, the Metadata and a few computed fields. :meth:`JobSpec.from_json` reads it and
:meth:`JobSpec.to_json` writes it back unchanged — each typed field knows its JSON key (a workbook
heading or a computed field's name: only this module spells them), keys no field types are kept in
``extra``, and keys the JSON did not have stay absent — so stored rows load as they are, with no
migration. Values are kept as stored (the workbook's types); callers convert where they use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self, TypeVar

from irp.configuration.jobs import JobField, sub_portfolios
from irp.configuration.schema import (
    ANALYSIS_TREATY_COLUMNS,
    GROUP_ITEMS_KEY,
    AnalysisColumn,
    DatabasesColumn,
    GroupingsColumn,
    MetadataKey,
    PortfoliosColumn,
    TreatyColumn,
)
from irp.exceptions import JobError

#: Job configuration key naming the folder of the import CSVs (else the hook's data directory).
DATA_DIRECTORY = "data_directory"


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def distinct(values: Any) -> tuple[str, ...]:
    """Distinct non-blank values as text, in order (treaty and tag columns)."""
    return tuple(dict.fromkeys(str(value).strip() for value in values if not blank(value)))


@dataclass(frozen=True, kw_only=True)
class JobSpec:
    """What every job spec has: the JSON keys it does not type (``extra``) and those the stored JSON
    lacked (``absent``), so that it serializes back to the same JSON."""

    extra: Mapping[str, Any] = field(default_factory=dict)
    absent: frozenset[str] = field(default=frozenset(), repr=False)

    #: Typed attribute → its JSON key, declared by each class for the fields it adds.
    KEYS: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def keys(cls) -> dict[str, str]:
        """Every typed attribute of the spec → its JSON key."""
        return _keys(cls)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], document: Mapping[str, Any] | None = None) -> Self:
        """The spec of a stored job configuration; ``document`` (the parsed workbook it was generated
        from) fills what a spec derives from other rows (Portfolio Mapping's sub-portfolios)."""
        keys = cls.keys()
        typed = set(keys.values())
        return cls(
            **{name: data.get(key) for name, key in keys.items()},
            **cls._derived(data, document),
            extra={key: value for key, value in data.items() if key not in typed},
            absent=frozenset(key for key in typed if key not in data),
        )

    @classmethod
    def _derived(cls, data: Mapping[str, Any], document: Mapping[str, Any] | None) -> dict[str, Any]:
        """Fields that are not stored in the job configuration (none but where overridden)."""
        return {}

    def to_json(self) -> dict[str, Any]:
        data = {key: getattr(self, name) for name, key in self.keys().items() if key not in self.absent}
        data.update(self.extra)
        return data

    def require(self, name: str) -> Any:
        """The value of the typed field ``name``; a blank one is an error naming its JSON key."""
        value = getattr(self, name)
        if blank(value):
            raise JobError(f"Missing required field: {self.keys()[name]}")
        return value


_KEYS: dict[type[JobSpec], dict[str, str]] = {}


def _keys(cls: type[JobSpec]) -> dict[str, str]:
    if cls not in _KEYS:
        keys: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            keys.update({name: str(key) for name, key in vars(klass).get("KEYS", {}).items()})
        _KEYS[cls] = keys
    return _KEYS[cls]


@dataclass(frozen=True, kw_only=True)
class CycleFacts(JobSpec):
    """The Metadata every job of a workbook carries, and what the runners read of it."""

    metadata: Mapping[str, Any] | None = None
    KEYS: ClassVar[Mapping[str, str]] = {
        "metadata": JobField.METADATA,
    }

    @property
    def cycle_type(self) -> Any:
        return (self.metadata or {}).get(MetadataKey.CYCLE_TYPE)

    @property
    def current_date_value(self) -> Any:
        return (self.metadata or {}).get(MetadataKey.CURRENT_DATE_VALUE, "")

    def require_cycle_type(self) -> str:
        """The cycle type (it chooses the SQL templates); an error naming the Metadata key if blank."""
        value = self.cycle_type
        if not isinstance(value, str) or not value.strip():
            raise JobError(f"Metadata '{MetadataKey.CYCLE_TYPE.value}' is required to choose the SQL templates")
        return value


@dataclass(frozen=True, kw_only=True)
class DatabaseJob(CycleFacts):
    database: Any = None
    KEYS: ClassVar[Mapping[str, str]] = {
        "database": DatabasesColumn.DATABASE,
    }


@dataclass(frozen=True, kw_only=True)
class PortfolioJob(CycleFacts):
    """A job of one ``Portfolios`` row (a base portfolio)."""

    portfolio: Any = None
    database: Any = None
    import_file: Any = None
    base_portfolio: Any = None
    KEYS: ClassVar[Mapping[str, str]] = {
        "portfolio": PortfoliosColumn.PORTFOLIO,
        "database": PortfoliosColumn.DATABASE,
        "import_file": PortfoliosColumn.IMPORT_FILE,
        "base_portfolio": PortfoliosColumn.BASE_PORTFOLIO,
    }


@dataclass(frozen=True, kw_only=True)
class ImportFiles(PortfolioJob):
    accounts_import_file: Any = None
    locations_import_file: Any = None
    KEYS: ClassVar[Mapping[str, str]] = {
        "accounts_import_file": JobField.ACCOUNTS_IMPORT_FILE,
        "locations_import_file": JobField.LOCATIONS_IMPORT_FILE,
    }


@dataclass(frozen=True, kw_only=True)
class DataExtractionSpec(ImportFiles):
    #: The Metadata's date and cycle type, copied into the job (the extraction reads the Metadata).
    computed_date_value: Any = None
    computed_cycle_type: Any = None
    KEYS: ClassVar[Mapping[str, str]] = {
        "computed_date_value": JobField.DATE_VALUE,
        "computed_cycle_type": JobField.CYCLE_TYPE,
    }


@dataclass(frozen=True, kw_only=True)
class EdmCreationSpec(DatabaseJob):
    pass


@dataclass(frozen=True, kw_only=True)
class PortfolioCreationSpec(PortfolioJob):
    pass


@dataclass(frozen=True, kw_only=True)
class MriImportSpec(ImportFiles):
    #: Where the CSVs are, when not in the hook's data directory (set by hand; not generated).
    data_directory: Any = None
    KEYS: ClassVar[Mapping[str, str]] = {
        "data_directory": DATA_DIRECTORY,
    }


@dataclass(frozen=True, kw_only=True)
class TreatySpec(CycleFacts):
    """One treaty in one EDM that uses it."""

    database: Any = None
    treaty_name: Any = None
    treaty_number: Any = None
    treaty_type: Any = None
    per_risk_limit: Any = None
    occurrence_limit: Any = None
    attachment_point: Any = None
    inception_date: Any = None
    expiration_date: Any = None
    currency: Any = None
    attachment_basis: Any = None
    exposure_level: Any = None
    pct_covered: Any = None
    pct_place: Any = None
    pct_share: Any = None
    pct_retention: Any = None
    premium: Any = None
    reinstatements: Any = None
    pct_reinstatement_charge: Any = None
    aggregate_limit: Any = None
    aggregate_deductible_amount: Any = None
    inuring_priority: Any = None
    KEYS: ClassVar[Mapping[str, str]] = {
        "database": JobField.DATABASE,
        "treaty_name": TreatyColumn.TREATY_NAME,
        "treaty_number": TreatyColumn.TREATY_NUMBER,
        "treaty_type": TreatyColumn.TYPE,
        "per_risk_limit": TreatyColumn.PER_RISK_LIMIT,
        "occurrence_limit": TreatyColumn.OCCURRENCE_LIMIT,
        "attachment_point": TreatyColumn.ATTACHMENT_POINT,
        "inception_date": TreatyColumn.INCEPTION_DATE,
        "expiration_date": TreatyColumn.EXPIRATION_DATE,
        "currency": TreatyColumn.CURRENCY,
        "attachment_basis": TreatyColumn.ATTACHMENT_BASIS,
        "exposure_level": TreatyColumn.EXPOSURE_LEVEL,
        "pct_covered": TreatyColumn.PCT_COVERED,
        "pct_place": TreatyColumn.PCT_PLACE,
        "pct_share": TreatyColumn.PCT_SHARE,
        "pct_retention": TreatyColumn.PCT_RETENTION,
        "premium": TreatyColumn.PREMIUM,
        "reinstatements": TreatyColumn.REINSTATEMENTS,
        "pct_reinstatement_charge": TreatyColumn.PCT_REINSTATEMENT_CHARGE,
        "aggregate_limit": TreatyColumn.AGGREGATE_LIMIT,
        "aggregate_deductible_amount": TreatyColumn.AGGREGATE_DEDUCTIBLE_AMOUNT,
        "inuring_priority": TreatyColumn.INURING_PRIORITY,
    }


@dataclass(frozen=True, kw_only=True)
class EdmDbUpgradeSpec(DatabaseJob):
    target_edm_version: Any = None
    KEYS: ClassVar[Mapping[str, str]] = {
        "target_edm_version": JobField.TARGET_EDM_VERSION,
    }


@dataclass(frozen=True, kw_only=True)
class GeoHazSpec(PortfolioJob):
    geocode_version: Any = None
    KEYS: ClassVar[Mapping[str, str]] = {
        "geocode_version": JobField.GEOCODE_VERSION,
    }


@dataclass(frozen=True, kw_only=True)
class PortfolioMappingSpec(PortfolioJob):
    #: The sub-portfolios mapping creates: the workbook's other rows of the same database and import
    #: file (not stored with the job; known when the spec is read with its document).
    sub_portfolios: tuple[str, ...] = ()

    @classmethod
    def _derived(cls, data: Mapping[str, Any], document: Mapping[str, Any] | None) -> dict[str, Any]:
        if document is None:
            return {}
        database, import_file = data.get(PortfoliosColumn.DATABASE), data.get(PortfoliosColumn.IMPORT_FILE)
        return {"sub_portfolios": tuple(sub_portfolios(document, database, import_file))}


@dataclass(frozen=True, kw_only=True)
class AnalysisSpec(CycleFacts):
    database: Any = None
    portfolio: Any = None
    analysis_name: Any = None
    analysis_profile: Any = None
    output_profile: Any = None
    event_rate: Any = None
    treaty_1: Any = None
    treaty_2: Any = None
    treaty_3: Any = None
    treaty_4: Any = None
    treaty_5: Any = None
    tag_1: Any = None
    tag_2: Any = None
    tag_3: Any = None
    tag_4: Any = None
    tag_5: Any = None
    KEYS: ClassVar[Mapping[str, str]] = {
        "database": AnalysisColumn.DATABASE,
        "portfolio": AnalysisColumn.PORTFOLIO,
        "analysis_name": AnalysisColumn.ANALYSIS_NAME,
        "analysis_profile": AnalysisColumn.ANALYSIS_PROFILE,
        "output_profile": AnalysisColumn.OUTPUT_PROFILE,
        "event_rate": AnalysisColumn.EVENT_RATE,
        "treaty_1": ANALYSIS_TREATY_COLUMNS[0],
        "treaty_2": ANALYSIS_TREATY_COLUMNS[1],
        "treaty_3": ANALYSIS_TREATY_COLUMNS[2],
        "treaty_4": ANALYSIS_TREATY_COLUMNS[3],
        "treaty_5": ANALYSIS_TREATY_COLUMNS[4],
        "tag_1": AnalysisColumn.TAG_1,
        "tag_2": AnalysisColumn.TAG_2,
        "tag_3": AnalysisColumn.TAG_3,
        "tag_4": AnalysisColumn.TAG_4,
        "tag_5": AnalysisColumn.TAG_5,
    }

    @property
    def treaties(self) -> tuple[str, ...]:
        """The distinct treaties the analysis applies, in column order."""
        return distinct((self.treaty_1, self.treaty_2, self.treaty_3, self.treaty_4, self.treaty_5))

    @property
    def tags(self) -> tuple[str, ...]:
        return distinct((self.tag_1, self.tag_2, self.tag_3, self.tag_4, self.tag_5))


@dataclass(frozen=True, kw_only=True)
class GroupingSpec(CycleFacts):
    """A group of analyses (Grouping) or of groups and analyses (Grouping Rollup)."""

    group_name: Any = None
    items: Any = None
    #: Analysis name → its EDM, for every analysis of the workbook.
    analysis_edm_map: Mapping[str, str] | None = None
    #: Every group name of the workbook (an item that is one is a group, not an analysis).
    group_names: Any = None
    KEYS: ClassVar[Mapping[str, str]] = {
        "group_name": GroupingsColumn.GROUP_NAME,
        "items": GROUP_ITEMS_KEY,
        "analysis_edm_map": JobField.ANALYSIS_EDM_MAP,
        "group_names": JobField.GROUP_NAMES,
    }


@dataclass(frozen=True, kw_only=True)
class ExportSpec(JobSpec):
    """One analysis or group exported to the cycle's RDM."""

    rdm_name: Any = None
    server_name: Any = None
    analysis_names: Any = None
    #: The seed creates the RDM; a job that does not say is one.
    is_seed_job: Any = None
    database_id: Any = None
    is_group: Any = None
    edm_name: Any = None
    KEYS: ClassVar[Mapping[str, str]] = {
        "rdm_name": JobField.RDM_NAME,
        "server_name": JobField.SERVER_NAME,
        "analysis_names": JobField.ANALYSIS_NAMES,
        "is_seed_job": JobField.IS_SEED_JOB,
        "database_id": JobField.DATABASE_ID,
        "is_group": JobField.IS_GROUP,
        "edm_name": JobField.EDM_NAME,
    }

    @property
    def seed(self) -> bool:
        return True if JobField.IS_SEED_JOB in self.absent else bool(self.is_seed_job)


S = TypeVar("S", bound=JobSpec)


def typed(job: JobSpec, kind: type[S]) -> S:
    """``job`` as the spec its batch type submits; another spec is a programming error."""
    if not isinstance(job, kind):
        raise JobError(f"Expected a {kind.__name__} job spec, got {type(job).__name__}")
    return job
