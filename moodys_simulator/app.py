"""The simulator's ASGI application: the Moody's endpoints irp uses (contract §6.6), the fake S3 and
the ``/_sim`` admin endpoints. Every handler is ``async`` and runs on the server's single event
loop, so the in-memory state needs no locks."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp

from moodys_simulator.core import Simulator
from moodys_simulator.middleware import SimulatorMiddleware
from moodys_simulator.routes.admin import admin_routes
from moodys_simulator.routes.auth import auth_routes
from moodys_simulator.routes.databridge import databridge_routes
from moodys_simulator.routes.jobs import job_routes
from moodys_simulator.routes.reference import reference_routes
from moodys_simulator.routes.riskdata import riskdata_routes
from moodys_simulator.web import (
    ApiError,
    error_response,
)


def create_app(simulator: Simulator) -> ASGIApp:
    api = FastAPI(title="Moody's Risk Modeler simulator", docs_url=None, redoc_url=None, openapi_url=None)
    sim = simulator

    @api.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message)

    for router in (
        auth_routes(sim),
        riskdata_routes(sim),
        reference_routes(sim),
        job_routes(sim),
        databridge_routes(sim),
        admin_routes(sim),
    ):
        api.include_router(router)
    return SimulatorMiddleware(api, sim)
