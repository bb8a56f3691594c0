"""Import folders and the asynchronous jobs: import, GeoHaz, model, grouping, export, workflows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from moodys_simulator.core import Simulator
from moodys_simulator.engine import JobKind, SideEffectError, SimJob
from moodys_simulator.state import (
    JOB_PROPS,
    Folder,
    suffix,
)
from moodys_simulator.web import (
    API_KINDS,
    S3_BUCKET,
    S3_PREFIX,
    bad_request,
    base_url,
    find_job,
    json_body,
    located,
    not_found,
    search_rows,
    submit_job,
)


def _analysis_rows(sim: Simulator, uris: Sequence[str]) -> list[dict[str, Any]]:
    rows = [sim.state.resolve_analysis_uri(str(uri)) for uri in uris]
    if not uris or any(row is None for row in rows):
        raise bad_request("resourceUris must name existing analyses")
    return [row for row in rows if row is not None]


def pet_id(sim: Simulator, profile: dict[str, Any]) -> int:
    """The PET of the profile's peril and model region (HD analyses are simulated on it)."""
    key = (profile["perilCode"], profile["modelRegionCode"])
    return next(
        (int(pet["id"]) for pet in sim.reference.pet_metadata if (pet["perilCode"], pet["modelRegionCode"]) == key), 0
    )


def validate_layers(layers: Any) -> None:
    """The 0.12.0 client's GeoHaz layer checks, enforced server-side."""
    if not isinstance(layers, list) or not layers:
        raise bad_request("settings.layers must be a non-empty list")
    required = {
        "geocode": ("aggregateTriggerEnabled", "skipPrevGeocoded"),
        "hazard": ("overrideUserDef", "skipPrevHazard"),
    }
    for layer in layers:
        kind = layer.get("type") if isinstance(layer, dict) else None
        if kind not in required or not all(
            isinstance(layer.get(k), str) and layer.get(k) for k in ("name", "engineType", "version")
        ):
            raise bad_request("each layer needs type geocode|hazard and non-empty name, engineType, version")
        options = layer.get("layerOptions")
        if not isinstance(options, dict) or not all(isinstance(options.get(k), bool) for k in required[kind]):
            raise bad_request(f"{kind} layerOptions need boolean {', '.join(required[kind])}")


