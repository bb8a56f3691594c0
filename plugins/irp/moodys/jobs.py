"""Per batch type: how one job is submitted to Moody's, where it is tracked, what is recorded.

Submission is idempotent per job: every POST of a job carries ``X-RMS-RequestId`` = a UUID derived
from the store's installation id, the job id and the step (:class:`RequestKeys`), so an HTTP retry
or a whole task retry after a crash replays the first answer instead of creating a second Moody's
entity or job, and no other store's job ever sends the same key. For the same reason "must not exist"
checks are left to entity validation (:mod:`irp.moodys.validation`), which runs before a batch is
submitted: a retried submission must find its own, already created, entity acceptable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from irp.configuration.jobs import JobField
from irp.configuration.schema import (
    ANALYSIS_TREATY_COLUMNS,
    GROUP_ITEMS_KEY,
    AnalysisColumn,
    GroupingsColumn,
    PortfoliosColumn,
    TreatyColumn,
)
from irp.constants import SYNCHRONOUS_WORKFLOW_ID, BatchType, JobStatus
from irp.exceptions import JobError
from irp.moodys import search
from irp.moodys.api import (
    DEFAULT_SERVER_NAME,
    PORTFOLIO_NUMBER_LIMIT,
    Analysis,
    AnalysisType,
    ApiPath,
    Framework,
    MoodysApi,
)
from irp.moodys.errors import MoodysLookupError, MoodysProtocolError
from irp.moodys.grouping import region_peril_simulation_set
from irp.moodys.protocol import StatusReport, SubmissionResult
from irp.moodys.transport import HttpMethod, MoodysRequest
from irp.moodys.upload import UploadDetail, upload_file

#: Start of the readable name a request key is derived from (``irp-job-<job id>-<step>``).
REQUEST_NAME_PREFIX = "irp-job"
PORTFOLIO_NAME_LIMIT = 40
TREATY_NUMBER_LIMIT = 20
DEFAULT_GEOCODE_VERSION = "22.0"
MRI_DELIMITER = "TAB"
#: Job configuration key naming the folder of the import CSVs (else the hook's data directory).
DATA_DIRECTORY_KEY = "data_directory"
ACCEPTED = "ACCEPTED"
COMPLETED = "COMPLETED"

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath


def request_id(installation_id: UUID, job_id: int, step: str) -> str:
    """Idempotency key of one POST of one job: a UUID, as Moody's asks, stable across retries of
    the job and step, new for a resubmitted job (a new job id), and different in another store
    (its own installation id) even where job ids repeat."""
    return str(uuid5(installation_id, f"{REQUEST_NAME_PREFIX}-{job_id}-{step}"))


class Step(StrEnum):
    """Suffixes of the request ids of multi-call flows."""

    EXPOSURE_SET = "exposure-set"
    EDM = "edm"
    PORTFOLIO = "portfolio"
    FOLDER = "folder"
    IMPORT = "import"
    TREATY = "treaty"
    TREATY_LOB = "treaty-lob"
    UPGRADE = "upgrade"
    GEOHAZ = "geohaz"
    TAG = "tag"
    MODEL = "model"
    GROUPING = "grouping"
    EXPORT = "export"


@dataclass(frozen=True)
class RequestKeys:
    """The idempotency keys of one job of one store: one per step (and per item of a step that
    posts several, e.g. one per tag or sub-portfolio name)."""

    installation_id: UUID
    job_id: int

    def __call__(self, step: Step, suffix: str = "") -> str:
        return request_id(self.installation_id, self.job_id, f"{step}-{suffix}" if suffix else step.value)


# -- tracking -------------------------------------------------------------------------------------
#: The endpoint polled for each asynchronous batch type (contract §2.2, §3).
STATUS_PATHS: dict[BatchType, ApiPath] = {
    BatchType.EDM_CREATION: ApiPath.RISKDATA_JOBS,
    BatchType.MRI_IMPORT: ApiPath.IMPORT_JOBS,
    BatchType.EDM_DB_UPGRADE: ApiPath.WORKFLOWS,
    BatchType.GEOHAZ: ApiPath.GEOHAZ_JOBS,
    BatchType.ANALYSIS: ApiPath.MODEL_JOBS,
    BatchType.GROUPING: ApiPath.GROUPING_JOBS,
    BatchType.GROUPING_ROLLUP: ApiPath.GROUPING_JOBS,
    BatchType.EXPORT_TO_RDM: ApiPath.EXPORT_JOBS,
}
#: Where many jobs of a batch type are asked for in one request (contract §2.2 "Status (batch)"):
#: platform job lists filtered by ``jobId IN (…)`` and legacy workflows by ``ids=``. The Risk Data
#: list also serves GeoHaz jobs (documented by Moody's); import, grouping and export jobs have no
#: documented list form and are asked one by one.
STATUS_LISTS: dict[BatchType, ApiPath] = {
    BatchType.EDM_CREATION: ApiPath.RISKDATA_JOBS,
    BatchType.EDM_DB_UPGRADE: ApiPath.WORKFLOWS,
    BatchType.GEOHAZ: ApiPath.RISKDATA_JOBS,
    BatchType.ANALYSIS: ApiPath.MODEL_JOBS,
}
#: Most jobs one list request asks for (the page size the reference client uses).
STATUS_LIST_SIZE = 100
#: The eight literals Moody's reports; anything else is a protocol error (never "done").
MOODYS_STATUSES = frozenset(
    {
        JobStatus.QUEUED,
        JobStatus.PENDING,
        JobStatus.RUNNING,
        JobStatus.CANCEL_REQUESTED,
        JobStatus.CANCELLING,
        JobStatus.FINISHED,
        JobStatus.FAILED,
        JobStatus.CANCELLED,
    }
)
CANCEL_BODY = {"status": JobStatus.CANCELLED.value}


def _status_path(batch_type: BatchType) -> ApiPath:
    try:
        return STATUS_PATHS[batch_type]
    except KeyError:
        raise JobError(f"Batch type '{batch_type}' has no Moody's job to track") from None


def _numeric_id(batch_type: BatchType, workflow_id: str) -> int:
    try:
        return int(str(workflow_id).strip())
    except ValueError:
        raise JobError(f"Invalid workflow_id format for a {batch_type} job: {workflow_id!r}") from None


def status_request(batch_type: BatchType, workflow_id: str) -> MoodysRequest:
    path = _status_path(batch_type)
    return MoodysRequest(HttpMethod.GET, f"{path}/{_numeric_id(batch_type, workflow_id)}")


def status_poll_path(batch_type: BatchType) -> tuple[ApiPath, bool]:
    """Where jobs of ``batch_type`` are polled, and whether it is a list (many jobs per request)."""
    single = _status_path(batch_type)  # a batch type without Moody's jobs is an error here too
    listed = STATUS_LISTS.get(batch_type)
    return (listed, True) if listed is not None else (single, False)


def status_list_request(path: ApiPath, workflow_ids: Sequence[str]) -> MoodysRequest:
    """One page of at most :data:`STATUS_LIST_SIZE` jobs of a status list, by id."""
    if len(workflow_ids) > STATUS_LIST_SIZE:
        raise ValueError(f"at most {STATUS_LIST_SIZE} jobs per status list request, got {len(workflow_ids)}")
    if path is ApiPath.WORKFLOWS:
        params: dict[str, Any] = {"ids": ",".join(workflow_ids)}
    else:
        params = {"filter": search.in_("jobId", workflow_ids)}
    return MoodysRequest(HttpMethod.GET, path.value, params={**params, "limit": STATUS_LIST_SIZE, "offset": 0})


def parse_status_list(path: ApiPath, body: Any) -> dict[str, StatusReport]:
    """The reports of a status list page by workflow id (a job Moody's omits is simply absent)."""
    rows = body.get("workflows") if path is ApiPath.WORKFLOWS and isinstance(body, Mapping) else body
    if not isinstance(rows, list):
        raise MoodysProtocolError(f"Moody's {path.value} list has no rows")
    key = "id" if path is ApiPath.WORKFLOWS else "jobId"
    reports: dict[str, StatusReport] = {}
    for row in rows:
        if not isinstance(row, Mapping) or key not in row:
            raise MoodysProtocolError(f"Moody's {path.value} list has a row without {key}")
        reports[str(row[key])] = parse_status(row)
    return reports


def cancel_request(batch_type: BatchType, workflow_id: str) -> MoodysRequest:
    """Legacy workflows are cancelled by DELETE, platform jobs by PATCH ``{"status": "CANCELLED"}``."""
    path = _status_path(batch_type)
    url = f"{path}/{_numeric_id(batch_type, workflow_id)}"
    if path is ApiPath.WORKFLOWS:
        return MoodysRequest(HttpMethod.DELETE, url)
    return MoodysRequest(HttpMethod.PATCH, url, json_body=CANCEL_BODY)


def parse_status(body: Any) -> StatusReport:
    """Map one job/workflow body to a :class:`StatusReport` (identity mapping of the literal)."""
    if not isinstance(body, Mapping) or "status" not in body:
        raise MoodysProtocolError("Moody's job response has no status")
    literal = str(body["status"])
    if literal not in MOODYS_STATUSES:
        raise MoodysProtocolError(f"Moody's reported an unknown job status {literal!r}")
    progress = body.get("progress")
    return StatusReport(JobStatus(literal), dict(body), float(progress) if progress is not None else None)


# -- submission ------------------------------------------------------------------------------------
def required(config: Mapping[str, Any], key: str) -> Any:
    value = config.get(key)
    if value is None or (isinstance(value, str) and not value.strip()) or value == []:
        raise JobError(f"Missing required field: {key}")
    return value


def _number(config: Mapping[str, Any], key: str, default: float = 0.0) -> float:
    value = config.get(key)
    return default if value is None or value == "" else float(value)


#: Finds an import file named in a job configuration: a local path or an ``ObjectStoragePath``.
FileResolver = Callable[[Mapping[str, Any], str], "Path | ObjectStoragePath"]


@dataclass
class SubmissionContext:
    """What a submitter needs besides the job configuration."""

    api: MoodysApi
    job_id: int
    batch_type: BatchType
    config: Mapping[str, Any]
    resolve_file: FileResolver
    installation_id: UUID
    submitted_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def rid(self, step: Step, suffix: str = "") -> str:
        return RequestKeys(self.installation_id, self.job_id)(step, suffix)

    def record(self, body: Any) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "batch_type": self.batch_type.value,
            "configuration": dict(self.config),
            "http_request_body": body,
            "submitted_at": self.submitted_at,
        }

    def accepted(self, workflow_id: int, body: Any, message: str, **extra: Any) -> SubmissionResult:
        response = {
            "workflow_id": str(workflow_id),
            "moody_job_id": workflow_id,
            "status": ACCEPTED,
            "message": message,
            **extra,
        }
        return SubmissionResult(str(workflow_id), self.record(body), response)

    def completed(self, body: Any, message: str, **extra: Any) -> SubmissionResult:
        response = {"workflow_id": SYNCHRONOUS_WORKFLOW_ID, "status": COMPLETED, "message": message, **extra}
        return SubmissionResult(SYNCHRONOUS_WORKFLOW_ID, self.record(body), response)


