"""In-memory entity stores of the simulator (contract §6.4) and the side effects jobs apply."""

from __future__ import annotations

import csv
import io
import random
import string
from dataclasses import dataclass, field
from typing import Any

from moodys_simulator.engine import SideEffectError

SERVERS = (
    {"serverId": 88094, "serverName": "databridge-1"},
    {"serverId": 88095, "serverName": "sql-instance-1"},
)
EXPOSURE_URI = "/platform/riskdata/v1/exposures/{exposure_id}"
PORTFOLIO_URI = "/platform/riskdata/v1/exposures/{exposure_id}/portfolios/{portfolio_id}"
ANALYSIS_URI = "/platform/riskdata/v1/analyses/{analysis_id}"
SYNTHETIC_ACCOUNTS = 10
DEFAULT_CEDANT = "ASST"
DEFAULT_LOB = "xScotia xLending"

#: Properties accepted in filters, per collection (unknown property -> 400).
SERVER_PROPS = ("serverId", "serverName")
EXPOSURE_SET_PROPS = ("exposureSetId", "exposureSetName")
EDM_PROPS = ("exposureId", "exposureName", "exposureSetId", "serverId", "serverName", "databaseName", "uri")
PORTFOLIO_PROPS = (
    "portfolioId",
    "portfolioName",
    "portfolioNumber",
    "description",
    "uri",
    "geocodeVersion",
    "hazardVersion",
)
ACCOUNT_PROPS = (
    "accountId",
    "accountName",
    "accountNumber",
    "branchName",
    "cedantName",
    "ownerName",
    "producerName",
    "underwriterName",
)
TREATY_PROPS = ("treatyId", "treatyName", "treatyNumber", "treatyType")
ANALYSIS_PROPS = (
    "analysisId",
    "appAnalysisId",
    "analysisName",
    "exposureName",
    "exposureResourceId",
    "exposureResourceType",
    "engineType",
    "analysisFramework",
    "isGroup",
    "perilCode",
    "regionCode",
    "engineVersion",
)
DATABASE_PROPS = ("databaseId", "databaseName", "type")
JOB_PROPS = ("jobId", "status", "type", "name")
TAG_PROPS = ("tagId", "tagName")
RDM_IMPORT_PROPS = ("rdmName", "exposureName")


def suffix(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters) for _ in range(4))


