"""The dashboard's FastAPI app: HTML pages and the same data as JSON, for signed-in users only.

Airflow mounts plugin apps without authentication, so the app itself requires Airflow's user on
every route (``get_user`` accepts the ``Authorization: Bearer`` token of the REST API and the
``_token`` cookie the Airflow UI sets at login). A browser that is not signed in is sent to
Airflow's login page and back; API clients get 401/403. What a signed-in user may see and repair
is the auth manager's answer (:mod:`irp.dashboard.access`): a cycle needs read access to its DAG,
a repair needs permission to trigger ``irp_repair``.

Routes are synchronous: FastAPI runs them in its thread pool, and the store gives each thread
its own connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.core_api.security import get_user
from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from irp.constants import BatchStatus, CycleStatus, JobStatus
from irp.dashboard import queries, render, urls
from irp.dashboard.access import AccessDenied, AccessDep
from irp.dashboard.queries import BatchDetail, BatchLinks, BatchOverview, CycleOverview, JobDetail
from irp.dashboard.urls import Route
from irp.repair import RepairRecord
from irp.repair_request import RepairAction, RepairTarget
from irp.store import Store, resolve

_STATUS_FILTER = "Show only these statuses (repeat the parameter for several)."


def get_store() -> Store:
    """The store configured in Airflow (``[irp] store_conn_id`` / ``store_schema``)."""
    return resolve(None)


StoreDep = Annotated[Store, Depends(get_store)]
BatchStatuses = Annotated[list[BatchStatus] | None, Query(alias="status", description=_STATUS_FILTER)]
JobStatuses = Annotated[list[JobStatus] | None, Query(alias="status", description=_STATUS_FILTER)]
CycleStatuses = Annotated[list[CycleStatus] | None, Query(alias="status", description=_STATUS_FILTER)]
JobLimit = Annotated[int, Query(ge=1, le=queries.MAX_JOB_LIMIT, description="Jobs listed at most.")]


def request_roots(request: Request) -> render.Roots:
    """The dashboard's mount point and the Airflow UI's root, as this request reached them."""
    dashboard = request.scope.get("root_path", "")
    airflow = dashboard.removesuffix(urls.URL_PREFIX) if dashboard.endswith(urls.URL_PREFIX) else ""
    return render.Roots(dashboard=dashboard, airflow=airflow)


RootsDep = Annotated[render.Roots, Depends(request_roots)]


def _links(roots: render.Roots, overview: BatchOverview) -> BatchOverview:
    batch = overview.batch
    overview.links = BatchLinks(page=roots.page(urls.batch_path(overview.cycle_name, batch.batch_id)))
    if batch.dag_id and batch.run_id:
        overview.links.dag_run = roots.airflow_page(urls.dag_run_path(batch.dag_id, batch.run_id))
        if batch.task_group_id:
            overview.links.task_group = roots.airflow_page(
                urls.task_group_path(batch.dag_id, batch.run_id, batch.task_group_id)
            )
    return overview


def _not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")


# -- data, shared by the pages and the JSON endpoints --------------------------------------------------
# Each looks the object up, then asks whether the user may read its cycle's DAG: an unknown id is a
# 404, a known one the user may not read a 403.
def _cycle(store: Store, access: AccessDep, cycle_name: str) -> CycleOverview:
    cycle = queries.cycle(store, cycle_name)
    if cycle is None:
        raise _not_found(f"Cycle {cycle_name!r}")
    access.require_cycle(cycle_name)
    return cycle


def _batch(
    store: Store, access: AccessDep, roots: render.Roots, batch_id: int, cycle_name: str | None = None
) -> BatchOverview:
    overview = queries.batch(store, batch_id)
    if overview is None or (cycle_name is not None and overview.cycle_name != cycle_name):
        raise _not_found(f"Batch {batch_id}" + (f" of cycle {cycle_name!r}" if cycle_name else ""))
    access.require_cycle(overview.cycle_name)
    return _links(roots, overview)


def _job(store: Store, access: AccessDep, roots: render.Roots, job_id: int) -> JobDetail:
    detail = queries.job(store, job_id)
    if detail is None:
        raise _not_found(f"Job {job_id}")
    access.require_cycle(detail.cycle_name)
    detail.batch_links = BatchLinks(page=roots.page(urls.batch_path(detail.cycle_name, detail.job.batch_id)))
    return detail


# -- JSON ------------------------------------------------------------------------------------------------
def api_cycles(store: StoreDep, access: AccessDep, status: CycleStatuses = None) -> list[CycleOverview]:
    """The cycles whose DAG the user may read, with batch counts by status and job progress."""
    return [cycle for cycle in queries.cycles(store, status) if access.can_read_cycle(cycle.cycle_name)]


def api_cycle(store: StoreDep, access: AccessDep, cycle_name: str) -> CycleOverview:
    return _cycle(store, access, cycle_name)


def api_cycle_batches(
    store: StoreDep, access: AccessDep, roots: RootsDep, cycle_name: str, status: BatchStatuses = None
) -> list[BatchOverview]:
    """The cycle's batches in dependency order: job counts, timings, recent recons, Airflow links."""
    _cycle(store, access, cycle_name)
    return [_links(roots, overview) for overview in queries.batches(store, cycle_name, status)]