def submit_edm_creation(ctx: SubmissionContext) -> SubmissionResult:
    name = str(required(ctx.config, JobField.DATABASE))
    server_id = ctx.api.server_id(DEFAULT_SERVER_NAME)
    exposure_set_id = ctx.api.get_or_create_exposure_set(name, ctx.rid(Step.EXPOSURE_SET))
    body = {"exposureName": name, "serverId": server_id}
    path = ApiPath.EXPOSURE_SET_EXPOSURES.at(exposure_set_id=exposure_set_id)
    job = ctx.api.post(path, body, ctx.rid(Step.EDM)).location_id()
    return ctx.accepted(job, body, f"EDM creation job submitted for {name}")


def submit_portfolio_creation(ctx: SubmissionContext) -> SubmissionResult:
    edm_name = str(required(ctx.config, JobField.DATABASE))
    name = str(required(ctx.config, PortfoliosColumn.PORTFOLIO))
    if len(name) > PORTFOLIO_NAME_LIMIT:
        raise JobError(f"Portfolio name '{name}' is longer than {PORTFOLIO_NAME_LIMIT} characters")
    if len(name) > PORTFOLIO_NUMBER_LIMIT:
        raise JobError(
            f"Portfolio '{name}' is longer than {PORTFOLIO_NUMBER_LIMIT} characters, the limit of the "
            "portfolio number (which is the portfolio name)"
        )
    edm = ctx.api.edm(edm_name)
    description = f"{name} created via IRP Notebook Framework"
    body = {"portfolioName": name, "portfolioNumber": name, "description": description}
    portfolio_id = ctx.api.create_portfolio(edm.exposure_id, name, description, ctx.rid(Step.PORTFOLIO))
    return ctx.completed(body, f"Portfolio {name} created in {edm_name}", portfolio_id=portfolio_id)


