"""Bearer login: ``POST /sml/auth/v1/login/implicit``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from moodys_simulator.core import Simulator
from moodys_simulator.web import (
    LOGIN_PATH,
    error_response,
    json_body,
)


def auth_routes(sim: Simulator) -> APIRouter:
    router = APIRouter()

    @router.post(LOGIN_PATH)
    async def login(request: Request) -> Response:
        body = await json_body(request)
        token = sim.login(str(body.get("tenantName")), str(body.get("username")), str(body.get("password")))
        if token is None:
            return error_response(401, "UNAUTHORIZED", "Invalid credentials")
        return JSONResponse(
            {
                "accessToken": token,
                "tokenType": "Bearer",
                "refreshToken": f"sim-refresh-{uuid.uuid4().hex[:8]}",
                "expiresIn": int(sim.options.token_ttl_seconds),
            }
        )

    return router
