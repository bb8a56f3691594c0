"""Per batch type: how one job is submitted to Moody's, where it is tracked, what is recorded.

Submission is idempotent per job: every POST of a job carries ``X-RMS-RequestId`` = a UUID derived
from the store's installation id, the job id and the step (:class:`RequestKeys`), so an HTTP retry
or a whole task retry after a crash replays the first answer instead of creating a second Moody's
entity or job, and no other store's job ever sends the same key. For the same reason "must not exist"
checks are left to entity validation (:mod:`irp.moodys.validation`), which runs before a batch is
submitted: a retried submission must find its own, already created, entity acceptable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from irp.batch_types import entry
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
    TreatySpec,
    typed,
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
    FirstWrite,
    Framework,
    MoodysApi,
)
from irp.moodys.errors import MoodysError, MoodysLookupError, MoodysProtocolError, MoodysUnavailableError
from irp.moodys.grouping import region_peril_simulation_set
from irp.moodys.protocol import StatusReport, SubmissionResult
from irp.moodys.references import Rows
from irp.moodys.transport import HttpMethod, MoodysRequest
from irp.moodys.upload import UploadDetail, upload_file

#: Start of the readable name a request key is derived from (``irp-job-<job id>-<step>``).
REQUEST_NAME_PREFIX = "irp-job"
PORTFOLIO_NAME_LIMIT = 40
TREATY_NUMBER_LIMIT = 20
DEFAULT_GEOCODE_VERSION = "22.0"
MRI_DELIMITER = "TAB"
ACCEPTED = "ACCEPTED"
COMPLETED = "COMPLETED"

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

log = logging.getLogger(__name__)


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
#: Most jobs one status list request asks for (the page size the reference client uses); which
#: list a batch type's jobs are asked for in is its registry entry's ``status_list``.
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
    path = entry(batch_type).status_path
    if path is None:
        raise JobError(f"Batch type '{batch_type}' has no Moody's job to track")
    return path


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
    listed = entry(batch_type).status_list
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
def _number(value: Any, default: float = 0.0) -> float:
    return default if value is None or value == "" else float(value)


#: Finds an import file (the job's data directory or None, the file's name): a local path or an
#: ``ObjectStoragePath``.
FileResolver = Callable[[Any, str], "Path | ObjectStoragePath"]


@dataclass
class SubmissionContext:
    """What a submitter needs besides the job's spec."""

    api: MoodysApi
    job_id: int
    batch_type: BatchType
    job: JobSpec
    resolve_file: FileResolver
    installation_id: UUID
    submitted_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def rid(self, step: Step, suffix: str = "") -> str:
        return RequestKeys(self.installation_id, self.job_id)(step, suffix)

    def record(self, body: Any) -> dict[str, Any]:
        """The request recorded on the job (the store adds the job configuration as stored)."""
        return {
            "job_id": self.job_id,
            "batch_type": self.batch_type.value,
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
    name = str(typed(ctx.job, EdmCreationSpec).require("database"))
    server_id = ctx.api.server_id(DEFAULT_SERVER_NAME)
    exposure_set_id = ctx.api.get_or_create_exposure_set(name, ctx.rid(Step.EXPOSURE_SET))
    body = {"exposureName": name, "serverId": server_id}
    path = ApiPath.EXPOSURE_SET_EXPOSURES.at(exposure_set_id=exposure_set_id)
    workflow_id = ctx.api.post(path, body, ctx.rid(Step.EDM)).location_id()
    return ctx.accepted(workflow_id, body, f"EDM creation job submitted for {name}")


def submit_portfolio_creation(ctx: SubmissionContext) -> SubmissionResult:
    job = typed(ctx.job, PortfolioCreationSpec)
    edm_name = str(job.require("database"))
    name = str(job.require("portfolio"))
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


#: Upload slot → the job spec field naming its file.
MRI_FILE_FIELDS = {"accountsFile": "accounts_import_file", "locationsFile": "locations_import_file"}


def submit_mri_import(ctx: SubmissionContext) -> SubmissionResult:
    job = typed(ctx.job, MriImportSpec)
    edm_name = str(job.require("database"))
    portfolio_name = str(job.require("portfolio"))
    try:
        files = {
            slot: ctx.resolve_file(job.data_directory, str(job.require(name))) for slot, name in MRI_FILE_FIELDS.items()
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
    workflow_id = ctx.api.post(ApiPath.IMPORT_JOBS, body, ctx.rid(Step.IMPORT)).location_id()
    return ctx.accepted(workflow_id, body, f"MRI import job submitted for {edm_name}/{portfolio_name}")


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
#: Treaty body field → the treaty spec's amount (default 0) or percentage (default 100).
TREATY_NUMBER_FIELDS = {
    "riskLimit": "per_risk_limit",
    "occurrenceLimit": "occurrence_limit",
    "attachmentPoint": "attachment_point",
    "premium": "premium",
    "reinstatementCharge": "pct_reinstatement_charge",
    "aggregateLimit": "aggregate_limit",
    "aggregateDeductible": "aggregate_deductible_amount",
    "percentageRetention": "pct_retention",
}
TREATY_PERCENT_FIELDS = {
    "percentageCovered": "pct_covered",
    "percentagePlaced": "pct_place",
    "percentageRiShare": "pct_share",
}


def _code(mapping: Mapping[str, str], value: Any, default: str, what: str) -> str:
    key = str(value) if value not in (None, "") else default
    if key not in mapping:
        raise JobError(f"Invalid {what} '{key}'; expected one of {sorted(mapping)}")
    return mapping[key]


def treaty_body(treaty: TreatySpec, currency: dict[str, Any], cedant: Mapping[str, Any]) -> dict[str, Any]:
    """The treaty POST body of contract §3.5 with the framework's defaults."""
    name = str(treaty.require("treaty_name"))
    body: dict[str, Any] = {
        "treatyName": name,
        "treatyNumber": str(treaty.treaty_number or name)[:TREATY_NUMBER_LIMIT],
        "treatyType": _code(TREATY_TYPES, treaty.treaty_type, "Working Excess", "treaty type"),
        "effectiveDate": str(treaty.inception_date or "2025-01-01"),
        "expirationDate": str(treaty.expiration_date or "2025-12-31"),
        "currency": currency,
        "attachmentBasis": _code(ATTACHMENT_BASES, treaty.attachment_basis, "Losses Occurring", "attachment basis"),
        "attachmentLevel": _code(ATTACHMENT_LEVELS, treaty.exposure_level, "Location", "exposure level"),
        "numberOfReinstatements": int(_number(treaty.reinstatements)),
        "priority": int(_number(treaty.inuring_priority, 1)),
        "cedant": {"cedantId": cedant["cedantId"], "cedantName": cedant["cedantName"]},
    }
    body.update({field_: _number(getattr(treaty, name_)) for field_, name_ in TREATY_NUMBER_FIELDS.items()})
    body.update({field_: _number(getattr(treaty, name_), 100.0) for field_, name_ in TREATY_PERCENT_FIELDS.items()})
    negative = [key for key, value in body.items() if isinstance(value, int | float) and value < 0]
    if negative:
        raise JobError(f"Treaty '{name}' has negative values: {', '.join(sorted(negative))}")
    return body


def submit_treaty(ctx: SubmissionContext) -> SubmissionResult:
    job = typed(ctx.job, TreatySpec)
    edm_name = str(job.require("database"))
    name = str(job.require("treaty_name"))
    edm = ctx.api.edm(edm_name)
    cedants = ctx.api.cedants(edm.exposure_id)
    if len(cedants) != 1:
        raise JobError(f"EDM '{edm_name}' must have exactly one cedant, found {len(cedants)}")
    currency = ctx.api.currency(str(job.currency or "US Dollar"))
    lobs = ctx.api.lobs(edm.exposure_id)  # looked up before the first write: prepare rehearses up to it
    body = treaty_body(job, currency, cedants[0])
    treaty_id = ctx.api.post(ApiPath.TREATIES.at(exposure_id=edm.exposure_id), body, ctx.rid(Step.TREATY)).location_id()
    lob_path = ApiPath.TREATY_LOB.at(exposure_id=edm.exposure_id, treaty_id=treaty_id)
    for lob in lobs:
        lob_body = {"lobId": lob["lobId"], "lobName": lob["lobName"]}
        ctx.api.post(lob_path, lob_body, ctx.rid(Step.TREATY_LOB, str(lob["lobId"]))).location_id()
    return ctx.completed(body, f"Treaty {name} created in {edm_name}", treaty_id=treaty_id)


def submit_edm_upgrade(ctx: SubmissionContext) -> SubmissionResult:
    job = typed(ctx.job, EdmDbUpgradeSpec)
    edm_name = str(job.require("database"))
    version = str(job.require("target_edm_version")).split(".", 1)[0]
    edm = ctx.api.edm(edm_name)
    body = {"edmDataVersion": version}
    workflow_id = ctx.api.post(
        ApiPath.DATA_UPGRADE.at(exposure_id=edm.exposure_id), body, ctx.rid(Step.UPGRADE)
    ).location_id()
    return ctx.accepted(workflow_id, body, f"EDM data upgrade of {edm_name} to {version} submitted")


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
    job = typed(ctx.job, GeoHazSpec)
    edm_name = str(job.require("database"))
    portfolio_name = str(job.require("portfolio"))
    version = str(job.geocode_version or DEFAULT_GEOCODE_VERSION)
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
    workflow_id = ctx.api.post(ApiPath.GEOHAZ_JOBS, body, ctx.rid(Step.GEOHAZ)).location_id()
    return ctx.accepted(workflow_id, body, f"GeoHaz job submitted for {edm_name}/{portfolio_name}")


def submit_analysis(ctx: SubmissionContext) -> SubmissionResult:
    job = typed(ctx.job, AnalysisSpec)
    edm_name = str(job.require("database"))
    portfolio_name = str(job.require("portfolio"))
    name = str(job.require("analysis_name"))
    profile_name = str(job.require("analysis_profile"))
    output_name = str(job.require("output_profile"))
    event_rate = job.event_rate
    edm = ctx.api.edm(edm_name)
    portfolio = ctx.api.portfolio(edm, portfolio_name)
    treaty_names = list(job.treaties)
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
    currency = ctx.api.analysis_currency()  # before the tags, which may be created: a rehearsal stops there
    settings["tagIds"] = [ctx.api.tag_id(tag, ctx.rid(Step.TAG, tag)) for tag in job.tags]
    settings.update(
        {
            "currency": currency,
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
    workflow_id = ctx.api.post(ApiPath.MODEL_JOBS, body, ctx.rid(Step.MODEL)).location_id()
    return ctx.accepted(workflow_id, body, f"Analysis job submitted for {edm_name}/{name}")


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
    job = typed(ctx.job, GroupingSpec)
    group_name = str(job.require("group_name"))
    items = [str(item) for item in job.require("items")]
    edm_map: Mapping[str, str] = job.analysis_edm_map or {}
    group_names = set(job.group_names or [])
    members, skipped = resolve_members(ctx.api, items, edm_map.get, group_names.__contains__)
    if not members:
        return SubmissionResult(
            "", skipped_reason=f"All {len(items)} items of group '{group_name}' are missing in Moody's"
        )
    body = grouping_body(ctx.api, group_name, members)
    workflow_id = ctx.api.post(ApiPath.GROUPING_JOBS, body, ctx.rid(Step.GROUPING)).location_id()
    included = [member.name for member in members]
    return ctx.accepted(
        workflow_id, body, f"Grouping job submitted for {group_name}", skipped_items=skipped, included_items=included
    )


def submit_export(ctx: SubmissionContext) -> SubmissionResult:
    job = typed(ctx.job, ExportSpec)
    rdm_name = str(job.require("rdm_name"))
    server_name = str(job.server_name or DEFAULT_SERVER_NAME)
    names = [str(name) for name in job.require("analysis_names")]
    database_id = job.database_id
    server_id = ctx.api.server_id(server_name)
    edm_name, is_group = job.edm_name, bool(job.is_group)
    members, skipped = resolve_members(ctx.api, names, lambda name: edm_name, lambda name: is_group)
    if not members:
        return SubmissionResult("", skipped_reason=f"All {len(names)} items to export to '{rdm_name}' are missing")
    if not database_id and not job.seed:
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
    workflow_id = ctx.api.post(ApiPath.EXPORT_JOBS, body, ctx.rid(Step.EXPORT)).location_id()
    included = [member.name for member in members]
    return ctx.accepted(
        workflow_id, body, f"Export to {rdm_name} submitted", skipped_items=skipped, included_items=included
    )


# -- looking up a submission whose answer was lost ---------------------------------------------
#: Moody's clock and ours may differ: a job submitted this long before our attempt may still be ours.
CLOCK_SKEW = timedelta(minutes=10)


# The name Moody's gives the job a spec submits (contract §2.4).
def export_job_name(api: MoodysApi, job: JobSpec) -> str:
    """The seed creates the RDM (the job is named after it); appends are named after its database."""
    export = typed(job, ExportSpec)
    rdm_name = str(export.require("rdm_name"))
    if not export.database_id and export.seed:
        return rdm_name
    server_id = api.server_id(str(export.server_name or DEFAULT_SERVER_NAME))
    return api.rdm_database(server_id, rdm_name)[1]


def import_job_name(api: MoodysApi, job: JobSpec) -> str:
    return f"PORTFOLIO: {typed(job, MriImportSpec).require('portfolio')}"


def edm_job_name(api: MoodysApi, job: JobSpec) -> str:
    return str(typed(job, EdmCreationSpec).require("database"))


def geohaz_job_name(api: MoodysApi, job: JobSpec) -> str:
    geohaz = typed(job, GeoHazSpec)
    return f"{geohaz.require('database')}: PORTFOLIO: {geohaz.require('portfolio')}"


def analysis_job_name(api: MoodysApi, job: JobSpec) -> str:
    return str(typed(job, AnalysisSpec).require("analysis_name"))


def group_job_name(api: MoodysApi, job: JobSpec) -> str:
    return str(typed(job, GroupingSpec).require("group_name"))


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
    job: JobSpec
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
    job_list = entry(lookup.batch_type).job_list
    if job_list is None:
        raise JobError(f"Moody's lists no {lookup.batch_type} jobs")
    path, job_type = job_list.path, job_list.job_type
    name = job_list.name(lookup.api, lookup.job)
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
    job = typed(lookup.job, PortfolioCreationSpec)
    edm_name = str(job.require("database"))
    name = str(job.require("portfolio"))
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
    job = typed(lookup.job, TreatySpec)
    edm_name = str(job.require("database"))
    name = str(job.require("treaty_name"))
    edm = lookup.api.edm(edm_name)
    if name not in lookup.api.find_treaties(edm.exposure_id, [name]):
        return None
    raise MoodysLookupError(
        f"Treaty '{name}' exists in '{edm_name}' but its LOB links cannot be verified; check it in Moody's, "
        "then skip this job (or delete the treaty and resubmit it)"
    )


def find_submission(lookup: SubmissionLookup) -> SubmissionResult | None:
    """What Moody's has of a lost submission; None also for batch types whose jobs create nothing
    that sending them again would duplicate (EDM DB Upgrade)."""
    finder = entry(lookup.batch_type).find_submission
    return finder(lookup) if finder is not None else None


def submit(ctx: SubmissionContext) -> SubmissionResult:
    submitter = entry(ctx.batch_type).submit
    if submitter is None:
        raise JobError(f"Batch type '{ctx.batch_type}' is not submitted to Moody's")
    result: SubmissionResult = submitter(ctx)
    return result


#: Request keys of a rehearsal: it sends no write, so no key is ever used.
REHEARSAL_INSTALLATION = UUID(int=0)


def rehearse(
    api: MoodysApi, batch_type: BatchType, jobs: Mapping[int, JobSpec], resolve_file: FileResolver
) -> dict[int, dict[str, Rows]]:
    """Each job's submission up to its first write, on ``api``'s references (what validation
    found is not asked again, and what one job looks up answers the others): per job, the
    answers its look-ups used, for its job task. A job whose look-ups fail is left to its own
    task to report; an outage is raised (the caller's task retries)."""
    submitter = entry(batch_type).submit
    if submitter is None:
        return {}
    rehearsal = MoodysApi(api.client, api.references, rehearsal=True)
    answers: dict[int, dict[str, Rows]] = {}
    for job_id, job in jobs.items():
        ctx = SubmissionContext(rehearsal, job_id, batch_type, job, resolve_file, REHEARSAL_INSTALLATION)
        with api.references.tracking() as used:
            try:
                submitter(ctx)
            except FirstWrite:
                pass
            except MoodysUnavailableError:
                raise
            except (MoodysError, JobError, OSError, ValueError) as error:
                log.info("Rehearsing job %s stopped before its first write: %s", job_id, error)
        answers[job_id] = api.references.subset(used)
    return answers
