"""HTTP helpers shared by the simulator's routes: errors, ``Location`` answers, searches."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from moodys_simulator.core import Simulator
from moodys_simulator.engine import JobKind, SimJob
from moodys_simulator.filters import FilterError, compile_filter

RESOURCE_GROUP_HEADER = "x-rms-resource-group-id"
REQUEST_ID_HEADER = "x-rms-requestid"
LOGIN_PATH = "/sml/auth/v1/login/implicit"
ADMIN_PREFIX = "/_sim"
S3_PREFIX = "/_s3"
S3_BUCKET = "sim-bucket"
PORTFOLIO_NAME_LIMIT = 40
NUMBER_LIMIT = 20

KIND_PATHS = {
    JobKind.RISKDATA: "/platform/riskdata/v1/jobs",
    JobKind.WORKFLOW: "/riskmodeler/v1/workflows",
    JobKind.IMPORT: "/platform/import/v1/jobs",
    JobKind.GEOHAZ: "/platform/geohaz/v1/jobs",
    JobKind.MODEL: "/platform/model/v1/jobs",
    JobKind.GROUPING: "/platform/grouping/v1/jobs",
    JobKind.EXPORT: "/platform/export/v1/jobs",
}
#: Kinds each platform job endpoint serves (the risk-data endpoint also serves GeoHaz jobs).
API_KINDS = {
    "riskdata": {JobKind.RISKDATA, JobKind.GEOHAZ},
    "import": {JobKind.IMPORT},
    "geohaz": {JobKind.GEOHAZ},
    "model": {JobKind.MODEL},
    "grouping": {JobKind.GROUPING},
    "export": {JobKind.EXPORT},
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_payload(code, message), status, headers=headers)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BAD_REQUEST", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", message)


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def located(request: Request, path: str, status: int = 201, body: Any = None) -> Response:
    headers = {"Location": f"{base_url(request)}{path}"}
    if body is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(body, status, headers=headers)


async def json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise bad_request("Request body is not valid JSON") from None


def matching(request: Request, rows: Iterable[dict[str, Any]], props: Sequence[str], param: str) -> list:
    """Rows matching the ``filter``/``where`` parameter (bad filter or unknown property: 400)."""
    try:
        predicate = compile_filter(request.query_params.get(param), props)
    except FilterError as error:
        raise bad_request(str(error)) from None
    return [row for row in rows if predicate(row)]


def search_rows(request: Request, rows: Iterable[dict[str, Any]], props: Sequence[str], param: str = "filter") -> list:
    """Filter, then ``offset`` (records), then ``limit``; no ``limit`` returns every match."""
    matches = matching(request, rows, props, param)
    offset = int(request.query_params.get("offset") or 0)
    limit = request.query_params.get("limit")
    return matches[offset : offset + int(limit)] if limit else matches[offset:]


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if not key.startswith("_")}


def envelope(request: Request, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A reference-table answer: ``where`` filter, paging, ``count`` and ``totalCount``."""
    props = sorted({key for row in rows for key in row})
    items = search_rows(request, rows, props, param="where")
    return {"count": len(items), "totalCount": len(matching(request, rows, props, "where")), "items": items}


def error_payload(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "logId": str(uuid.uuid4())}


def submit_job(
    request: Request,
    sim: Simulator,
    kind: JobKind,
    job_type: str,
    name: str,
    payload: dict[str, Any],
    effect: Callable[[SimJob], None] | None,
    task_names: tuple[str, ...] = (),
) -> Response:
    job = sim.engine.submit(
        kind, job_type, name, request.headers.get(RESOURCE_GROUP_HEADER, ""), payload, effect, task_names
    )
    return located(request, f"{KIND_PATHS[kind]}/{job.job_id}", status=202)


def find_job(sim: Simulator, job_id: int, kinds: set[JobKind] | None) -> SimJob:
    job = sim.engine.jobs.get(job_id)
    if job is None or (kinds is not None and job.kind not in kinds):
        raise ApiError(404, "NOT_FOUND", "Invalid job id")
    return job
