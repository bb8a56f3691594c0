"""Data Bridge: delete a database (an asynchronous job with a plain-text status, contract §4.3)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from moodys_simulator.core import Simulator
from moodys_simulator.engine import DATABRIDGE_STATUSES, JobKind, SimJob
from moodys_simulator.web import RESOURCE_GROUP_HEADER, ApiError, not_found


def databridge_routes(sim: Simulator) -> APIRouter:
    router = APIRouter(prefix="/databridge/v1")

    @router.delete("/sql-instances/{instance}/databases/{name}")
    async def delete_database(request: Request, instance: str, name: str) -> dict:
        server = sim.state.server_by_name(instance)
        database = sim.state.database_by_name(server["serverId"], name) if server else None
        if database is None:
            raise not_found(f"Database {name} not found on {instance}")

        def effect(job: SimJob) -> None:
            sim.state.databases.pop(database["databaseId"], None)

        job = sim.engine.submit(
            JobKind.DATABRIDGE, "DELETE_DATABASE", name, request.headers.get(RESOURCE_GROUP_HEADER, ""), {}, effect
        )
        job_guid = str(uuid.uuid4())
        sim.state.databridge_jobs[job_guid] = job.job_id
        return {"jobId": job_guid}

    @router.get("/jobs/{job_guid}")
    async def job_status(job_guid: str) -> PlainTextResponse:
        job_id = sim.state.databridge_jobs.get(job_guid)
        if job_id is None:
            raise ApiError(404, "NOT_FOUND", "Invalid job id")
        job = sim.engine.read(sim.engine.jobs[job_id])
        return PlainTextResponse(DATABRIDGE_STATUSES[job.status].value)

    return router
