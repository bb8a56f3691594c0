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

from irp.batch_types import entry
from irp.configuration.jobs import cell_text
from irp.configuration.specs import (
    AnalysisSpec,
    EdmCreationSpec,
    EdmDbUpgradeSpec,
    ExportSpec,
    GeoHazSpec,
    GroupingSpec,
    JobSpec,
    MriImportSpec,
    PortfolioCreationSpec,
    PortfolioMappingSpec,
    S,
    TreatySpec,
    typed,
)
from irp.constants import BatchType
from irp.moodys import search
from irp.moodys.api import DEFAULT_SERVER_NAME, DataBridgeStatus, Edm, MoodysApi
from irp.moodys.errors import MoodysError, MoodysUnavailableError
from irp.moodys.jobs import MRI_FILE_FIELDS, FileResolver
from irp.moodys.protocol import EntityMessage


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
    def _pairs(jobs: Sequence[Any], name: str = "portfolio") -> list[tuple[str, str]]:
        """(EDM, entity name) of each job that names one (``name``: the spec field)."""
        return [(cell_text(job.database), cell_text(getattr(job, name))) for job in jobs if getattr(job, name)]

    # -- rules per batch type -------------------------------------------------------------------
    def edm_creation(self, jobs: Sequence[JobSpec]) -> None:
        configs = _all(jobs, EdmCreationSpec)
        try:
            if self.api.find_server(DEFAULT_SERVER_NAME) is None:
                self._add(Code.SERVER_MISSING, f"Database server '{DEFAULT_SERVER_NAME}' not found")
            names = search.unique(config.database for config in configs)
            existing = self.api.find_edms(names)
        except MoodysError as error:
            self._api_failed("EDMs", error)
            return
        self._add_if(Code.EDM_EXISTS, "EDMs already exist", [name for name in names if name in existing])

    def edm_upgrade(self, jobs: Sequence[JobSpec]) -> None:
        self._edms(config.database for config in _all(jobs, EdmDbUpgradeSpec))

    def portfolio_creation(self, jobs: Sequence[JobSpec]) -> None:
        pairs = self._pairs(_all(jobs, PortfolioCreationSpec))
        edms = self._edms(edm for edm, _ in pairs)
        if edms is None:
            return
        found = self._portfolios_by_edm(pairs, edms)
        if found is not None:
            existing = [f"{edm}/{name}" for edm, name in dict.fromkeys(pairs) if (edm, name) in found]
            self._add_if(Code.PORTFOLIO_EXISTS, "Portfolios already exist", existing)

    def mri_import(self, jobs: Sequence[JobSpec]) -> None:
        configs = _all(jobs, MriImportSpec)
        missing_files: list[str] = []
        for config in configs:
            for field in MRI_FILE_FIELDS.values():
                key = config.keys()[field]
                name = cell_text(getattr(config, field))
                try:
                    path = self.resolve_file(config.data_directory, name) if name else None
                except (OSError, ValueError) as error:
                    missing_files.append(f"{name or key} (cannot resolve the data directory: {error})")
                    continue
                if path is None or not path.is_file():
                    missing_files.append(str(path) if path else f"{config.portfolio}: no {key}")
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

    def treaties(self, jobs: Sequence[JobSpec]) -> None:
        pairs = self._pairs(_all(jobs, TreatySpec), name="treaty_name")
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

    def geohaz(self, jobs: Sequence[JobSpec]) -> None:
        pairs = self._pairs(_all(jobs, GeoHazSpec))
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

    def portfolio_mapping(self, jobs: Sequence[JobSpec]) -> None:
        configs = _all(jobs, PortfolioMappingSpec)
        pairs = self._pairs(configs)
        subs = sub_portfolio_pairs(configs)
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

    def analysis(self, jobs: Sequence[JobSpec]) -> None:
        configs = _all(jobs, AnalysisSpec)
        pairs = self._pairs(configs)
        edms = self._edms(edm for edm, _ in pairs)
        if edms:
            self._require_portfolios(pairs, edms)
            self._analysis_treaties(configs, edms)
            self._existing_analyses(configs, edms)
        self.reference_data(configs)

    def _analysis_treaties(self, configs: Sequence[AnalysisSpec], edms: Mapping[str, Edm]) -> None:
        wanted: dict[str, list[str]] = defaultdict(list)
        for config in configs:
            edm_name = cell_text(config.database)
            if edm_name in edms:
                wanted[edm_name].extend(config.treaties)
        missing: list[str] = []
        try:
            for edm_name, names in wanted.items():
                found = self.api.find_treaties(edms[edm_name].exposure_id, names) if names else {}
                missing.extend(f"{edm_name}/{name}" for name in search.unique(names) if name not in found)
        except MoodysError as error:
            self._api_failed("treaties", error)
            return
        self._add_if(Code.TREATY_MISSING, "Required treaties not found", missing)

    def _existing_analyses(self, configs: Sequence[AnalysisSpec], edms: Mapping[str, Edm]) -> None:
        by_edm: dict[str, list[str]] = defaultdict(list)
        for config in configs:
            if cell_text(config.database) in edms and config.analysis_name:
                by_edm[cell_text(config.database)].append(cell_text(config.analysis_name))
        existing: list[str] = []
        try:
            for edm_name, names in by_edm.items():
                found = {analysis.name for analysis in self.api.find_analyses(names, edm_name)}
                existing.extend(f"{edm_name}/{name}" for name in search.unique(names) if name in found)
        except MoodysError as error:
            self._api_failed("analyses", error)
            return
        self._add_if(Code.ANALYSIS_EXISTS, "Analyses already exist", existing)

    def reference_data(self, configs: Sequence[AnalysisSpec]) -> None:
        """§7.3: model/output profiles and event-rate schemes exist (API-REF-001..004)."""
        profiles: dict[str, Any] = {}
        try:
            for name in search.unique(config.analysis_profile for config in configs):
                profiles[name] = self.api.model_profile(name)
            self._add_if(
                Code.MODEL_PROFILE_MISSING,
                "Model profiles not found in Moody's",
                [name for name, profile in profiles.items() if profile is None],
            )
            outputs = search.unique(config.output_profile for config in configs)
            self._add_if(
                Code.OUTPUT_PROFILE_MISSING,
                "Output profiles not found in Moody's",
                [name for name in outputs if self.api.output_profile_id(name) is None],
            )
            missing_rates: list[str] = []
            rate_pairs = {
                (cell_text(config.analysis_profile), cell_text(config.event_rate))
                for config in configs
                if config.event_rate
            }
            for profile_name, rate in sorted(rate_pairs):
                profile = profiles.get(profile_name)
                if profile is not None and self.api.event_rate_scheme_id(rate, profile) is None:
                    missing_rates.append(f"{rate} ({self.api.event_rate_filter(rate, profile)})")
            self._add_if(Code.EVENT_RATE_MISSING, "Event rate schemes not found in Moody's", missing_rates)
        except MoodysError as error:
            self._raise_outage(error)
            self._add(Code.REFERENCE_API_ERROR, f"Reference data validation against Moody's API failed: {error}")

    def _missing_members(self, configs: Sequence[GroupingSpec], rollup: bool) -> None:
        analyses: dict[str | None, list[str]] = defaultdict(list)
        groups: list[str] = []
        unmapped: list[str] = []
        for config in configs:
            group_names = set(config.group_names or [])
            edm_map: Mapping[str, str] = config.analysis_edm_map or {}
            for item in config.items or []:
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

    def _existing_groups(self, configs: Sequence[GroupingSpec]) -> None:
        names = search.unique(config.group_name for config in configs)
        try:
            found = {group.name for group in self.api.find_groups(names)} if names else set()
        except MoodysError as error:
            self._api_failed("groups", error)
            return
        self._add_if(Code.GROUP_EXISTS, "Groups already exist", [name for name in names if name in found])

    def grouping(self, jobs: Sequence[JobSpec]) -> None:
        configs = _all(jobs, GroupingSpec)
        self._missing_members(configs, rollup=False)
        self._existing_groups(configs)

    def grouping_rollup(self, jobs: Sequence[JobSpec]) -> None:
        configs = _all(jobs, GroupingSpec)
        self._missing_members(configs, rollup=True)
        self._existing_groups(configs)

    def export_to_rdm(self, jobs: Sequence[JobSpec]) -> None:
        configs = _all(jobs, ExportSpec)
        groups: list[str] = []
        analyses: dict[str | None, list[str]] = defaultdict(list)
        for config in configs:
            for name in config.analysis_names or []:
                (groups if config.is_group else analyses[config.edm_name]).append(str(name))
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
        rdm_name = next((cell_text(config.rdm_name) for config in configs if config.rdm_name), "")
        if total and missing_count == total:
            self._add(
                Code.RDM_ITEMS_MISSING,
                f"All {total} analyses/groups are missing. "
                f"Cannot create RDM '{rdm_name}' with no valid items to export.",
            )
        seeds = [config for config in configs if config.is_seed_job and not config.database_id]
        if rdm_name and seeds:
            server_name = cell_text(seeds[0].server_name) or DEFAULT_SERVER_NAME
            try:
                found = self.api.find_databases(self.api.server_id(server_name), rdm_name)
            except MoodysError as error:
                self._api_failed("RDM", error)
                return
            self._add_if(Code.RDM_EXISTS, "RDM already exists", [str(row["databaseName"]) for row in found])