MRI_FILE_KEYS = {"accountsFile": JobField.ACCOUNTS_IMPORT_FILE, "locationsFile": JobField.LOCATIONS_IMPORT_FILE}


def submit_mri_import(ctx: SubmissionContext) -> SubmissionResult:
    edm_name = str(required(ctx.config, JobField.DATABASE))
    portfolio_name = str(required(ctx.config, PortfoliosColumn.PORTFOLIO))
    try:
        files = {
            slot: ctx.resolve_file(ctx.config, str(required(ctx.config, key))) for slot, key in MRI_FILE_KEYS.items()
        }
    except ValueError as error:
        raise JobError(f"Failed to submit MRI import job: cannot locate the import files: {error}") from None
    for path in files.values():
        if not path.is_file():
            raise JobError(f"Failed to submit MRI import job: import file not found: {path}")
    edm = ctx.api.edm(edm_name)
    portfolio = ctx.api.portfolio(edm, portfolio_name)
    folder_body = {"folderType": "MRI", "properties": {"fileExtension": "csv", "fileTypes": list(files)}}
    folder = ctx.api.post(ApiPath.IMPORT_FOLDERS, folder_body, ctx.rid(Step.FOLDER)).json_object()
    details = folder.get("uploadDetails") or {}
    for slot, path in files.items():
        if slot not in details:
            raise MoodysProtocolError(f"Import folder has no upload slot '{slot}'")
        upload_file(ctx.api.client, UploadDetail.from_response(details[slot]), path)
    body = {
        "importType": "MRI",
        "resourceUri": portfolio.uri,
        "settings": {"folderId": int(folder["folderId"]), "delimiter": MRI_DELIMITER},
    }
    job = ctx.api.post(ApiPath.IMPORT_JOBS, body, ctx.rid(Step.IMPORT)).location_id()
    return ctx.accepted(job, body, f"MRI import job submitted for {edm_name}/{portfolio_name}")