def api_cycle_repairs(store: StoreDep, access: AccessDep, cycle_name: str) -> list[RepairRecord]:
    """The repairs made to the cycle (who, when, why, what changed), newest first."""
    _cycle(store, access, cycle_name)
    return queries.cycle_repairs(store, cycle_name)


def api_batch(store: StoreDep, access: AccessDep, roots: RootsDep, batch_id: int) -> BatchOverview:
    return _batch(store, access, roots, batch_id)


def api_batch_jobs(
    store: StoreDep,
    access: AccessDep,
    roots: RootsDep,
    batch_id: int,
    status: JobStatuses = None,
    limit: JobLimit = queries.DEFAULT_JOB_LIMIT,
) -> BatchDetail:
    """The batch's jobs: entity, status, Moody's id, progress, attempt and resubmission chain, last error."""
    return queries.batch_jobs(store, _batch(store, access, roots, batch_id), status, limit)


def api_job(store: StoreDep, access: AccessDep, roots: RootsDep, job_id: int) -> JobDetail:
    """One job with every attempt of its chain, its tracking log, its configuration and its repairs."""
    return _job(store, access, roots, job_id)


# -- pages -----------------------------------------------------------------------------------------------
def _html(body: str, status_code: int = status.HTTP_200_OK) -> HTMLResponse:
    return HTMLResponse(body, status_code=status_code, headers={"Cache-Control": "no-store"})


def _page_or_404(roots: render.Roots, build: Callable[[], str]) -> HTMLResponse:
    try:
        return _html(build())
    except HTTPException as exc:
        if exc.status_code != status.HTTP_404_NOT_FOUND:
            raise
        return _html(render.not_found(roots, str(exc.detail)), exc.status_code)


def cycles_page(store: StoreDep, access: AccessDep, roots: RootsDep, status: CycleStatuses = None) -> HTMLResponse:
    selected = [s.value for s in status or ()]
    readable = [cycle for cycle in queries.cycles(store) if access.can_read_cycle(cycle.cycle_name)]
    return _html(render.cycles_page(roots, readable, selected))


def batches_page(
    store: StoreDep, access: AccessDep, roots: RootsDep, cycle_name: str, status: BatchStatuses = None
) -> HTMLResponse:
    def build() -> str:
        cycle = _cycle(store, access, cycle_name)
        overviews = [_links(roots, overview) for overview in queries.batches(store, cycle_name, status)]
        repairs = queries.cycle_repairs(store, cycle_name)
        page = render.batches_page(roots, cycle, overviews, [s.value for s in status or ()], repairs, access.can_repair)
        return page

    return _page_or_404(roots, build)


def batch_page(
    store: StoreDep,
    access: AccessDep,
    roots: RootsDep,
    cycle_name: str,
    batch_id: int,
    status: JobStatuses = None,
    limit: JobLimit = queries.DEFAULT_JOB_LIMIT,
) -> HTMLResponse:
    def build() -> str:
        detail = queries.batch_jobs(store, _batch(store, access, roots, batch_id, cycle_name), status, limit)
        return render.batch_page(roots, detail, [s.value for s in status or ()], access.can_repair)

    return _page_or_404(roots, build)