def _all(jobs: Sequence[JobSpec], kind: type[S]) -> list[S]:
    return [typed(job, kind) for job in jobs]


def sub_portfolio_pairs(configs: Sequence[PortfolioMappingSpec]) -> list[tuple[str, str]]:
    """(EDM, sub-portfolio) pairs expected from mapping the base portfolios of ``configs`` (each
    spec lists the workbook's sub-portfolios of its database and import file)."""
    return list(dict.fromkeys((cell_text(config.database), sub) for config in configs for sub in config.sub_portfolios))


def validate_entities(
    api: MoodysApi, resolve_file: FileResolver, batch_type: BatchType, jobs: Sequence[JobSpec]
) -> list[EntityMessage]:
    rule = entry(batch_type).validate
    if rule is None or not jobs:
        return []
    rules = EntityRules(api, resolve_file)
    rule(rules, jobs)
    return rules.messages


# -- "does the entity a FINISHED job created still exist?" (§7.4) ---------------------------------
def entity_exists(api: MoodysApi, batch_type: BatchType, job: JobSpec) -> bool:
    """True when present (or not checkable: missing name fields); raises on API errors (BUG-11)."""
    check = entry(batch_type).entity_exists
    return True if check is None else bool(check(api, job))


EdmCheck = Callable[[MoodysApi, Edm, Any], bool]
EntityCheck = Callable[[MoodysApi, JobSpec], bool]