TREATY_TYPES = {
    "Catastrophe": "CATA",
    "Corporate Catastrophe": "CORP",
    "Non-Catastrophe": "NCAT",
    "Quota Share": "QUOT",
    "Stop Loss": "STOP",
    "Surplus Share": "SURP",
    "Working Excess": "WORK",
}
ATTACHMENT_BASES = {"Losses Occurring": "L", "Risks Attaching": "R"}
ATTACHMENT_LEVELS = {"Account": "ACCT", "Portfolio": "PORT", "Policy": "POL", "Location": "LOC"}
TREATY_NUMBER_FIELDS = {
    "riskLimit": TreatyColumn.PER_RISK_LIMIT,
    "occurrenceLimit": TreatyColumn.OCCURRENCE_LIMIT,
    "attachmentPoint": TreatyColumn.ATTACHMENT_POINT,
    "premium": TreatyColumn.PREMIUM,
    "reinstatementCharge": TreatyColumn.PCT_REINSTATEMENT_CHARGE,
    "aggregateLimit": TreatyColumn.AGGREGATE_LIMIT,
    "aggregateDeductible": TreatyColumn.AGGREGATE_DEDUCTIBLE_AMOUNT,
    "percentageRetention": TreatyColumn.PCT_RETENTION,
}
TREATY_PERCENT_FIELDS = {
    "percentageCovered": TreatyColumn.PCT_COVERED,
    "percentagePlaced": TreatyColumn.PCT_PLACE,
    "percentageRiShare": TreatyColumn.PCT_SHARE,
}


def _code(mapping: Mapping[str, str], value: Any, default: str, what: str) -> str:
    key = str(value) if value not in (None, "") else default
    if key not in mapping:
        raise JobError(f"Invalid {what} '{key}'; expected one of {sorted(mapping)}")
    return mapping[key]


def treaty_body(config: Mapping[str, Any], currency: dict[str, Any], cedant: Mapping[str, Any]) -> dict[str, Any]:
    """The treaty POST body of contract §3.5 with the framework's defaults."""
    name = str(required(config, TreatyColumn.TREATY_NAME))
    body: dict[str, Any] = {
        "treatyName": name,
        "treatyNumber": str(config.get(TreatyColumn.TREATY_NUMBER) or name)[:TREATY_NUMBER_LIMIT],
        "treatyType": _code(TREATY_TYPES, config.get(TreatyColumn.TYPE), "Working Excess", "treaty type"),
        "effectiveDate": str(config.get(TreatyColumn.INCEPTION_DATE) or "2025-01-01"),
        "expirationDate": str(config.get(TreatyColumn.EXPIRATION_DATE) or "2025-12-31"),
        "currency": currency,
        "attachmentBasis": _code(
            ATTACHMENT_BASES, config.get(TreatyColumn.ATTACHMENT_BASIS), "Losses Occurring", "attachment basis"
        ),
        "attachmentLevel": _code(
            ATTACHMENT_LEVELS, config.get(TreatyColumn.EXPOSURE_LEVEL), "Location", "exposure level"
        ),
        "numberOfReinstatements": int(_number(config, TreatyColumn.REINSTATEMENTS)),
        "priority": int(_number(config, TreatyColumn.INURING_PRIORITY, 1)),
        "cedant": {"cedantId": cedant["cedantId"], "cedantName": cedant["cedantName"]},
    }
    body.update({field_: _number(config, column) for field_, column in TREATY_NUMBER_FIELDS.items()})
    body.update({field_: _number(config, column, 100.0) for field_, column in TREATY_PERCENT_FIELDS.items()})
    negative = [key for key, value in body.items() if isinstance(value, int | float) and value < 0]
    if negative:
        raise JobError(f"Treaty '{name}' has negative values: {', '.join(sorted(negative))}")
    return body


