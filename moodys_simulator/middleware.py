"""The ASGI layer in front of the routes: auth, resource group, header-size limit, latency, fault
injection and ``X-RMS-RequestId`` idempotency (including "commit, then drop the answer").

In time mode every request first brings the jobs up to date, so side effects are visible to
whoever looks next.

Like the real service, a request whose client goes away (a task runner killed mid-submit) is still
processed to its end: its body is read before anything slow happens, the routes never see
``http.disconnect``, and the processing of a keyed POST is shielded from cancellation, so its
key ends with a stored answer to replay instead of "still processing" for ever."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from moodys_simulator.core import Simulator
from moodys_simulator.faults import Submission, SubmissionState
from moodys_simulator.web import (
    ADMIN_PREFIX,
    LOGIN_PATH,
    REQUEST_ID_HEADER,
    RESOURCE_GROUP_HEADER,
    S3_PREFIX,
    error_payload,
)


async def drop_connection(send: Send) -> None:
    """Close the client's socket without an answer (uvicorn exposes the transport on ``send``)."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("Cannot drop the connection: the server does not expose its transport")
    transport.abort()
    await asyncio.sleep(0)


async def send_json(send: Send, status: int, payload: dict[str, Any], extra: list[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SimulatorMiddleware:
    """Auth, resource group, header-size limit, latency, fault injection and idempotency."""

    def __init__(self, app: ASGIApp, simulator: Simulator) -> None:
        self.app = app
        self.sim = simulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:
            return  # the client went away before its request was complete: there is nothing to process
        receive = replay_body(body)
        self.sim.engine.refresh_all()
        path: str = scope["path"]
        method: str = scope["method"]
        if path.startswith(ADMIN_PREFIX) and not path.startswith(f"{ADMIN_PREFIX}/downloads"):
            await self.app(scope, receive, send)
            return
        self.sim.api_requests += 1
        self.sim.api_routes[f"{method} {route(path)}"] += 1
        headers = Headers(scope=scope)
        if len(scope.get("query_string", b"")) > self.sim.options.max_query_chars:
            await send_json(
                send, 431, error_payload("REQUEST_HEADER_FIELDS_TOO_LARGE", "Request header fields too large")
            )
            return
        if self.sim.options.latency_ms:
            await asyncio.sleep(self.sim.options.latency_ms / 1000)
        if path != LOGIN_PATH and not path.startswith(S3_PREFIX):
            if not self.sim.authorized(headers.get("authorization")):
                await send_json(send, 401, error_payload("UNAUTHORIZED", "Invalid or missing credentials"))
                return
            if not headers.get(RESOURCE_GROUP_HEADER):
                await send_json(
                    send, 400, error_payload("MISSING_RESOURCE_GROUP", "x-rms-resource-group-id is required")
                )
                return
        fault = self.sim.faults.take(method, path)
        request_id = headers.get(REQUEST_ID_HEADER)
        idempotent = method == "POST" and bool(request_id)
        delay = fault.delay_ms / 1000 if fault is not None else 0.0
        if fault is not None:
            if delay and not idempotent:
                await asyncio.sleep(delay)
            if fault.status is not None:
                extra = [(b"retry-after", str(fault.retry_after).encode())] if fault.retry_after is not None else []
                payload = fault.body or error_payload("SIMULATED_FAULT", f"Simulated HTTP {fault.status}")
                await send_json(send, fault.status, payload, extra)
                return
            if fault.drop_connection and not fault.after_commit:
                await drop_connection(send)
                return
        drop_after = fault is not None and fault.drop_connection and fault.after_commit
        if idempotent:
            await self._idempotent(scope, receive, send, str(request_id), drop_after, delay)
            return
        if drop_after:
            await self.app(scope, receive, _discard)
            await drop_connection(send)
            return
        await self.app(scope, receive, send)

    async def _idempotent(
        self, scope: Scope, receive: Receive, send: Send, request_id: str, drop_after: bool, delay: float
    ) -> None:
        book = self.sim.submissions
        now = self.sim.now()
        submission = book.get(request_id, now)
        if submission is not None:
            if submission.state is SubmissionState.PROCESSING:
                await send_json(
                    send,
                    409,
                    error_payload("REQUEST_IN_PROGRESS", f"Request {request_id} is still being processed"),
                    [(b"retry-after", b"1")],
                )
                return
            submission.replays += 1
            if drop_after:
                await drop_connection(send)
                return
            await send(
                {
                    "type": "http.response.start",
                    "status": submission.status,
                    "headers": [*submission.headers, (b"x-sim-replayed", b"true")],
                }
            )
            await send({"type": "http.response.body", "body": submission.body})
            return
        submission = book.start(request_id, scope["method"], scope["path"], now)
        processing = asyncio.ensure_future(self._process(scope, receive, submission, delay))
        processing.add_done_callback(_retrieve)
        # Shielded: should the server cancel this handler (its client went away), the request is
        # still processed to its end and its answer stored for the key's replays.
        messages = await asyncio.shield(processing)
        if drop_after:
            await drop_connection(send)
            return
        for message in messages:
            await send(message)

    async def _process(self, scope: Scope, receive: Receive, submission: Submission, delay: float) -> list[Message]:
        """Run the route for a keyed POST and record its answer under the key."""
        book = self.sim.submissions
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        try:
            if delay:
                await asyncio.sleep(delay)
            await self.app(scope, receive, capture)
        except BaseException:
            book.forget(submission.request_id)  # nothing stored: the key may be used again
            raise
        start = next(message for message in messages if message["type"] == "http.response.start")
        submission.status = int(start["status"])
        submission.headers = list(start.get("headers", []))
        submission.body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        if submission.status >= 500:
            book.forget(submission.request_id)
        else:
            submission.state = SubmissionState.DONE
        return messages


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when the client disconnected before sending all of it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")
_S3_KEY = re.compile(r"^(/_s3/[^/]+)/.*$")


def route(path: str) -> str:
    """A path with its ids (and object-store keys) folded: ``/platform/model/v1/jobs/{id}``."""
    return _ID_SEGMENT.sub("/{id}", _S3_KEY.sub(r"\1/{key}", path))


def replay_body(body: bytes) -> Receive:
    """An ASGI ``receive`` that hands over the buffered body, then never reports a disconnect."""
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the routes never learn that the client went away
        raise AssertionError("unreachable")

    return receive


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a shielded task's outcome as seen (its handler may have been cancelled meanwhile)."""
    if not task.cancelled():
        task.exception()


async def _discard(message: Message) -> None:
    """An ASGI ``send`` that throws the answer away (commit-then-drop)."""