def job_page(store: StoreDep, access: AccessDep, roots: RootsDep, job_id: int) -> HTMLResponse:
    def build() -> str:
        detail = _job(store, access, roots, job_id)
        cycle = queries.cycle(store, detail.cycle_name)
        active = cycle is not None and cycle.status is CycleStatus.ACTIVE
        return render.job_page(roots, detail, access.can_repair and active)

    return _page_or_404(roots, build)


def repair_page(
    store: StoreDep,
    access: AccessDep,
    roots: RootsDep,
    action: RepairAction,
    job_id: int | None = None,
    batch_id: int | None = None,
    cycle: str | None = None,
) -> HTMLResponse:
    """The repair DAG's run configuration for one job, batch or cycle, filled in: the person reviews
    it, gives a reason and triggers ``irp_repair`` through Airflow's REST API as themselves."""

    def build() -> str:
        access.require_repair()
        target = action.target
        if target is RepairTarget.JOB and job_id is not None:
            detail = _job(store, access, roots, job_id)
            return render.repair_page(roots, render.RepairForm.for_job(action, detail))
        if target is RepairTarget.BATCH and batch_id is not None:
            overview = _batch(store, access, roots, batch_id)
            return render.repair_page(roots, render.RepairForm.for_batch(action, overview))
        if target is RepairTarget.CYCLE and cycle is not None:
            return render.repair_page(roots, render.RepairForm.for_cycle(action, _cycle(store, access, cycle)))
        raise _not_found(f"{action.label} needs {target.value}; the repair page")

    return _page_or_404(roots, build)


# -- the app ---------------------------------------------------------------------------------------------
def _is_api(request: Request) -> bool:
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    return path.startswith(urls.API_PREFIX + "/")


async def _sign_in_first(request: Request, exc: StarletteHTTPException) -> Response:
    """Pages answer an unauthenticated browser with Airflow's login, which comes back here; a
    signed-in user who may not see a page gets a 403 page saying why."""
    if isinstance(exc, AccessDenied) and not _is_api(request):
        return _html(render.forbidden(request_roots(request), str(exc.detail)), exc.status_code)
    refused = exc.status_code in (status.HTTP_401_UNAUTHORIZED, status.HTTP_403_FORBIDDEN)
    if refused and request.method == "GET" and not _is_api(request) and not isinstance(exc, AccessDenied):
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(get_auth_manager().get_url_login(next_url=here), status.HTTP_303_SEE_OTHER)
    return await http_exception_handler(request, exc)


def create_app() -> FastAPI:
    """The dashboard app; every route requires an Airflow user."""
    app = FastAPI(
        title="IRP batch dashboard",
        description="Cycles, batches and jobs of the irp store. Authenticate as for Airflow's REST API.",
        dependencies=[Depends(get_user)],
        # FastAPI serves its schema and docs pages outside the routes' dependencies: not anonymously.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    # Starlette types every handler as taking any Exception, though it calls one only with its class.
    app.add_exception_handler(StarletteHTTPException, _sign_in_first)  # type: ignore[arg-type]
    for route, endpoint in (
        (Route.API_CYCLES, api_cycles),
        (Route.API_CYCLE, api_cycle),
        (Route.API_CYCLE_BATCHES, api_cycle_batches),
        (Route.API_CYCLE_REPAIRS, api_cycle_repairs),
        (Route.API_BATCH, api_batch),
        (Route.API_BATCH_JOBS, api_batch_jobs),
        (Route.API_JOB, api_job),
    ):
        app.add_api_route(route, endpoint, methods=["GET"], response_model=None, tags=["data"])
    for route, page in (
        (Route.CYCLES, cycles_page),
        (Route.CYCLE, batches_page),
        (Route.BATCH, batch_page),
        (Route.JOB, job_page),
        (Route.REPAIR, repair_page),
    ):
        app.add_api_route(route, page, methods=["GET"], response_class=HTMLResponse, tags=["pages"])
    return app