def submit_treaty(ctx: SubmissionContext) -> SubmissionResult:
    edm_name = str(required(ctx.config, JobField.DATABASE))
    name = str(required(ctx.config, TreatyColumn.TREATY_NAME))
    edm = ctx.api.edm(edm_name)
    cedants = ctx.api.cedants(edm.exposure_id)
    if len(cedants) != 1:
        raise JobError(f"EDM '{edm_name}' must have exactly one cedant, found {len(cedants)}")
    currency = ctx.api.currency(str(ctx.config.get(TreatyColumn.CURRENCY) or "US Dollar"))
    body = treaty_body(ctx.config, currency, cedants[0])
    treaty_id = ctx.api.post(ApiPath.TREATIES.at(exposure_id=edm.exposure_id), body, ctx.rid(Step.TREATY)).location_id()
    lob_path = ApiPath.TREATY_LOB.at(exposure_id=edm.exposure_id, treaty_id=treaty_id)
    for lob in ctx.api.lobs(edm.exposure_id):
        lob_body = {"lobId": lob["lobId"], "lobName": lob["lobName"]}
        ctx.api.post(lob_path, lob_body, ctx.rid(Step.TREATY_LOB, str(lob["lobId"]))).location_id()
    return ctx.completed(body, f"Treaty {name} created in {edm_name}", treaty_id=treaty_id)


def submit_edm_upgrade(ctx: SubmissionContext) -> SubmissionResult:
    edm_name = str(required(ctx.config, JobField.DATABASE))
    version = str(required(ctx.config, JobField.TARGET_EDM_VERSION)).split(".", 1)[0]
    edm = ctx.api.edm(edm_name)
    body = {"edmDataVersion": version}
    job = ctx.api.post(ApiPath.DATA_UPGRADE.at(exposure_id=edm.exposure_id), body, ctx.rid(Step.UPGRADE)).location_id()
    return ctx.accepted(job, body, f"EDM data upgrade of {edm_name} to {version} submitted")


def geohaz_layers(version: str) -> list[dict[str, Any]]:
    """Geocode plus earthquake and windstorm hazard, as the framework requests."""
    hazard_options = {"overrideUserDef": False, "skipPrevHazard": False}
    return [
        {
            "type": "geocode",
            "name": "geocode",
            "engineType": "RL",
            "version": version,
            "layerOptions": {
                "aggregateTriggerEnabled": True,
                "geoLicenseType": "0",
                "skipPrevGeocoded": False,
            },
        },
        *(
            {
                "type": "hazard",
                "name": hazard,
                "engineType": "RL",
                "version": version,
                "layerOptions": hazard_options,
            }
            for hazard in ("earthquake", "windstorm")
        ),
    ]


def submit_geohaz(ctx: SubmissionContext) -> SubmissionResult:
    edm_name = str(required(ctx.config, JobField.DATABASE))
    portfolio_name = str(required(ctx.config, PortfoliosColumn.PORTFOLIO))
    version = str(ctx.config.get(JobField.GEOCODE_VERSION) or DEFAULT_GEOCODE_VERSION)
    edm = ctx.api.edm(edm_name)
    portfolio = ctx.api.portfolio(edm, portfolio_name)
    accounts = ctx.api.accounts(edm.exposure_id, portfolio.portfolio_id)
    if not any(int(account.get("locationsCount") or 0) > 0 for account in accounts):
        raise JobError(f"Portfolio {edm_name}/{portfolio_name} has no accounts with locations to geocode")
    body = {
        "resourceUri": portfolio.uri,
        "resourceType": "portfolio",
        "settings": {"layers": geohaz_layers(version)},
    }
    job = ctx.api.post(ApiPath.GEOHAZ_JOBS, body, ctx.rid(Step.GEOHAZ)).location_id()
    return ctx.accepted(job, body, f"GeoHaz job submitted for {edm_name}/{portfolio_name}")


ANALYSIS_TAG_COLUMNS: tuple[AnalysisColumn, ...] = (
    AnalysisColumn.TAG_1,
    AnalysisColumn.TAG_2,
    AnalysisColumn.TAG_3,
    AnalysisColumn.TAG_4,
    AnalysisColumn.TAG_5,
)


def column_values(config: Mapping[str, Any], columns: Sequence[str]) -> list[str]:
    """Distinct non-empty values of ``columns`` (e.g. ``Reinsurance Treaty 1..5``), in order."""
    return search.unique(config.get(column) for column in columns)


