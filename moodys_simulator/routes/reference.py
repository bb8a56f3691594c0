"""Reference data (analysis settings, data-store tables), tags and the fake S3."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from moodys_simulator.core import Simulator
from moodys_simulator.state import (
    TAG_PROPS,
)
from moodys_simulator.web import (
    bad_request,
    envelope,
    json_body,
    located,
    not_found,
    search_rows,
)


def reference_routes(sim: Simulator) -> APIRouter:
    router = APIRouter()
    tables = {
        "eventratescheme": lambda: sim.reference.event_rate_schemes,
        "currency": lambda: sim.reference.currencies,
        "currencyscheme": lambda: sim.reference.currency_schemes,
        "currencyschemevintage": lambda: sim.reference.currency_vintages,
        "simulationset": lambda: sim.reference.simulation_sets,
        "petmetadata": lambda: sim.reference.pet_metadata,
        "softwaremodelversionmap": lambda: sim.reference.software_model_versions,
    }

    @router.get("/analysis-settings/modelprofiles")
    async def model_profiles(request: Request) -> dict:
        name = request.query_params.get("name")
        items = [p for p in sim.reference.model_profiles if name is None or p["name"] == name]
        return {"count": len(items), "items": items}

    @router.get("/analysis-settings/outputprofiles")
    async def output_profiles(request: Request) -> list:
        name = request.query_params.get("name")
        return [p for p in sim.reference.output_profiles if name is None or p["name"] == name]

    async def table(request: Request, name: str) -> dict:
        source = tables.get(name.lower())
        if source is None:
            raise not_found(f"Reference table {name} not found")
        return envelope(request, source())

    router.add_api_route("/data-store/referencetables/{name}", table, methods=["GET"])
    router.add_api_route("/data-store/referenceTables/{name}", table, methods=["GET"])

    @router.get("/platform/referencedata/v1/tags")
    async def tags(request: Request) -> list:
        return search_rows(request, sim.state.tags.values(), TAG_PROPS)

    @router.post("/platform/referencedata/v1/tags")
    async def create_tag(request: Request) -> Response:
        body = await json_body(request)
        name = str(body.get("tagName") or "")
        if not name:
            raise bad_request("tagName is required")
        tag_id = sim.state.next("tag")
        sim.state.tags[tag_id] = {"tagId": tag_id, "tagName": name}
        return located(request, f"/platform/referencedata/v1/tags/{tag_id}")

    @router.put("/_s3/{bucket}/{key:path}")
    async def s3_put(request: Request, bucket: str, key: str) -> Response:
        sim.state.objects[f"{bucket}/{key}"] = await request.body()
        return Response(status_code=200, headers={"ETag": f'"{uuid.uuid4().hex}"'})

    return router
