"""Typed calls of the Moody's endpoints the batch types use (contract §3-§4), on the sync client.

Paths are written as the reference client sends them. Name look-ups that must find exactly one
entity raise :class:`MoodysLookupError`; searches return every match (paginated).

Look-ups and searches of entities and reference data keep what they find in the API's
:class:`~irp.moodys.references.References` and answer from it when asked again; looking up to
create (exposure sets, tags) always asks. A delete forgets everything kept. A rehearsal API
(``rehearsal=True``) raises :class:`FirstWrite` instead of sending a write.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from irp.moodys import search
from irp.moodys.errors import MoodysError, MoodysLookupError, MoodysProtocolError
from irp.moodys.paths import ApiPath
from irp.moodys.references import Kind, References, Rows
from irp.moodys.transport import HttpMethod, MoodysClient, MoodysRequest, MoodysResponse

DEFAULT_SERVER_NAME = "databridge-1"
#: Fallback currency when the vintage look-up fails (contract §3.9 step 9).
FALLBACK_CURRENCY = {"asOfDate": "2025-05-28", "code": "USD", "scheme": "RMS", "vintage": "RL25"}
GROUP_ENGINE_TYPE = "Group"
PORTFOLIO_NUMBER_LIMIT = 20
REFERENCE_PAGE_SIZE = 500
#: Query of the simulation-set table, as the reference client sends it.
SIMULATION_SET_PARAMS = {"isActive": True, "isActivePEQ": True, "sort": "id", "sortOrder": 1, "where": "isActive=true"}


class AnalysisType(StrEnum):
    """Model job types: detailed loss model (ELT results) or high definition (PLT results)."""

    DLM = "DLM"
    HD = "HD"


class Framework(StrEnum):
    """Loss framework of an analysis: event loss table or period loss table."""

    ELT = "ELT"
    PLT = "PLT"


class DataBridgeStatus(StrEnum):
    """Plain-text statuses of Data Bridge jobs; anything else is a failure (contract §2.2)."""

    ENQUEUED = "Enqueued"
    PROCESSING = "Processing"
    SUCCEEDED = "Succeeded"

    @classmethod
    def in_progress(cls, text: str) -> bool:
        return text in (cls.ENQUEUED, cls.PROCESSING)


@dataclass(frozen=True)
class Edm:
    exposure_id: int
    name: str
    database_name: str
    uri: str
    data_version: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Edm:
        return cls(
            int(row["exposureId"]),
            str(row["exposureName"]),
            str(row.get("databaseName") or ""),
            str(row.get("uri") or ""),
            str((row.get("metrics") or {}).get("dataVersion") or ""),
        )


@dataclass(frozen=True)
class Portfolio:
    portfolio_id: int
    name: str
    uri: str
    geocode_version: str
    hazard_version: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Portfolio:
        return cls(
            int(row["portfolioId"]),
            str(row["portfolioName"]),
            str(row.get("uri") or ""),
            str(row.get("geocodeVersion") or ""),
            str(row.get("hazardVersion") or ""),
        )


@dataclass(frozen=True)
class Analysis:
    analysis_id: int
    name: str
    exposure_name: str
    uri: str
    engine_type: str
    framework: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Analysis:
        return cls(
            int(row["analysisId"]),
            str(row["analysisName"]),
            str(row.get("exposureName") or ""),
            str(row.get("uri") or ""),
            str(row.get("engineType") or ""),
            str(row.get("analysisFramework") or ""),
        )

    @property
    def is_plt(self) -> bool:
        return self.framework == Framework.PLT

    @property
    def is_group(self) -> bool:
        return self.engine_type == GROUP_ENGINE_TYPE


@dataclass(frozen=True)
class ModelProfile:
    profile_id: int
    name: str
    software_version: str
    peril_code: str
    region_code: str

    @property
    def analysis_type(self) -> AnalysisType:
        """HD when the software version says so (``HDv2.0``), else DLM (contract §3.9 step 5)."""
        return AnalysisType.HD if AnalysisType.HD in self.software_version.upper() else AnalysisType.DLM


class FirstWrite(Exception):
    """A rehearsal reached its first write: everything before it was a look-up."""


class MoodysApi:
    """Endpoint-level operations on a :class:`MoodysClient`.

    :param references: answers kept from earlier look-ups (a batch's, handed to a job task);
        by default this API's own, empty.
    :param rehearsal: raise :class:`FirstWrite` at the first write instead of sending it.
    """

    def __init__(self, client: MoodysClient, references: References | None = None, *, rehearsal: bool = False) -> None:
        self.client = client
        self.references = references if references is not None else References()
        self.rehearsal = rehearsal

    # -- primitives ------------------------------------------------------------------------------
    def get(self, path: str, params: dict[str, Any] | None = None) -> MoodysResponse:
        return self.client.request(MoodysRequest(HttpMethod.GET, path, params=params))

    def _write(self, request: MoodysRequest) -> MoodysResponse:
        if self.rehearsal:
            raise FirstWrite(f"{request.method} {request.path}")
        return self.client.request(request)

    def post(self, path: str, body: Any, request_id: str | None) -> MoodysResponse:
        return self._write(MoodysRequest(HttpMethod.POST, path, json_body=body, request_id=request_id))

    def patch(self, path: str, body: Any) -> MoodysResponse:
        return self._write(MoodysRequest(HttpMethod.PATCH, path, json_body=body))

    def delete(self, path: str) -> MoodysResponse:
        response = self._write(MoodysRequest(HttpMethod.DELETE, path))
        self.references.forget()  # what was found may be what was just deleted
        return response

    def _looking_up_to_create(self, path: ApiPath) -> None:
        """A look-up that may end in a create is part of the write: a rehearsal ends there."""
        if self.rehearsal:
            raise FirstWrite(f"look up or create {path}")

    def _answer(self, kind: Kind, key: tuple[Any, ...], fetch: Callable[[], Rows]) -> Rows:
        return self.references.answer(kind, key, fetch)

    def _named(
        self, kind: Kind, scope: tuple[Any, ...], names: Sequence[str], name_field: str,
        fetch: Callable[[Sequence[str]], list[dict[str, Any]]],
    ) -> dict[str, Rows]:  # fmt: skip
        """Rows by name: kept answers, and chunked searches (``fetch``) for the other names."""
        found: dict[str, Rows] = {}
        unknown: list[str] = []
        for name in search.unique(names):
            rows = self.references.get(kind, *scope, name)
            if rows is None:
                unknown.append(name)
            else:
                found[name] = rows
        if unknown:
            grouped: dict[str, Rows] = defaultdict(list)
            for row in fetch(unknown):
                grouped[str(row[name_field])].append(row)
            for name, rows in grouped.items():
                self.references.put(kind, *scope, name, rows=rows)
                found.setdefault(name, rows)
        return found

    def search(self, path: str, filter_: str | None = None, paged: bool = True) -> list[dict[str, Any]]:
        """Every row of a list search (paginated unless ``paged`` is False)."""
        if not paged:
            return self.get(path, {"filter": filter_}).json_list()
        return search.paginate(
            lambda limit, offset: self.get(path, {"limit": limit, "offset": offset, "filter": filter_}).json_list(),
            what=path,
        )

    def search_chunked(
        self, path: str, prop: str, names: Sequence[str], extra_clause: str = ""
    ) -> list[dict[str, Any]]:
        """Rows whose ``prop`` is one of ``names``, searched in ``IN`` chunks."""
        rows: list[dict[str, Any]] = []

        def render(chunk: Sequence[str]) -> str:
            return search.and_(search.in_(prop, chunk), extra_clause)

        for chunk in search.chunk_names(search.unique(names), render):
            rows.extend(self.search(path, render(chunk)))
        return rows

    # -- servers, EDMs, portfolios ---------------------------------------------------------------
    def find_server(self, server_name: str = DEFAULT_SERVER_NAME) -> dict[str, Any] | None:
        filter_ = f"serverName={search.quote(server_name)}"
        rows = self._answer(Kind.SERVER, (server_name,), lambda: self.search(ApiPath.DATASERVERS, filter_, paged=False))
        return rows[0] if rows else None

    def server_id(self, server_name: str = DEFAULT_SERVER_NAME) -> int:
        server = self.find_server(server_name)
        if server is None:
            raise MoodysLookupError(f"Database server '{server_name}' not found")
        return int(server["serverId"])

    def get_or_create_exposure_set(self, name: str, request_id: str) -> int:
        self._looking_up_to_create(ApiPath.EXPOSURE_SETS)
        rows = self.search(ApiPath.EXPOSURE_SETS, f"exposureSetName={search.quote(name)}", paged=False)
        if rows:
            return int(rows[0]["exposureSetId"])
        return self.post(ApiPath.EXPOSURE_SETS, {"exposureSetName": name}, request_id).location_id()

    def find_edms(self, names: Sequence[str]) -> dict[str, Edm]:
        """Found EDMs by name (first match per name)."""
        rows = self._named(
            Kind.EDM, (), names, "exposureName",
            lambda chunk: self.search_chunked(ApiPath.EXPOSURES, "exposureName", chunk),
        )  # fmt: skip
        return {name: Edm.from_row(found[0]) for name, found in rows.items()}

    def edm(self, name: str) -> Edm:
        rows = self._answer(Kind.EDM, (name,), lambda: self.search(ApiPath.EXPOSURES, search.eq("exposureName", name)))
        if len(rows) != 1:
            raise MoodysLookupError(f"Expected 1 EDM named '{name}', found {len(rows)}")
        return Edm.from_row(rows[0])

    def find_portfolios(self, exposure_id: int, names: Sequence[str]) -> dict[str, Portfolio]:
        path = ApiPath.PORTFOLIOS.at(exposure_id=exposure_id)
        rows = self._named(
            Kind.PORTFOLIO, (exposure_id,), names, "portfolioName",
            lambda chunk: self.search_chunked(path, "portfolioName", chunk),
        )  # fmt: skip
        return {name: Portfolio.from_row(found[0]) for name, found in rows.items()}

    def portfolio(self, edm: Edm, name: str) -> Portfolio:
        path = ApiPath.PORTFOLIOS.at(exposure_id=edm.exposure_id)
        rows = self._answer(
            Kind.PORTFOLIO, (edm.exposure_id, name), lambda: self.search(path, search.eq("portfolioName", name))
        )
        if not rows:
            raise MoodysLookupError(f"Portfolio '{name}' not found in EDM '{edm.name}'")
        if len(rows) > 1:
            raise MoodysLookupError(f"{len(rows)} portfolios named '{name}' in EDM '{edm.name}'; use a unique name")
        return Portfolio.from_row(rows[0])

    def create_portfolio(self, exposure_id: int, name: str, description: str, request_id: str) -> int:
        """Create a portfolio (number = name, at most 20 characters); returns its id."""
        body = {"portfolioName": name, "portfolioNumber": name[:PORTFOLIO_NUMBER_LIMIT], "description": description}
        return self.post(ApiPath.PORTFOLIOS.at(exposure_id=exposure_id), body, request_id).location_id()

    def add_accounts(self, exposure_id: int, portfolio_id: int, account_ids: Sequence[int]) -> dict[str, Any]:
        """``PATCH …/portfolios/{id}/accounts`` (contract §3.8, the API alternative to mapping SQL)."""
        path = ApiPath.PORTFOLIO_ACCOUNTS.at(exposure_id=exposure_id, portfolio_id=portfolio_id)
        return self.patch(path, {"accountsToAdd": list(account_ids), "accountsToRemove": []}).json_object()

    def accounts(self, exposure_id: int, portfolio_id: int) -> list[dict[str, Any]]:
        path = ApiPath.PORTFOLIO_ACCOUNTS.at(exposure_id=exposure_id, portfolio_id=portfolio_id)
        return self._answer(Kind.ACCOUNTS, (exposure_id, portfolio_id), lambda: self.get(path).json_list())

    def cedants(self, exposure_id: int) -> list[dict[str, Any]]:
        path = ApiPath.CEDANTS.at(exposure_id=exposure_id)
        return self._answer(Kind.CEDANTS, (exposure_id,), lambda: self.get(path).json_list())

    def lobs(self, exposure_id: int) -> list[dict[str, Any]]:
        path = ApiPath.LOBS.at(exposure_id=exposure_id)
        return self._answer(Kind.LOBS, (exposure_id,), lambda: self.get(path).json_list())

    def find_treaties(self, exposure_id: int, names: Sequence[str]) -> dict[str, int]:
        path = ApiPath.TREATIES.at(exposure_id=exposure_id)
        rows = self._named(
            Kind.TREATY, (exposure_id,), names, "treatyName",
            lambda chunk: self.search_chunked(path, "treatyName", chunk),
        )  # fmt: skip
        return {name: int(found[-1]["treatyId"]) for name, found in rows.items()}

    # -- analyses and groups ---------------------------------------------------------------------
    def find_analyses(self, names: Sequence[str], edm_name: str | None = None) -> list[Analysis]:
        """Analyses named in ``names`` (in EDM ``edm_name`` when given)."""
        clause = search.eq("exposureName", edm_name) if edm_name else ""
        return self._analyses(Kind.ANALYSIS, (edm_name or "",), names, clause)

    def find_groups(self, names: Sequence[str]) -> list[Analysis]:
        return self._analyses(Kind.GROUP, (), names, search.eq("engineType", GROUP_ENGINE_TYPE))

    def _analyses(self, kind: Kind, scope: tuple[Any, ...], names: Sequence[str], clause: str) -> list[Analysis]:
        rows = self._named(
            kind, scope, names, "analysisName",
            lambda chunk: self.search_chunked(ApiPath.ANALYSES, "analysisName", chunk, clause),
        )  # fmt: skip
        return [Analysis.from_row(row) for name in search.unique(names) for row in rows.get(name, [])]

    def delete_analysis(self, analysis_id: int) -> None:
        self.delete(ApiPath.ANALYSIS.at(analysis_id=analysis_id))

    def analysis_regions(self, analysis_id: int) -> list[dict[str, Any]]:
        path = ApiPath.ANALYSIS_REGIONS.at(analysis_id=analysis_id)
        return self._answer(Kind.ANALYSIS_REGIONS, (analysis_id,), lambda: self.get(path).json_list())

    # -- reference data --------------------------------------------------------------------------
    def _first_item(self, path: ApiPath, params: dict[str, Any]) -> Rows:
        """The first item of a counted envelope (``{"count", "items"}``), or none."""
        envelope = self.get(path, params).json_object()
        items = envelope.get("items") or []
        return items[:1] if envelope.get("count") else []

    def model_profile(self, name: str) -> ModelProfile | None:
        rows = self._answer(
            Kind.MODEL_PROFILE, (name,), lambda: self._first_item(ApiPath.MODEL_PROFILES, {"name": name})
        )
        if not rows:
            return None
        item = rows[0]
        return ModelProfile(
            int(item["id"]),
            str(item["name"]),
            str(item.get("softwareVersionCode") or ""),
            str(item.get("perilCode") or ""),
            str(item.get("modelRegionCode") or ""),
        )

    def output_profile_id(self, name: str) -> int | None:
        rows = self._answer(
            Kind.OUTPUT_PROFILE, (name,), lambda: self.get(ApiPath.OUTPUT_PROFILES, {"name": name}).json_list()[:1]
        )
        return int(rows[0]["id"]) if rows else None

    @staticmethod
    def event_rate_filter(name: str, profile: ModelProfile) -> str:
        return search.and_(
            f"eventRateSchemeName={search.quote(name)}",
            f"perilCode={search.quote(profile.peril_code)}" if profile.peril_code else "",
            f"modelRegionCode={search.quote(profile.region_code)}" if profile.region_code else "",
        )

    def event_rate_scheme_id(self, name: str, profile: ModelProfile) -> int | None:
        where = self.event_rate_filter(name, profile)
        rows = self._answer(
            Kind.EVENT_RATE_SCHEME, (where,), lambda: self._first_item(ApiPath.EVENT_RATE_SCHEMES, {"where": where})
        )
        return int(rows[0]["eventRateSchemeId"]) if rows else None

    def active_event_rate_schemes(self) -> list[dict[str, Any]]:
        """Every active scheme; fewer rows than ``totalCount`` is an error (0.12.0 check)."""

        def fetch() -> Rows:
            envelope = self.get(ApiPath.EVENT_RATE_SCHEMES, {"where": "isActive=True"}).json_object()
            items = list(envelope.get("items") or [])
            if int(envelope.get("totalCount") or len(items)) > len(items):
                raise MoodysProtocolError(f"Event rate schemes: {len(items)} of {envelope['totalCount']} rows returned")
            return items

        return self._answer(Kind.REFERENCE_TABLE, (ApiPath.EVENT_RATE_SCHEMES,), fetch)

    def reference_rows(self, path: ApiPath, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """All rows of a paginated reference table (pages of 500)."""

        def page(limit: int, offset: int) -> list[Any]:
            envelope = self.get(path, {**(params or {}), "limit": limit, "offset": offset}).json_object()
            return list(envelope.get("items") or [])

        key = (path, json.dumps(params or {}, sort_keys=True))
        return self._answer(
            Kind.REFERENCE_TABLE, key, lambda: search.paginate(page, limit=REFERENCE_PAGE_SIZE, what=path)
        )

    def currency(self, name: str) -> dict[str, Any]:
        params = {"where": f"currencyName={search.quote(name)}"}
        items = self._answer(
            Kind.CURRENCY, (name,), lambda: list(self.get(ApiPath.CURRENCIES, params).json_object().get("items") or [])
        )
        if not items:
            raise MoodysLookupError(f"Currency '{name}' not found")
        item = items[0]
        return {"id": item["currencyId"], "code": item["currencyCode"], "name": item["currencyName"]}

    def analysis_currency(self) -> dict[str, Any]:
        """Latest RMS currency vintage; the documented fallback when the look-up fails."""
        params = {"where": 'currencySchemeCode="RMS"'}
        try:
            items = self._answer(
                Kind.CURRENCY_VINTAGES, (),
                lambda: list(self.get(ApiPath.CURRENCY_VINTAGES, params).json_object().get("items") or []),
            )  # fmt: skip
        except MoodysError:
            return dict(FALLBACK_CURRENCY)
        if not items:
            return dict(FALLBACK_CURRENCY)
        latest = max(items, key=lambda item: str(item.get("effectiveDate") or ""))
        return {
            "asOfDate": str(latest["effectiveDate"])[:10],
            "code": "USD",
            "scheme": latest.get("currencySchemeCode") or "RMS",
            "vintage": latest["vintage"],
        }

    def tag_id(self, name: str, request_id: str) -> int:
        self._looking_up_to_create(ApiPath.TAGS)
        rows = self.get(ApiPath.TAGS, {"isActive": True, "filter": f"TAGNAME = '{name}'"}).json_list()
        if rows:
            return int(rows[0]["tagId"])
        return self.post(ApiPath.TAGS, {"tagName": name}, request_id).location_id()

    # -- RDMs ------------------------------------------------------------------------------------
    def rdm_database(self, server_id: int, rdm_name: str) -> tuple[int, str]:
        """(databaseId, full name) of the one database an export named ``rdm_name`` created."""
        rows = self.find_databases(server_id, rdm_name)
        if len(rows) != 1:
            raise MoodysLookupError(f"Expected 1 RDM database named '{rdm_name}*', found {len(rows)}")
        return int(rows[0]["databaseId"]), str(rows[0]["databaseName"])

    def find_databases(self, server_id: int, prefix: str) -> list[dict[str, Any]]:
        path = ApiPath.DATABASES.at(server_id=server_id)
        return self._answer(
            Kind.RDM, (server_id, prefix), lambda: self.search(path, search.like_prefix("databaseName", prefix))
        )

    def delete_database(self, server_name: str, database_name: str) -> str:
        """Start a Data Bridge delete of a database; returns the Data Bridge job id."""
        path = ApiPath.DATABRIDGE_DATABASE.at(server_name=server_name, database_name=database_name)
        return str(self.delete(path).json_object()["jobId"])

    def databridge_job_status(self, job_id: str) -> str:
        """The raw text status of a Data Bridge job (``Enqueued``, ``Processing``, ``Succeeded``...)."""
        return str(self.get(ApiPath.DATABRIDGE_JOB.at(job_id=job_id)).body or "").strip()