def submit_analysis(ctx: SubmissionContext) -> SubmissionResult:
    edm_name = str(required(ctx.config, JobField.DATABASE))
    portfolio_name = str(required(ctx.config, PortfoliosColumn.PORTFOLIO))
    name = str(required(ctx.config, AnalysisColumn.ANALYSIS_NAME))
    profile_name = str(required(ctx.config, AnalysisColumn.ANALYSIS_PROFILE))
    output_name = str(required(ctx.config, AnalysisColumn.OUTPUT_PROFILE))
    event_rate = ctx.config.get(AnalysisColumn.EVENT_RATE)
    edm = ctx.api.edm(edm_name)
    portfolio = ctx.api.portfolio(edm, portfolio_name)
    treaty_names = column_values(ctx.config, ANALYSIS_TREATY_COLUMNS)
    treaties = ctx.api.find_treaties(edm.exposure_id, treaty_names) if treaty_names else {}
    missing = [treaty for treaty in treaty_names if treaty not in treaties]
    if missing:
        raise MoodysLookupError(f"Treaties not found in EDM '{edm_name}': {', '.join(missing)}")
    profile = ctx.api.model_profile(profile_name)
    if profile is None:
        raise MoodysLookupError(f"Model profile '{profile_name}' not found")
    output_id = ctx.api.output_profile_id(output_name)
    if output_id is None:
        raise MoodysLookupError(f"Output profile '{output_name}' not found")
    settings: dict[str, Any] = {
        "name": name,
        "modelProfileId": profile.profile_id,
        "outputProfileId": output_id,
    }
    if event_rate:
        scheme_id = ctx.api.event_rate_scheme_id(str(event_rate), profile)
        if scheme_id is None:
            raise MoodysLookupError(f"Event rate scheme '{event_rate}' not found for profile '{profile_name}'")
        settings["eventRateSchemeId"] = scheme_id
    elif profile.analysis_type is AnalysisType.DLM:
        raise JobError(f"Analysis '{name}': a DLM profile needs an Event Rate")
    settings["treatyIds"] = [treaties[treaty] for treaty in treaty_names]
    settings["tagIds"] = [
        ctx.api.tag_id(tag, ctx.rid(Step.TAG, tag)) for tag in column_values(ctx.config, ANALYSIS_TAG_COLUMNS)
    ]
    settings.update(
        {
            "currency": ctx.api.analysis_currency(),
            "franchiseDeductible": False,
            "minLossThreshold": 1.0,
            "treatConstructionOccupancyAsUnknown": True,
            "numMaxLossEvent": 1,
        }
    )
    body = {
        "resourceUri": portfolio.uri,
        "resourceType": "portfolio",
        "type": profile.analysis_type,
        "settings": settings,
    }
    job = ctx.api.post(ApiPath.MODEL_JOBS, body, ctx.rid(Step.MODEL)).location_id()
    return ctx.accepted(job, body, f"Analysis job submitted for {edm_name}/{name}")


def resolve_member(api: MoodysApi, name: str, edm_name: str | None, as_group: bool) -> Analysis | None:
    """One grouping/export member: a group by name and engine type, else an analysis (in its EDM)."""
    matches = api.find_groups([name]) if as_group else api.find_analyses([name], edm_name)
    if len(matches) > 1:
        raise MoodysLookupError(f"{len(matches)} analyses named '{name}'; expected one")
    return matches[0] if matches else None


def resolve_members(
    api: MoodysApi,
    names: Sequence[str],
    edm_of: Callable[[str], str | None],
    is_group: Callable[[str], bool],
) -> tuple[list[Analysis], list[str]]:
    """(found members, names of the missing ones), in the order of ``names``."""
    members: list[Analysis] = []
    missing: list[str] = []
    for name in names:
        member = resolve_member(api, name, edm_of(name), is_group(name))
        if member is None:
            missing.append(name)
        else:
            members.append(member)
    return members, missing


def grouping_body(api: MoodysApi, group_name: str, members: Sequence[Analysis]) -> dict[str, Any]:
    """The grouping POST body (old-flow defaults of contract §3.10)."""
    simulation_set, to_plt = region_peril_simulation_set(api, members)
    return {
        "resourceType": "analyses",
        "resourceUris": [member.uri for member in members],
        "settings": {
            "analysisName": group_name,
            "currency": api.analysis_currency(),
            "simulateToPLT": to_plt,
            "propagateDetailedLosses": False,
            "numOfSimulations": 50000,
            "reportingWindowStart": "01/01/2021",
            "simulationWindowStart": "01/01/2021",
            "simulationWindowEnd": "12/31/2021",
            "regionPerilSimulationSet": simulation_set,
            "description": "",
        },
    }


def submit_grouping(ctx: SubmissionContext) -> SubmissionResult:
    group_name = str(required(ctx.config, GroupingsColumn.GROUP_NAME))
    items = [str(item) for item in required(ctx.config, GROUP_ITEMS_KEY)]
    edm_map: Mapping[str, str] = ctx.config.get(JobField.ANALYSIS_EDM_MAP) or {}
    group_names = set(ctx.config.get(JobField.GROUP_NAMES) or [])
    members, skipped = resolve_members(ctx.api, items, edm_map.get, group_names.__contains__)
    if not members:
        return SubmissionResult(
            "", skipped_reason=f"All {len(items)} items of group '{group_name}' are missing in Moody's"
        )
    body = grouping_body(ctx.api, group_name, members)
    job = ctx.api.post(ApiPath.GROUPING_JOBS, body, ctx.rid(Step.GROUPING)).location_id()
    included = [member.name for member in members]
    return ctx.accepted(
        job, body, f"Grouping job submitted for {group_name}", skipped_items=skipped, included_items=included
    )