@dataclass
class EdmRecord:
    row: dict[str, Any]
    portfolios: dict[int, dict[str, Any]] = field(default_factory=dict)
    portfolio_accounts: dict[int, list[int]] = field(default_factory=dict)
    accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    cedants: list[dict[str, Any]] = field(default_factory=list)
    lobs: list[dict[str, Any]] = field(default_factory=list)
    treaties: dict[int, dict[str, Any]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def exposure_id(self) -> int:
        return int(self.row["exposureId"])

    @property
    def name(self) -> str:
        return str(self.row["exposureName"])

    def next(self, counter: str) -> int:
        self.counters[counter] = self.counters.get(counter, 0) + 1
        return self.counters[counter]

    def portfolio_by_name(self, name: str) -> dict[str, Any] | None:
        return next((row for row in self.portfolios.values() if row["portfolioName"] == name), None)


@dataclass
class Folder:
    folder_id: int
    folder_type: str
    files: dict[str, tuple[int, str, str]]  # slot -> (file id, bucket, key)


class SimState:
    def __init__(self, edm_data_version: str, seed: int) -> None:
        self.edm_data_version = edm_data_version
        self.rng = random.Random(seed)
        self.servers = [dict(server) for server in SERVERS]
        self.exposure_sets: dict[int, dict[str, Any]] = {}
        self.edms: dict[int, EdmRecord] = {}
        self.analyses: dict[int, dict[str, Any]] = {}
        self.analysis_regions: dict[int, list[dict[str, Any]]] = {}
        self.databases: dict[int, dict[str, Any]] = {}
        self.tags: dict[int, dict[str, Any]] = {}
        self.folders: dict[int, Folder] = {}
        self.objects: dict[str, bytes] = {}
        #: Data Bridge job id (a GUID string) -> engine job id.
        self.databridge_jobs: dict[str, int] = {}
        self.counters = {
            "exposureSet": 500,
            "exposure": 3278788,
            "analysis": 3117760,
            "appAnalysis": 33250,
            "database": 554,
            "tag": 1200,
            "folder": 39072,
            "file": 105107,
        }

    def next(self, counter: str) -> int:
        self.counters[counter] += 1
        return self.counters[counter]

    # -- look-ups --------------------------------------------------------------------------------
    def edm_rows(self) -> list[dict[str, Any]]:
        return [record.row for record in self.edms.values()]

    def edm(self, exposure_id: int) -> EdmRecord | None:
        return self.edms.get(exposure_id)

    def edm_by_name(self, name: str) -> EdmRecord | None:
        return next((record for record in self.edms.values() if record.name == name), None)

    def server_by_name(self, name: str) -> dict[str, Any] | None:
        return next((server for server in self.servers if server["serverName"] == name), None)

    def database_by_name(self, server_id: int, name: str) -> dict[str, Any] | None:
        return next(
            (db for db in self.databases.values() if db["serverId"] == server_id and db["databaseName"] == name),
            None,
        )

    def server(self, server_id: int) -> dict[str, Any] | None:
        return next((server for server in self.servers if server["serverId"] == server_id), None)

    def resolve_portfolio_uri(self, uri: str) -> tuple[EdmRecord, dict[str, Any]] | None:
        parts = uri.strip("/").split("/")
        # platform/riskdata/v1/exposures/{id}/portfolios/{pid}
        if len(parts) != 7 or parts[3] != "exposures" or parts[5] != "portfolios":
            return None
        try:
            record = self.edms.get(int(parts[4]))
            portfolio = record.portfolios.get(int(parts[6])) if record else None
        except ValueError:
            return None
        return (record, portfolio) if record and portfolio else None

    def resolve_analysis_uri(self, uri: str) -> dict[str, Any] | None:
        try:
            return self.analyses.get(int(uri.rstrip("/").rsplit("/", 1)[-1]))
        except ValueError:
            return None

    # -- creation --------------------------------------------------------------------------------
    def create_exposure_set(self, name: str) -> int:
        set_id = self.next("exposureSet")
        self.exposure_sets[set_id] = {"exposureSetId": set_id, "exposureSetName": name}
        return set_id

    def create_edm(self, name: str, exposure_set_id: int, server: dict[str, Any]) -> EdmRecord:
        exposure_id = self.next("exposure")
        database_name = f"{name}_{suffix(self.rng)}"
        row = {
            "exposureId": exposure_id,
            "exposureName": name,
            "exposureSetId": exposure_set_id,
            "serverId": server["serverId"],
            "serverName": server["serverName"],
            "databaseName": database_name,
            "uri": EXPOSURE_URI.format(exposure_id=exposure_id),
            "metrics": {"dataVersion": self.edm_data_version},
        }
        record = EdmRecord(row)
        self.edms[exposure_id] = record
        database_id = self.next("database")
        self.databases[database_id] = {
            "databaseId": database_id,
            "databaseName": database_name,
            "type": "EDM",
            "serverId": server["serverId"],
            "exportedAnalysisUris": [],
        }
        return record

    def create_portfolio(self, record: EdmRecord, body: dict[str, Any]) -> int:
        portfolio_id = record.next("portfolio")
        record.portfolios[portfolio_id] = {
            "portfolioId": portfolio_id,
            "portfolioName": body["portfolioName"],
            "portfolioNumber": body.get("portfolioNumber") or body["portfolioName"],
            "description": body.get("description") or "",
            "uri": PORTFOLIO_URI.format(exposure_id=record.exposure_id, portfolio_id=portfolio_id),
            "geocodeVersion": "",
            "hazardVersion": "",
        }
        record.portfolio_accounts[portfolio_id] = []
        return portfolio_id

    def create_analysis(self, row: dict[str, Any], regions: list[dict[str, Any]]) -> dict[str, Any]:
        analysis_id = self.next("analysis")
        row = {
            "analysisId": analysis_id,
            "appAnalysisId": self.next("appAnalysis"),
            **row,
            "uri": ANALYSIS_URI.format(analysis_id=analysis_id),
        }
        self.analyses[analysis_id] = row
        self.analysis_regions[analysis_id] = [{**region, "analysisId": analysis_id} for region in regions]
        return row

    # -- side effects ------------------------------------------------------------------------------
    def import_mri(self, record: EdmRecord, portfolio_id: int, folder: Folder | None) -> str:
        """Attach accounts parsed from the uploaded CSVs (or synthesised) to the portfolio."""
        if portfolio_id not in record.portfolios:
            raise SideEffectError("Portfolio of the import no longer exists")
        accounts_csv = self._object(folder, "accountsFile")
        locations_csv = self._object(folder, "locationsFile")
        accounts = _rows(accounts_csv)
        locations = _rows(locations_csv)
        if not accounts:
            accounts = [{"ACCNTNUM": f"SIM-{number}"} for number in range(1, SYNTHETIC_ACCOUNTS + 1)]
            locations = [{"ACCNTNUM": f"SIM-{number}"} for number in range(1, SYNTHETIC_ACCOUNTS + 1)]
        per_account: dict[str, int] = {}
        for location in locations:
            key = _field(location, "ACCNTNUM")
            per_account[key] = per_account.get(key, 0) + 1
        for account in accounts:
            cedant = _field(account, "CEDANTNAME") or _field(account, "CEDANTID") or DEFAULT_CEDANT
            if not any(existing["cedantName"] == cedant for existing in record.cedants):
                record.cedants.append({"cedantId": _field(account, "CEDANTID") or cedant, "cedantName": cedant})
            lob = _field(account, "LOBNAME") or DEFAULT_LOB
            if not any(existing["lobName"] == lob for existing in record.lobs):
                record.lobs.append({"lobId": record.next("lob"), "lobName": lob})
            number = _field(account, "ACCNTNUM")
            account_id = record.next("account")
            record.accounts[account_id] = {
                "accountId": account_id,
                "accountName": _field(account, "ACCNTNAME") or number,
                "accountNumber": number,
                "cedantName": cedant,
                "lobName": lob,
                "locationsCount": per_account.get(number, 0),
            }
            record.portfolio_accounts[portfolio_id].append(account_id)
        total_locations = sum(per_account.get(_field(account, "ACCNTNUM"), 0) for account in accounts)
        return f"Imported {len(accounts)} Accounts and {total_locations} Locations"

    def _object(self, folder: Folder | None, slot: str) -> bytes | None:
        if folder is None or slot not in folder.files:
            return None
        _, bucket, key = folder.files[slot]
        return self.objects.get(f"{bucket}/{key}")


def _field(row: dict[str, str], name: str) -> str:
    for key, value in row.items():
        if key and key.strip().upper() == name:
            return (value or "").strip()
    return ""


def _rows(content: bytes | None) -> list[dict[str, str]]:
    if not content:
        return []
    text = content.decode("utf-8-sig", errors="replace")
    delimiter = "\t" if "\t" in text.splitlines()[0] else ","
    return [row for row in csv.DictReader(io.StringIO(text), delimiter=delimiter) if any(row.values())]
