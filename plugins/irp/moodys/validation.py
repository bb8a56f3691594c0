"""Entity validation of a batch against Moody's (batch_job.md §7), entity checks and deletes.

Each failed rule yields one :class:`EntityMessage` with its stable code. Only Moody's answers are
messages: an outage (no response, 429, 5xx after the client's retries) raises
:class:`~irp.moodys.errors.MoodysUnavailableError`, so the task retries instead of failing validation,
and is never reported as "missing"; another API error inside a rule becomes ``ENT-API-001``. Names
are searched with ``IN`` filters in chunks of 25 (:mod:`irp.moodys.search`).

Fixed reference bugs: Portfolio Creation checks only the pending jobs' portfolios (BUG-9);
Portfolio Mapping derives the sub-portfolios that must not exist from the configuration (BUG-10);
:meth:`EntityRules.entity_exists` raises on API errors instead of answering "missing" (BUG-11);
an unresolvable import-file directory fails ``ENT-FILE-001`` (BUG-33); groups are searched with
``engineType = "Group"`` for existence and deletion (BUG-39).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from irp.configuration.jobs import JobField
from irp.configuration.schema import (
    ANALYSIS_TREATY_COLUMNS,
    GROUP_ITEMS_KEY,
    AnalysisColumn,
    GroupingsColumn,
    PortfoliosColumn,
    SheetName,
    TreatyColumn,
)
from irp.constants import BatchType
from irp.moodys import search
from irp.moodys.api import DEFAULT_SERVER_NAME, DataBridgeStatus, Edm, MoodysApi
from irp.moodys.errors import MoodysError, MoodysUnavailableError
from irp.moodys.jobs import MRI_FILE_KEYS, FileResolver, column_values
from irp.moodys.protocol import EntityMessage

Config = Mapping[str, Any]
YES = "Y"


class Code(StrEnum):
    SERVER_MISSING = "ENT-SERVER-001"
    EDM_EXISTS = "ENT-EDM-001"
    EDM_MISSING = "ENT-EDM-002"
    PORTFOLIO_EXISTS = "ENT-PORT-001"
    PORTFOLIO_MISSING = "ENT-PORT-002"
    FILE_MISSING = "ENT-FILE-001"
    ACCOUNTS_EXIST = "ENT-ACCT-001"
    ACCOUNTS_MISSING = "ENT-ACCT-002"
    CEDANT_MISSING = "ENT-CEDANT-001"
    CEDANT_AMBIGUOUS = "ENT-CEDANT-002"
    TREATY_EXISTS = "ENT-TREATY-001"
    TREATY_MISSING = "ENT-TREATY-002"
    LOCATIONS_MISSING = "ENT-LOC-001"
    ANALYSIS_EXISTS = "ENT-ANALYSIS-001"
    GROUP_EXISTS = "ENT-GROUP-001"
    RDM_EXISTS = "ENT-RDM-001"
    RDM_ITEMS_MISSING = "ENT-RDM-002"
    API_ERROR = "ENT-API-001"
    MODEL_PROFILE_MISSING = "API-REF-001"
    OUTPUT_PROFILE_MISSING = "API-REF-002"
    EVENT_RATE_MISSING = "API-REF-003"
    REFERENCE_API_ERROR = "API-REF-004"
    ANALYSIS_MISSING_WARNING = "WARN-ANALYSIS-001"
    GROUP_MISSING_WARNING = "WARN-GROUP-001"


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


class EntityRules:
    """The §7 rules, evaluated with one :class:`MoodysApi`."""

    def __init__(self, api: MoodysApi, resolve_file: FileResolver) -> None:
        self.api = api
        self.resolve_file = resolve_file
        self.messages: list[EntityMessage] = []

    # -- plumbing -------------------------------------------------------------------------------
    def _add(self, code: Code, description: str, entities: Iterable[str] = ()) -> None:
        self.messages.append(EntityMessage(code.value, description, tuple(entities)))

    def _add_if(self, code: Code, description: str, entities: Sequence[str]) -> None:
        if entities:
            self._add(code, description, entities)

    @staticmethod
    def _raise_outage(error: MoodysError) -> None:
        """An outage is no answer at all: raised for the task to retry, so a rate-limit window never
        fails validation. Any other API error is reported as a message."""
        if isinstance(error, MoodysUnavailableError):
            raise error

    def _api_failed(self, what: str, error: MoodysError) -> None:
        self._raise_outage(error)
        self._add(Code.API_ERROR, f"Failed to check {what}: {error}")

    def _edms(self, names: Iterable[Any]) -> dict[str, Edm] | None:
        """Found EDMs; missing ones reported (ENT-EDM-002); ``None`` after an API error."""
        wanted = search.unique(names)
        try:
            found = self.api.find_edms(wanted)
        except MoodysError as error:
            self._api_failed("EDMs", error)
            return None
        self._add_if(Code.EDM_MISSING, "Required EDMs not found", [name for name in wanted if name not in found])
        return found

    def _portfolios_by_edm(
        self, pairs: Iterable[tuple[str, str]], edms: Mapping[str, Edm]
    ) -> dict[tuple[str, str], Any] | None:
        """Found portfolios keyed by (EDM, portfolio) for pairs whose EDM exists."""
        by_edm: dict[str, list[str]] = defaultdict(list)
        for edm_name, portfolio_name in pairs:
            if edm_name in edms:
                by_edm[edm_name].append(portfolio_name)
        found: dict[tuple[str, str], Any] = {}
        try:
            for edm_name, names in by_edm.items():
                for name, portfolio in self.api.find_portfolios(edms[edm_name].exposure_id, names).items():
                    found[(edm_name, name)] = portfolio
        except MoodysError as error:
            self._api_failed("portfolios", error)
            return None
        return found

    def _require_portfolios(
        self, pairs: Sequence[tuple[str, str]], edms: Mapping[str, Edm]
    ) -> dict[tuple[str, str], Any]:
        found = self._portfolios_by_edm(pairs, edms)
        if found is None:
            return {}
        missing = [f"{edm}/{name}" for edm, name in dict.fromkeys(pairs) if (edm, name) not in found]
        self._add_if(Code.PORTFOLIO_MISSING, "Required portfolios not found", missing)
        return found

    def _accounts(self, edms: Mapping[str, Edm], key: tuple[str, str], portfolio: Any) -> list[dict[str, Any]]:
        return self.api.accounts(edms[key[0]].exposure_id, portfolio.portfolio_id)

    @staticmethod
    def _pairs(
        configs: Sequence[Config], edm_key: str = JobField.DATABASE, name_key: str = PortfoliosColumn.PORTFOLIO
    ) -> list[tuple[str, str]]:
        return [(_text(config.get(edm_key)), _text(config.get(name_key))) for config in configs if config.get(name_key)]

    # -- rules per batch type -------------------------------------------------------------------
    def edm_creation(self, configs: Sequence[Config], configuration: Config) -> None:
        try:
            if self.api.find_server(DEFAULT_SERVER_NAME) is None:
                self._add(Code.SERVER_MISSING, f"Database server '{DEFAULT_SERVER_NAME}' not found")
            names = search.unique(config.get(JobField.DATABASE) for config in configs)
            existing = self.api.find_edms(names)
        except MoodysError as error:
            self._api_failed("EDMs", error)
            return
        self._add_if(Code.EDM_EXISTS, "EDMs already exist", [name for name in names if name in existing])

    def edm_upgrade(self, configs: Sequence[Config], configuration: Config) -> None:
        self._edms(config.get(JobField.DATABASE) for config in configs)

    def portfolio_creation(self, configs: Sequence[Config], configuration: Config) -> None:
        pairs = self._pairs(configs)
        edms = self._edms(edm for edm, _ in pairs)
        if edms is None:
            return
        found = self._portfolios_by_edm(pairs, edms)
        if found is not None:
            existing = [f"{edm}/{name}" for edm, name in dict.fromkeys(pairs) if (edm, name) in found]
            self._add_if(Code.PORTFOLIO_EXISTS, "Portfolios already exist", existing)

    def mri_import(self, configs: Sequence[Config], configuration: Config) -> None:
        missing_files: list[str] = []
        for config in configs:
            for key in MRI_FILE_KEYS.values():
                name = _text(config.get(key))
                try:
                    path = self.resolve_file(config, name) if name else None
                except (OSError, ValueError) as error:
                    missing_files.append(f"{name or key} (cannot resolve the data directory: {error})")
                    continue
                if path is None or not path.is_file():
                    missing_files.append(str(path) if path else f"{config.get(PortfoliosColumn.PORTFOLIO)}: no {key}")
        self._add_if(Code.FILE_MISSING, "Import files not found", missing_files)
        pairs = self._pairs(configs)
        edms = self._edms(edm for edm, _ in pairs)
        if not edms:
            return
        found = self._require_portfolios(pairs, edms)
        try:
            with_accounts = [
                f"{key[0]}/{key[1]}" for key, portfolio in found.items() if self._accounts(edms, key, portfolio)
            ]
        except MoodysError as error:
            self._api_failed("portfolio accounts", error)
            return
        self._add_if(Code.ACCOUNTS_EXIST, "Portfolios already have accounts", with_accounts)

    def treaties(self, configs: Sequence[Config], configuration: Config) -> None:
        pairs = self._pairs(configs, name_key=TreatyColumn.TREATY_NAME)
        edms = self._edms(edm for edm, _ in pairs)
        if not edms:
            return
        no_cedant: list[str] = []
        many_cedants: list[str] = []
        existing: list[str] = []
        try:
            for edm_name, edm in edms.items():
                count = len(self.api.cedants(edm.exposure_id))
                if count == 0:
                    no_cedant.append(edm_name)
                elif count > 1:
                    many_cedants.append(f"{edm_name} ({count} cedants)")
                names = [name for edm_, name in pairs if edm_ == edm_name]
                found = self.api.find_treaties(edm.exposure_id, names)
                existing.extend(f"{edm_name}/{name}" for name in search.unique(names) if name in found)
        except MoodysError as error:
            self._api_failed("cedants and treaties", error)
            return
        self._add_if(Code.CEDANT_MISSING, "EDMs have no cedant", no_cedant)
        self._add_if(Code.CEDANT_AMBIGUOUS, "EDMs have more than one cedant", many_cedants)
        self._add_if(Code.TREATY_EXISTS, "Treaties already exist", existing)

    def geohaz(self, configs: Sequence[Config], configuration: Config) -> None:
        pairs = self._pairs(configs)
        edms = self._edms(edm for edm, _ in pairs)
        if not edms:
            return
        found = self._require_portfolios(pairs, edms)
        problems: list[str] = []
        try:
            for key, portfolio in found.items():
                accounts = self._accounts(edms, key, portfolio)
                if not accounts:
                    problems.append(f"{key[0]}/{key[1]} (no accounts)")
                elif sum(int(account.get("locationsCount") or 0) for account in accounts) <= 0:
                    problems.append(f"{key[0]}/{key[1]} (0 locations)")
        except MoodysError as error:
            self._api_failed("portfolio locations", error)
            return
        self._add_if(Code.LOCATIONS_MISSING, "Portfolios have no locations", problems)

    def portfolio_mapping(self, configs: Sequence[Config], configuration: Config) -> None:
        pairs = self._pairs(configs)
        subs = sub_portfolio_pairs(configs, configuration)
        edms = self._edms([*(edm for edm, _ in pairs), *(edm for edm, _ in subs)])
        if not edms:
            return
        found = self._require_portfolios(pairs, edms)
        try:
            without = [
                f"{key[0]}/{key[1]}" for key, portfolio in found.items() if not self._accounts(edms, key, portfolio)
            ]
        except MoodysError as error:
            self._api_failed("portfolio accounts", error)
            return
        self._add_if(Code.ACCOUNTS_MISSING, "Base portfolios have no accounts", without)
        existing_subs = self._portfolios_by_edm(subs, edms)
        if existing_subs is not None:
            self._add_if(
                Code.PORTFOLIO_EXISTS,
                "Sub-portfolios already exist",
                [f"{edm}/{name}" for edm, name in subs if (edm, name) in existing_subs],
            )

    def analysis(self, configs: Sequence[Config], configuration: Config) -> None:
        pairs = self._pairs(configs)
        edms = self._edms(edm for edm, _ in pairs)
        if edms:
            self._require_portfolios(pairs, edms)
            self._analysis_treaties(configs, edms)
            self._existing_analyses(configs, edms)
        self.reference_data(configs)

    def _analysis_treaties(self, configs: Sequence[Config], edms: Mapping[str, Edm]) -> None:
        wanted: dict[str, list[str]] = defaultdict(list)
        for config in configs:
            edm_name = _text(config.get(JobField.DATABASE))
            if edm_name in edms:
                wanted[edm_name].extend(column_values(config, ANALYSIS_TREATY_COLUMNS))
        missing: list[str] = []
        try:
            for edm_name, names in wanted.items():
                found = self.api.find_treaties(edms[edm_name].exposure_id, names) if names else {}
                missing.extend(f"{edm_name}/{name}" for name in search.unique(names) if name not in found)
        except MoodysError as error:
            self._api_failed("treaties", error)
            return
        self._add_if(Code.TREATY_MISSING, "Required treaties not found", missing)

    def _existing_analyses(self, configs: Sequence[Config], edms: Mapping[str, Edm]) -> None:
        by_edm: dict[str, list[str]] = defaultdict(list)
        for config in configs:
            if _text(config.get(JobField.DATABASE)) in edms and config.get(AnalysisColumn.ANALYSIS_NAME):
                by_edm[_text(config.get(JobField.DATABASE))].append(_text(config.get(AnalysisColumn.ANALYSIS_NAME)))
        existing: list[str] = []
        try:
            for edm_name, names in by_edm.items():
                found = {analysis.name for analysis in self.api.find_analyses(names, edm_name)}
                existing.extend(f"{edm_name}/{name}" for name in search.unique(names) if name in found)
        except MoodysError as error:
            self._api_failed("analyses", error)
            return
        self._add_if(Code.ANALYSIS_EXISTS, "Analyses already exist", existing)

    def reference_data(self, configs: Sequence[Config]) -> None:
        """§7.3: model/output profiles and event-rate schemes exist (API-REF-001..004)."""
        profiles: dict[str, Any] = {}
        try:
            for name in search.unique(config.get(AnalysisColumn.ANALYSIS_PROFILE) for config in configs):
                profiles[name] = self.api.model_profile(name)
            self._add_if(
                Code.MODEL_PROFILE_MISSING,
                "Model profiles not found in Moody's",
                [name for name, profile in profiles.items() if profile is None],
            )
            outputs = search.unique(config.get(AnalysisColumn.OUTPUT_PROFILE) for config in configs)
            self._add_if(
                Code.OUTPUT_PROFILE_MISSING,
                "Output profiles not found in Moody's",
                [name for name in outputs if self.api.output_profile_id(name) is None],
            )
            missing_rates: list[str] = []
            rate_pairs = {
                (_text(config.get(AnalysisColumn.ANALYSIS_PROFILE)), _text(config.get(AnalysisColumn.EVENT_RATE)))
                for config in configs
                if config.get(AnalysisColumn.EVENT_RATE)
            }
            for profile_name, rate in sorted(rate_pairs):
                profile = profiles.get(profile_name)
                if profile is not None and self.api.event_rate_scheme_id(rate, profile) is None:
                    missing_rates.append(f"{rate} ({self.api.event_rate_filter(rate, profile)})")
            self._add_if(Code.EVENT_RATE_MISSING, "Event rate schemes not found in Moody's", missing_rates)
        except MoodysError as error:
            self._raise_outage(error)
            self._add(Code.REFERENCE_API_ERROR, f"Reference data validation against Moody's API failed: {error}")

    def _missing_members(self, configs: Sequence[Config], rollup: bool) -> None:
        analyses: dict[str | None, list[str]] = defaultdict(list)
        groups: list[str] = []
        unmapped: list[str] = []
        for config in configs:
            group_names = set(config.get(JobField.GROUP_NAMES) or [])
            edm_map: Mapping[str, str] = config.get(JobField.ANALYSIS_EDM_MAP) or {}
            for item in config.get(GROUP_ITEMS_KEY) or []:
                if rollup and item in group_names:
                    groups.append(str(item))
                elif edm_map.get(item):
                    analyses[edm_map[item]].append(str(item))
                else:
                    unmapped.append(str(item))
        try:
            missing = [f"{edm}/{name}" for edm, names in analyses.items() for name in self._absent(names, edm)]
            missing_groups = self._absent_groups(groups)
        except MoodysError as error:
            self._api_failed("group members", error)
            return
        missing.extend(f"?/{name} (no EDM mapping)" for name in search.unique(unmapped))
        self._add_if(
            Code.GROUP_MISSING_WARNING,
            "Child groups not found (will be skipped during grouping)",
            missing_groups,
        )
        self._add_if(Code.ANALYSIS_MISSING_WARNING, "Analyses not found (will be skipped during grouping)", missing)

    def _absent(self, names: Sequence[str], edm_name: str | None) -> list[str]:
        found = {analysis.name for analysis in self.api.find_analyses(names, edm_name)}
        return [name for name in search.unique(names) if name not in found]

    def _absent_groups(self, names: Sequence[str]) -> list[str]:
        found = {group.name for group in self.api.find_groups(names)} if names else set()
        return [name for name in search.unique(names) if name not in found]

    def _existing_groups(self, configs: Sequence[Config]) -> None:
        names = search.unique(config.get(GroupingsColumn.GROUP_NAME) for config in configs)
        try:
            found = {group.name for group in self.api.find_groups(names)} if names else set()
        except MoodysError as error:
            self._api_failed("groups", error)
            return
        self._add_if(Code.GROUP_EXISTS, "Groups already exist", [name for name in names if name in found])

    def grouping(self, configs: Sequence[Config], configuration: Config) -> None:
        self._missing_members(configs, rollup=False)
        self._existing_groups(configs)

    def grouping_rollup(self, configs: Sequence[Config], configuration: Config) -> None:
        self._missing_members(configs, rollup=True)
        self._existing_groups(configs)

    def export_to_rdm(self, configs: Sequence[Config], configuration: Config) -> None:
        groups: list[str] = []
        analyses: dict[str | None, list[str]] = defaultdict(list)
        for config in configs:
            for name in config.get(JobField.ANALYSIS_NAMES) or []:
                (groups if config.get(JobField.IS_GROUP) else analyses[config.get(JobField.EDM_NAME)]).append(str(name))
        try:
            missing_groups = self._absent_groups(groups)
            missing = {edm: self._absent(names, edm) for edm, names in analyses.items()}
        except MoodysError as error:
            self._api_failed("export items", error)
            return
        self._add_if(Code.GROUP_MISSING_WARNING, "Groups not found (will be skipped during export)", missing_groups)
        self._add_if(
            Code.ANALYSIS_MISSING_WARNING,
            "Analyses not found (will be skipped during export)",
            [f"{edm or '?'}/{name}" for edm, names in missing.items() for name in names],
        )
        total = len(search.unique(groups)) + sum(len(search.unique(names)) for names in analyses.values())
        missing_count = len(missing_groups) + sum(len(names) for names in missing.values())
        rdm_name = next(
            (_text(config.get(JobField.RDM_NAME)) for config in configs if config.get(JobField.RDM_NAME)), ""
        )
        if total and missing_count == total:
            self._add(
                Code.RDM_ITEMS_MISSING,
                f"All {total} analyses/groups are missing. "
                f"Cannot create RDM '{rdm_name}' with no valid items to export.",
            )
        seeds = [
            config for config in configs if config.get(JobField.IS_SEED_JOB) and not config.get(JobField.DATABASE_ID)
        ]
        if rdm_name and seeds:
            server_name = _text(seeds[0].get(JobField.SERVER_NAME)) or DEFAULT_SERVER_NAME
            try:
                found = self.api.find_databases(self.api.server_id(server_name), rdm_name)
            except MoodysError as error:
                self._api_failed("RDM", error)
                return
            self._add_if(Code.RDM_EXISTS, "RDM already exists", [str(row["databaseName"]) for row in found])


def sub_portfolio_pairs(configs: Sequence[Config], configuration: Config) -> list[tuple[str, str]]:
    """(EDM, sub-portfolio) pairs expected from mapping the base portfolios of ``configs``:
    ``Portfolios`` rows with the same Database and Import File and ``Base Portfolio?`` = N."""
    keys = {
        (_text(config.get(JobField.DATABASE)), _text(config.get(PortfoliosColumn.IMPORT_FILE))) for config in configs
    }
    return [
        (_text(row.get(PortfoliosColumn.DATABASE)), _text(row.get(PortfoliosColumn.PORTFOLIO)))
        for row in configuration.get(SheetName.PORTFOLIOS) or []
        if _text(row.get(PortfoliosColumn.BASE_PORTFOLIO)).upper() != YES
        and (_text(row.get(PortfoliosColumn.DATABASE)), _text(row.get(PortfoliosColumn.IMPORT_FILE))) in keys
    ]


RULES: dict[BatchType, Callable[[EntityRules, Sequence[Config], Config], None]] = {
    BatchType.EDM_CREATION: EntityRules.edm_creation,
    BatchType.PORTFOLIO_CREATION: EntityRules.portfolio_creation,
    BatchType.MRI_IMPORT: EntityRules.mri_import,
    BatchType.CREATE_REINSURANCE_TREATIES: EntityRules.treaties,
    BatchType.EDM_DB_UPGRADE: EntityRules.edm_upgrade,
    BatchType.GEOHAZ: EntityRules.geohaz,
    BatchType.PORTFOLIO_MAPPING: EntityRules.portfolio_mapping,
    BatchType.ANALYSIS: EntityRules.analysis,
    BatchType.GROUPING: EntityRules.grouping,
    BatchType.GROUPING_ROLLUP: EntityRules.grouping_rollup,
    BatchType.EXPORT_TO_RDM: EntityRules.export_to_rdm,
}


def validate_entities(
    api: MoodysApi,
    resolve_file: FileResolver,
    batch_type: BatchType,
    configs: Sequence[Config],
    configuration: Config,
) -> list[EntityMessage]:
    rule = RULES.get(batch_type)
    if rule is None or not configs:
        return []
    rules = EntityRules(api, resolve_file)
    rule(rules, configs, configuration)
    return rules.messages


# -- "does the entity a FINISHED job created still exist?" (§7.4) ---------------------------------
def entity_exists(api: MoodysApi, batch_type: BatchType, config: Config, configuration: Config) -> bool:
    """True when present (or not checkable: missing name fields); raises on API errors (BUG-11)."""
    edm_name = _text(config.get(JobField.DATABASE))
    if batch_type in (BatchType.GROUPING, BatchType.GROUPING_ROLLUP):
        name = _text(config.get(GroupingsColumn.GROUP_NAME))
        return not name or bool(api.find_groups([name]))
    if batch_type is BatchType.EXPORT_TO_RDM:
        rdm = _text(config.get(JobField.RDM_NAME))
        server = _text(config.get(JobField.SERVER_NAME)) or DEFAULT_SERVER_NAME
        return not rdm or bool(api.find_databases(api.server_id(server), rdm))
    if batch_type not in ENTITY_CHECKS or not edm_name:
        return True
    edms = api.find_edms([edm_name])
    if edm_name not in edms:
        return False
    return ENTITY_CHECKS[batch_type](api, edms[edm_name], config, configuration)


def _portfolio_check(
    check: Callable[[MoodysApi, Edm, Any], bool],
) -> Callable[[MoodysApi, Edm, Config, Config], bool]:
    def run(api: MoodysApi, edm: Edm, config: Config, configuration: Config) -> bool:
        name = _text(config.get(PortfoliosColumn.PORTFOLIO))
        if not name:
            return True
        portfolio = api.find_portfolios(edm.exposure_id, [name]).get(name)
        return portfolio is not None and check(api, edm, portfolio)

    return run


def _major(version: Any) -> str:
    return _text(version).split(".", 1)[0]


def _treaty_present(api: MoodysApi, edm: Edm, config: Config, configuration: Config) -> bool:
    name = _text(config.get(TreatyColumn.TREATY_NAME))
    return not name or name in api.find_treaties(edm.exposure_id, [name])


def _analysis_present(api: MoodysApi, edm: Edm, config: Config, configuration: Config) -> bool:
    name = _text(config.get(AnalysisColumn.ANALYSIS_NAME))
    return not name or bool(api.find_analyses([name], edm.name))


def _subs_present(api: MoodysApi, edm: Edm, config: Config, configuration: Config) -> bool:
    subs = [name for edm_name, name in sub_portfolio_pairs([config], configuration) if edm_name == edm.name]
    return not subs or len(api.find_portfolios(edm.exposure_id, subs)) == len(set(subs))


ENTITY_CHECKS: dict[BatchType, Callable[[MoodysApi, Edm, Config, Config], bool]] = {
    BatchType.EDM_CREATION: lambda api, edm, config, configuration: True,
    BatchType.PORTFOLIO_CREATION: _portfolio_check(lambda api, edm, portfolio: True),
    BatchType.CREATE_REINSURANCE_TREATIES: _treaty_present,
    BatchType.MRI_IMPORT: _portfolio_check(
        lambda api, edm, portfolio: bool(api.accounts(edm.exposure_id, portfolio.portfolio_id))
    ),
    BatchType.EDM_DB_UPGRADE: lambda api, edm, config, configuration: (
        _major(edm.data_version) == _major(config.get(JobField.TARGET_EDM_VERSION))
    ),
    BatchType.GEOHAZ: _portfolio_check(
        lambda api, edm, portfolio: bool(portfolio.geocode_version and portfolio.hazard_version)
    ),
    BatchType.PORTFOLIO_MAPPING: _subs_present,
    BatchType.ANALYSIS: _analysis_present,
}


# -- deletes (§4.10, §4.11) -------------------------------------------------------------------------
def delete_analyses(api: MoodysApi, analyses: Sequence[tuple[str, str]]) -> list[str]:
    errors: list[str] = []
    for name, edm_name in analyses:
        if not name or not edm_name:
            errors.append(f"Invalid job info - missing analysis_name or edm: {(name, edm_name)}")
            continue
        try:
            found = api.find_analyses([name], edm_name)
            if not found:
                errors.append(f"{name} ({edm_name}): Analysis not found in Moody's")
                continue
            api.delete_analysis(found[0].analysis_id)
        except MoodysUnavailableError:
            raise  # retried by the task, not reported as a failed delete
        except MoodysError as error:
            errors.append(f"{name} ({edm_name}): {error}")
    return errors


def delete_groups(api: MoodysApi, group_names: Sequence[str]) -> list[str]:
    errors: list[str] = []
    for name in group_names:
        if not name:
            errors.append(f"Invalid job info - missing group_name: {name!r}")
            continue
        try:
            found = api.find_groups([name])
            if not found:
                errors.append(f"{name}: Group not found in Moody's")
                continue
            api.delete_analysis(found[0].analysis_id)
        except MoodysUnavailableError:
            raise
        except MoodysError as error:
            errors.append(f"{name}: {error}")
    return errors


def delete_rdms(
    api: MoodysApi,
    rdm_names: Sequence[str],
    server_name: str,
    wait: Callable[[float], None],
    poll_seconds: float,
    timeout_seconds: float,
) -> list[str]:
    """Delete each RDM (the one database named ``<rdm name>*``) and wait for the Data Bridge job."""
    errors: list[str] = []
    for name in rdm_names:
        try:
            found = api.find_databases(api.server_id(server_name), name)
            if len(found) != 1:
                errors.append(f"{name}: expected 1 RDM database named '{name}*', found {len(found)}")
                continue
            job_id = api.delete_database(server_name, str(found[0]["databaseName"]))
            waited = 0.0
            status = api.databridge_job_status(job_id)
            while DataBridgeStatus.in_progress(status) and waited < timeout_seconds:
                wait(poll_seconds)
                waited += poll_seconds
                status = api.databridge_job_status(job_id)
            if status != DataBridgeStatus.SUCCEEDED:
                errors.append(f"{name}: Data Bridge delete job {job_id} ended '{status}'")
        except MoodysUnavailableError:
            raise
        except MoodysError as error:
            errors.append(f"{name}: {error}")
    return errors