def submit_export(ctx: SubmissionContext) -> SubmissionResult:
    rdm_name = str(required(ctx.config, JobField.RDM_NAME))
    server_name = str(ctx.config.get(JobField.SERVER_NAME) or DEFAULT_SERVER_NAME)
    names = [str(name) for name in required(ctx.config, JobField.ANALYSIS_NAMES)]
    database_id = ctx.config.get(JobField.DATABASE_ID)
    server_id = ctx.api.server_id(server_name)
    edm_name, is_group = ctx.config.get(JobField.EDM_NAME), bool(ctx.config.get(JobField.IS_GROUP))
    members, skipped = resolve_members(ctx.api, names, lambda name: edm_name, lambda name: is_group)
    if not members:
        return SubmissionResult("", skipped_reason=f"All {len(names)} items to export to '{rdm_name}' are missing")
    if not database_id and not ctx.config.get(JobField.IS_SEED_JOB, True):
        # An append job whose configuration did not get the seed's database id: find it now.
        database_id = ctx.api.rdm_database(server_id, rdm_name)[0]
    settings: dict[str, Any] = {"serverId": server_id}
    settings.update({"databaseId": int(database_id)} if database_id else {"rdmName": rdm_name})
    if any(member.is_plt for member in members):
        settings["exportHdLossesAs"] = Framework.PLT.value
    body = {
        "exportType": "RDM_DATABRIDGE",
        "resourceType": "analyses",
        "settings": settings,
        "resourceUris": [member.uri for member in members],
    }
    job = ctx.api.post(ApiPath.EXPORT_JOBS, body, ctx.rid(Step.EXPORT)).location_id()
    included = [member.name for member in members]
    return ctx.accepted(job, body, f"Export to {rdm_name} submitted", skipped_items=skipped, included_items=included)


SUBMITTERS: dict[BatchType, Callable[[SubmissionContext], SubmissionResult]] = {
    BatchType.EDM_CREATION: submit_edm_creation,
    BatchType.PORTFOLIO_CREATION: submit_portfolio_creation,
    BatchType.MRI_IMPORT: submit_mri_import,
    BatchType.CREATE_REINSURANCE_TREATIES: submit_treaty,
    BatchType.EDM_DB_UPGRADE: submit_edm_upgrade,
    BatchType.GEOHAZ: submit_geohaz,
    BatchType.ANALYSIS: submit_analysis,
    BatchType.GROUPING: submit_grouping,
    BatchType.GROUPING_ROLLUP: submit_grouping,
    BatchType.EXPORT_TO_RDM: submit_export,
}


# -- looking up a submission whose answer was lost ---------------------------------------------
#: Moody's clock and ours may differ: a job submitted this long before our attempt may still be ours.
CLOCK_SKEW = timedelta(minutes=10)
#: Where Moody's lists the jobs each asynchronous batch type submits, and the job ``type`` to ask
#: for where the list also holds other jobs of the same name (EDM deletes are named after the EDM).
JOB_LISTS: dict[BatchType, tuple[ApiPath, str | None]] = {
    BatchType.EDM_CREATION: (ApiPath.RISKDATA_JOBS, "CREATE_EDM"),
    BatchType.MRI_IMPORT: (ApiPath.IMPORT_JOBS, None),
    BatchType.GEOHAZ: (ApiPath.GEOHAZ_JOBS, None),
    BatchType.ANALYSIS: (ApiPath.MODEL_JOBS, None),
    BatchType.GROUPING: (ApiPath.GROUPING_JOBS, None),
    BatchType.GROUPING_ROLLUP: (ApiPath.GROUPING_JOBS, None),
    BatchType.EXPORT_TO_RDM: (ApiPath.EXPORT_JOBS, None),
}


def _export_job_name(api: MoodysApi, config: Mapping[str, Any]) -> str:
    """The seed creates the RDM (the job is named after it); appends are named after its database."""
    rdm_name = str(required(config, JobField.RDM_NAME))
    if not config.get(JobField.DATABASE_ID) and config.get(JobField.IS_SEED_JOB, True):
        return rdm_name
    server_id = api.server_id(str(config.get(JobField.SERVER_NAME) or DEFAULT_SERVER_NAME))
    return api.rdm_database(server_id, rdm_name)[1]


def _import_job_name(api: MoodysApi, config: Mapping[str, Any]) -> str:
    return f"PORTFOLIO: {required(config, PortfoliosColumn.PORTFOLIO)}"


#: The name Moody's gives the job a configuration submits (contract §2.4).
JOB_NAMES: dict[BatchType, Callable[[MoodysApi, Mapping[str, Any]], str]] = {
    BatchType.EDM_CREATION: lambda api, c: str(required(c, JobField.DATABASE)),
    BatchType.MRI_IMPORT: _import_job_name,
    BatchType.GEOHAZ: lambda api, c: f"{required(c, JobField.DATABASE)}: {_import_job_name(api, c)}",
    BatchType.ANALYSIS: lambda api, c: str(required(c, AnalysisColumn.ANALYSIS_NAME)),
    BatchType.GROUPING: lambda api, c: str(required(c, GroupingsColumn.GROUP_NAME)),
    BatchType.GROUPING_ROLLUP: lambda api, c: str(required(c, GroupingsColumn.GROUP_NAME)),
    BatchType.EXPORT_TO_RDM: _export_job_name,
}