def job_routes(sim: Simulator) -> APIRouter:
    router = APIRouter()

    @router.post("/platform/import/v1/folders")
    async def create_folder(request: Request) -> Response:
        body = await json_body(request)
        folder_type = str(body.get("folderType") or "")
        slots = list((body.get("properties") or {}).get("fileTypes") or [])
        if folder_type != "MRI" or not slots:
            raise bad_request("folderType MRI with properties.fileTypes is required")
        folder_id = sim.state.next("folder")
        folder = Folder(folder_id, folder_type, {})
        details = {}
        for slot in slots:
            file_id = sim.state.next("file")
            key = f"import/{folder_id}/{file_id}-{slot}.csv"
            folder.files[slot] = (file_id, S3_BUCKET, key)
            details[slot] = {
                "fileUri": f"platform/import/v1/folders/{folder_id}/files/{file_id}",
                "uploadUrl": f"{base_url(request)}{S3_PREFIX}/{S3_BUCKET}/{key}",
                "presignParams": presign_params(f"{S3_BUCKET}/import/{folder_id}"),
            }
        sim.state.folders[folder_id] = folder
        return located(
            request,
            f"/platform/import/v1/folders/{folder_id}",
            body={"folderId": folder_id, "folderType": folder_type, "uploadDetails": details},
        )

    @router.post("/platform/import/v1/jobs")
    async def import_job(request: Request) -> Response:
        body = await json_body(request)
        target = sim.state.resolve_portfolio_uri(str(body.get("resourceUri") or ""))
        folder = sim.state.folders.get(int((body.get("settings") or {}).get("folderId") or 0))
        if body.get("importType") != "MRI" or target is None or folder is None:
            raise bad_request("importType MRI, an existing portfolio resourceUri and settings.folderId are required")
        record, portfolio = target

        def effect(job: SimJob) -> None:
            job.summary = sim.state.import_mri(record, portfolio["portfolioId"], folder)
            job.resources = [{"uri": portfolio["uri"]}]

        name = f"PORTFOLIO: {portfolio['portfolioName']}"
        return submit_job(request, sim, JobKind.IMPORT, "MRI_IMPORT", name, body, effect, ("MRI_IMPORT",))

    @router.post("/platform/geohaz/v1/jobs")
    async def geohaz_job(request: Request) -> Response:
        body = await json_body(request)
        target = sim.state.resolve_portfolio_uri(str(body.get("resourceUri") or ""))
        if target is None:
            raise bad_request("resourceUri must name an existing portfolio")
        layers = (body.get("settings") or {}).get("layers")
        validate_layers(layers)
        record, portfolio = target

        def effect(job: SimJob) -> None:
            for layer in layers:
                field_name = "geocodeVersion" if layer["type"] == "geocode" else "hazardVersion"
                portfolio[field_name] = layer["version"]
            job.resources = [{"uri": portfolio["uri"]}]
            job.output = {"databaseName": record.row["databaseName"], "exposureName": record.name}

        name = f"{record.name}: PORTFOLIO: {portfolio['portfolioName']}"
        return submit_job(request, sim, JobKind.GEOHAZ, "GEOHAZ", name, body, effect, ("GEOCODING", "HAZARD"))

    @router.post("/platform/model/v1/jobs")
    async def model_job(request: Request) -> Response:
        body = await json_body(request)
        settings = body.get("settings") or {}
        target = sim.state.resolve_portfolio_uri(str(body.get("resourceUri") or ""))
        profile = next((p for p in sim.reference.model_profiles if p["id"] == settings.get("modelProfileId")), None)
        output_ok = any(p["id"] == settings.get("outputProfileId") for p in sim.reference.output_profiles)
        scheme = next(
            (
                s
                for s in sim.reference.event_rate_schemes
                if s["eventRateSchemeId"] == settings.get("eventRateSchemeId")
            ),
            None,
        )
        job_type = str(body.get("type") or "")
        if (
            target is None
            or profile is None
            or not output_ok
            or not settings.get("name")
            or job_type not in ("DLM", "HD")
        ):
            raise bad_request(
                "resourceUri, type DLM|HD, settings.name, modelProfileId and outputProfileId must be valid"
            )
        if job_type == "DLM" and scheme is None:
            raise bad_request("A DLM analysis needs a valid eventRateSchemeId")
        record, portfolio = target
        treaty_ids = list(settings.get("treatyIds") or [])
        if any(treaty not in record.treaties for treaty in treaty_ids):
            raise bad_request("treatyIds must name treaties of the exposure")

        def effect(job: SimJob) -> None:
            framework = "PLT" if job_type == "HD" else "ELT"
            region = {
                "framework": framework,
                "region": profile["modelRegionCode"][:2],
                "subRegion": "US",
                "peril": profile["perilCode"],
                "perilCode": profile["perilCode"],
                "engineVersion": profile["softwareVersionCode"],
                "eventRateSchemeId": scheme["eventRateSchemeId"] if scheme else 0,
                "rateSchemeId": scheme["eventRateSchemeId"] if scheme else 0,
                "petId": pet_id(sim, profile) if framework == "PLT" else 0,
                "periods": 50000 if framework == "PLT" else 0,
                "numSamples": 0,
                "applyContractFlag": False,
                "modelProfileId": profile["id"],
            }
            row = sim.state.create_analysis(
                {
                    "analysisName": settings["name"],
                    "exposureName": record.name,
                    "exposureId": record.exposure_id,
                    "exposureResourceId": portfolio["portfolioId"],
                    "exposureResourceType": "PORTFOLIO",
                    "engineType": job_type,
                    "analysisFramework": framework,
                    "isGroup": False,
                    "groupType": "ANLS",
                    "perilCode": profile["perilCode"],
                    "regionCode": profile["modelRegionCode"][:2],
                    "engineVersion": profile["softwareVersionCode"],
                    "eventRateSchemeId": region["eventRateSchemeId"],
                    "eventRateSchemeName": scheme["eventRateSchemeName"] if scheme else "",
                    "treatyIds": treaty_ids,
                },
                [region],
            )
            job.resources = [{"uri": row["uri"]}]
            job.output = {"analysisId": row["analysisId"]}

        return submit_job(request, sim, JobKind.MODEL, job_type, str(settings["name"]), body, effect, ("ANALYSIS",))

    @router.post("/platform/grouping/v1/jobs")
    async def grouping_job(request: Request) -> Response:
        body = await json_body(request)
        settings = body.get("settings") or {}
        members = _analysis_rows(sim, list(body.get("resourceUris") or []))
        name = str(settings.get("analysisName") or "")
        if not name:
            raise bad_request("settings.analysisName is required")

        def effect(job: SimJob) -> None:
            if any(member["analysisId"] not in sim.state.analyses for member in members):
                raise SideEffectError("A member analysis was deleted while grouping")
            regions = [region for m in members for region in sim.state.analysis_regions.get(m["analysisId"], [])]
            row = sim.state.create_analysis(
                {
                    "analysisName": name,
                    "engineType": "Group",
                    "analysisFramework": "PLT" if settings.get("simulateToPLT") else "ELT",
                    "isGroup": True,
                    "groupType": "CDGP",
                    "perilCode": members[0].get("perilCode"),
                    "regionCode": members[0].get("regionCode"),
                    "memberAnalysisIds": [member["analysisId"] for member in members],
                },
                regions,
            )
            job.resources = [{"uri": row["uri"]}]
            job.output = {"analysisId": row["analysisId"]}

        return submit_job(request, sim, JobKind.GROUPING, "GROUPING", name, body, effect, ("GROUPING",))

    @router.post("/platform/export/v1/jobs")
    async def export_job(request: Request) -> Response:
        body = await json_body(request)
        settings = body.get("settings") or {}
        server = sim.state.server(int(settings.get("serverId") or 0))
        uris = [str(uri) for uri in body.get("resourceUris") or []]
        _analysis_rows(sim, uris)
        database_id = settings.get("databaseId")
        rdm_name = str(settings.get("rdmName") or "")
        if body.get("exportType") != "RDM_DATABRIDGE" or server is None or not (rdm_name or database_id):
            raise bad_request("exportType RDM_DATABRIDGE, a valid serverId and rdmName or databaseId are required")
        if database_id and int(database_id) not in sim.state.databases:
            raise bad_request(f"Database {database_id} not found")
        name = rdm_name or sim.state.databases[int(database_id)]["databaseName"]

        def effect(job: SimJob) -> None:
            if database_id:
                database = sim.state.databases.get(int(database_id))
                if database is None:
                    raise SideEffectError(f"Database {database_id} no longer exists")
                database["exportedAnalysisUris"].extend(uris)
                return
            new_id = sim.state.next("database")
            sim.state.databases[new_id] = {
                "databaseId": new_id,
                "databaseName": f"{rdm_name}_{suffix(sim.state.rng)}",
                "type": "RDM",
                "serverId": server["serverId"],
                "exportedAnalysisUris": list(uris),
            }

        return submit_job(request, sim, JobKind.EXPORT, "RDM_DATABRIDGE", name, body, effect)

    @router.get("/platform/{api}/v1/jobs")
    async def jobs_search(request: Request, api: str) -> list:
        kinds = API_KINDS.get(api)
        if kinds is None:
            raise not_found(f"Unknown API {api}")
        candidates = [job for job in sim.engine.jobs.values() if job.kind in kinds]
        rows = {
            job.job_id: {
                "jobId": str(job.job_id),
                "status": job.status.value,
                "type": job.type,
                "name": job.name,
            }
            for job in candidates
        }
        selected = search_rows(request, list(rows.values()), JOB_PROPS)
        return [sim.engine.platform_view(sim.engine.read(sim.engine.jobs[int(row["jobId"])])) for row in selected]

    @router.get("/platform/{api}/v1/jobs/{job_id}")
    async def job_status(api: str, job_id: int) -> dict:
        return sim.engine.platform_view(sim.engine.read(find_job(sim, job_id, API_KINDS.get(api, set()))))

    @router.patch("/platform/{api}/v1/jobs/{job_id}")
    async def job_update(request: Request, api: str, job_id: int) -> Response:
        job = find_job(sim, job_id, API_KINDS.get(api, set()))
        body = await json_body(request)
        if body.get("status") != "CANCELLED":
            raise bad_request('Only {"status": "CANCELLED"} is supported')
        if not sim.engine.cancel(job):
            raise bad_request(f"Job {job_id} is already {job.status.value}")
        return Response(status_code=202)

    @router.get("/riskmodeler/v1/workflows")
    async def workflows(request: Request) -> dict:
        ids = [int(part) for part in (request.query_params.get("ids") or "").split(",") if part.strip()]
        found = [sim.engine.workflow_view(sim.engine.read(sim.engine.jobs[i])) for i in ids if i in sim.engine.jobs]
        offset = int(request.query_params.get("offset") or 0)
        limit = int(request.query_params.get("limit") or len(found) or 1)
        return {"totalMatchCount": len(found), "workflows": found[offset : offset + limit]}

    @router.get("/riskmodeler/v1/workflows/{job_id}")
    async def workflow(job_id: int) -> dict:
        return sim.engine.workflow_view(sim.engine.read(find_job(sim, job_id, None)))

    @router.delete("/riskmodeler/v1/workflows/{job_id}")
    async def cancel_workflow(job_id: int) -> Response:
        job = find_job(sim, job_id, None)
        if not sim.engine.cancel(job):
            raise bad_request(f"Workflow {job_id} is already {job.status.value}")
        return Response(status_code=202)

    return router


def presign_params(path: str) -> dict[str, str]:
    import base64

    def encode(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    return {
        "accessKeyId": encode("AKIASIM"),
        "secretAccessKey": encode("sim-secret-access-key"),
        "sessionToken": encode("sim-session-token"),
        "path": encode(path),
        "region": encode("us-east-1"),
    }