def _in_edm(check: EdmCheck) -> EntityCheck:
    """A check of something inside the job's EDM (its spec's ``database``): absent when the EDM is."""

    def run(api: MoodysApi, job: JobSpec) -> bool:
        edm_name = cell_text(getattr(job, "database", None))
        if not edm_name:
            return True
        edms = api.find_edms([edm_name])
        return edm_name in edms and check(api, edms[edm_name], job)

    return run


def _in_portfolio(check: Callable[[MoodysApi, Edm, Any], bool]) -> EntityCheck:
    def run(api: MoodysApi, edm: Edm, job: Any) -> bool:
        name = cell_text(job.portfolio)
        if not name:
            return True
        portfolio = api.find_portfolios(edm.exposure_id, [name]).get(name)
        return portfolio is not None and check(api, edm, portfolio)

    return _in_edm(run)


def _major(version: Any) -> str:
    return cell_text(version).split(".", 1)[0]


@_in_edm
def edm_present(api: MoodysApi, edm: Edm, job: EdmCreationSpec) -> bool:
    return True


@_in_edm
def edm_upgraded(api: MoodysApi, edm: Edm, job: EdmDbUpgradeSpec) -> bool:
    return _major(edm.data_version) == _major(job.target_edm_version)


portfolio_present = _in_portfolio(lambda api, edm, portfolio: True)
accounts_present = _in_portfolio(
    lambda api, edm, portfolio: bool(api.accounts(edm.exposure_id, portfolio.portfolio_id))
)
geohaz_done = _in_portfolio(lambda api, edm, portfolio: bool(portfolio.geocode_version and portfolio.hazard_version))


@_in_edm
def treaty_present(api: MoodysApi, edm: Edm, job: TreatySpec) -> bool:
    name = cell_text(job.treaty_name)
    return not name or name in api.find_treaties(edm.exposure_id, [name])


@_in_edm
def analysis_present(api: MoodysApi, edm: Edm, job: AnalysisSpec) -> bool:
    name = cell_text(job.analysis_name)
    return not name or bool(api.find_analyses([name], edm.name))


@_in_edm
def subs_present(api: MoodysApi, edm: Edm, job: PortfolioMappingSpec) -> bool:
    subs = [name for edm_name, name in sub_portfolio_pairs([job]) if edm_name == edm.name]
    return not subs or len(api.find_portfolios(edm.exposure_id, subs)) == len(set(subs))


def group_present(api: MoodysApi, job: JobSpec) -> bool:
    name = cell_text(typed(job, GroupingSpec).group_name)
    return not name or bool(api.find_groups([name]))


def rdm_present(api: MoodysApi, job: JobSpec) -> bool:
    export = typed(job, ExportSpec)
    rdm = cell_text(export.rdm_name)
    server = cell_text(export.server_name) or DEFAULT_SERVER_NAME
    return not rdm or bool(api.find_databases(api.server_id(server), rdm))


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