def _submitted_at(row: Mapping[str, Any]) -> datetime | None:
    text = row.get("submittedAt") or row.get("submitTime")
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True)
class SubmissionLookup:
    """What a lost submission is looked up by: its batch type and configuration, when it was
    attempted, the Moody's ids other jobs of the batch own, and our resource group."""

    api: MoodysApi
    batch_type: BatchType
    config: Mapping[str, Any]
    since: datetime
    taken: frozenset[str]
    resource_group_id: str

    def could_be_ours(self, row: Mapping[str, Any]) -> bool:
        submitted = _submitted_at(row)
        group = row.get("resourceGroupId")
        return (
            str(row.get("jobId")) not in self.taken
            and (not group or group == self.resource_group_id)
            and (submitted is None or submitted >= self.since - CLOCK_SKEW)
        )


def find_job(lookup: SubmissionLookup) -> SubmissionResult | None:
    """The Moody's job of an asynchronous batch type, found in its job list by name."""
    path, job_type = JOB_LISTS[lookup.batch_type]
    name = JOB_NAMES[lookup.batch_type](lookup.api, lookup.config)
    filter_ = search.and_(search.eq("name", name), search.eq("type", job_type) if job_type else "")
    candidates = [row for row in lookup.api.search(path, filter_) if lookup.could_be_ours(row)]
    if not candidates:
        return None
    if len(candidates) > 1:
        ids = ", ".join(str(row.get("jobId")) for row in candidates)
        raise MoodysLookupError(
            f"Moody's has {len(candidates)} jobs named '{name}' submitted since {lookup.since:%Y-%m-%d %H:%M} UTC "
            f"({ids}): which one this job submitted cannot be told; check them in Moody's"
        )
    workflow_id = str(candidates[0]["jobId"])
    response = {
        "workflow_id": workflow_id,
        "moody_job_id": int(workflow_id),
        "status": ACCEPTED,
        "reattached": True,
        "message": f"Re-attached to Moody's job {workflow_id} ('{name}'): its submission's answer was lost",
    }
    return SubmissionResult(workflow_id, {"lookup": {"path": path.value, "filter": filter_}}, response)


def find_portfolio(lookup: SubmissionLookup) -> SubmissionResult | None:
    """Portfolio Creation is synchronous: the portfolio itself is what it created."""
    edm_name = str(required(lookup.config, JobField.DATABASE))
    name = str(required(lookup.config, PortfoliosColumn.PORTFOLIO))
    edm = lookup.api.edm(edm_name)
    portfolio = lookup.api.find_portfolios(edm.exposure_id, [name]).get(name)
    if portfolio is None:
        return None
    response = {
        "workflow_id": SYNCHRONOUS_WORKFLOW_ID,
        "status": COMPLETED,
        "reattached": True,
        "portfolio_id": portfolio.portfolio_id,
        "message": f"Portfolio {name} found in {edm_name}: its creation's answer was lost",
    }
    return SubmissionResult(SYNCHRONOUS_WORKFLOW_ID, {"lookup": {"edm": edm_name, "portfolio": name}}, response)


def find_treaty(lookup: SubmissionLookup) -> SubmissionResult | None:
    """A treaty that exists may lack the LOB links posted after it, which cannot be read back."""
    edm_name = str(required(lookup.config, JobField.DATABASE))
    name = str(required(lookup.config, TreatyColumn.TREATY_NAME))
    edm = lookup.api.edm(edm_name)
    if name not in lookup.api.find_treaties(edm.exposure_id, [name]):
        return None
    raise MoodysLookupError(
        f"Treaty '{name}' exists in '{edm_name}' but its LOB links cannot be verified; check it in Moody's, "
        "then skip this job (or delete the treaty and resubmit it)"
    )


#: Batch types whose lost submission is looked up; the others (EDM DB Upgrade) create nothing
#: that sending them again would duplicate.
FINDERS: dict[BatchType, Callable[[SubmissionLookup], SubmissionResult | None]] = {
    **dict.fromkeys(JOB_LISTS, find_job),
    BatchType.PORTFOLIO_CREATION: find_portfolio,
    BatchType.CREATE_REINSURANCE_TREATIES: find_treaty,
}


def find_submission(lookup: SubmissionLookup) -> SubmissionResult | None:
    finder = FINDERS.get(lookup.batch_type)
    return finder(lookup) if finder is not None else None


def submit(ctx: SubmissionContext) -> SubmissionResult:
    try:
        submitter = SUBMITTERS[ctx.batch_type]
    except KeyError:
        raise JobError(f"Batch type '{ctx.batch_type}' is not submitted to Moody's") from None
    return submitter(ctx)
