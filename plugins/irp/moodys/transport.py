"""One logical Moody's request, sent synchronously (requests) or asynchronously (aiohttp).

Both clients share the request/response records, the retry decisions (:mod:`irp.moodys.retry`),
the bearer re-login and the error mapping; they differ only in how bytes move. Neither logs
headers or bodies, and every error message is scrubbed of the credentials.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from irp.moodys.auth import LOGIN_PATH, REQUEST_ID_HEADER, MoodysConnectionConfig, TokenCache
from irp.moodys.errors import (
    SERVER_MESSAGE_LIMIT,
    MoodysApiError,
    MoodysAuthError,
    MoodysProtocolError,
    MoodysUnavailableError,
    redact,
)
from irp.moodys.retry import RETRYABLE_STATUSES, RetryDecision, RetryPolicy, RetryState, parse_retry_after

if TYPE_CHECKING:
    import aiohttp
    import requests

log = logging.getLogger(__name__)


class HttpMethod(StrEnum):
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


def render_params(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Query parameters as text; booleans as ``True``/``False`` like the reference client."""
    return {key: str(value) for key, value in (params or {}).items() if value is not None}


@dataclass(frozen=True)
class MoodysRequest:
    """One logical request; ``request_id`` is the idempotency key of a POST."""

    method: HttpMethod
    path: str
    params: Mapping[str, Any] | None = None
    json_body: Any = None
    request_id: str | None = None
    #: Raw body (file upload); sent instead of ``json_body``.
    content: bytes | None = None
    content_type: str | None = None
    #: Further headers (object-store signatures); never logged.
    extra_headers: Mapping[str, str] | None = field(default=None, repr=False)
    #: False for presigned object-store URLs: no Authorization / resource-group headers.
    authenticated: bool = True

    @property
    def display_path(self) -> str:
        """Path without host or query string, safe for messages."""
        return urlsplit(self.path).path if "://" in self.path else self.path.split("?", 1)[0]


@dataclass(frozen=True)
class MoodysResponse:
    status: int
    headers: Mapping[str, str]
    body: Any
    request: MoodysRequest = field(repr=False)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def location_id(self) -> int:
        """The id named by the last segment of the ``Location`` header (contract §1.7)."""
        location = self.header("Location")
        if not location:
            raise MoodysProtocolError(
                f"Location header missing in response to {self.request.method} {self.request.display_path}"
            )
        segment = location.rstrip().rsplit("/", 1)[-1]
        try:
            return int(segment)
        except ValueError:
            raise MoodysProtocolError(
                f"Location header of {self.request.method} {self.request.display_path} has no trailing id"
            ) from None

    def json_list(self) -> list[Any]:
        if not isinstance(self.body, list):
            raise MoodysProtocolError(f"{self.request.method} {self.request.display_path} did not return a list")
        return self.body

    def json_object(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise MoodysProtocolError(f"{self.request.method} {self.request.display_path} did not return an object")
        return self.body


def decode_body(raw: bytes, content_type: str | None) -> Any:
    """JSON when the body parses as JSON, else text (Data Bridge job status is plain text)."""
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if content_type and "json" not in content_type and not text.lstrip().startswith(("{", "[")):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def server_message(body: Any) -> str:
    """The first non-empty ``message`` or ``error`` of an error body, else a text body."""
    if isinstance(body, Mapping):
        for key in ("message", "error"):
            value = body.get(key)
            if value:
                return str(value)[:SERVER_MESSAGE_LIMIT]
        return ""
    return str(body or "")[:SERVER_MESSAGE_LIMIT]


@dataclass
class CallCounter:
    """HTTP round trips made by a client (retries, logins and uploads included)."""

    calls: int = 0


class _ClientBase:
    def __init__(self, config: MoodysConnectionConfig, retry_policy: RetryPolicy | None = None) -> None:
        self.config = config
        self.retry_policy = retry_policy or RetryPolicy()
        self.tokens = TokenCache(config.credentials)
        self.counter = CallCounter()

    def secrets(self) -> tuple[str, ...]:
        return self.tokens.secrets()

    def _headers(self, request: MoodysRequest) -> dict[str, str]:
        headers: dict[str, str] = {}
        if request.authenticated:
            headers.update(self.tokens.headers(self.config.resource_group_id))
        if request.request_id:
            headers[REQUEST_ID_HEADER] = request.request_id
        if request.content_type:
            headers["Content-Type"] = request.content_type
        headers.update(request.extra_headers or {})
        return headers

    @staticmethod
    def _error_type(status: int | None, default: type[MoodysApiError]) -> type[MoodysApiError]:
        """What the client retries (no response, 429, 502...) is, once retries are spent, an outage:
        its own type, so callers retry later instead of reading it as an answer."""
        if status is None or status in RETRYABLE_STATUSES:
            return MoodysUnavailableError
        return default

    def _error(self, request: MoodysRequest, status: int | None, message: str) -> MoodysApiError:
        message = redact(message, self.secrets())
        error_type = self._error_type(status, MoodysAuthError if status == 401 else MoodysApiError)
        return error_type(request.method, request.display_path, status, message)

    def _login_request(self) -> MoodysRequest:
        return MoodysRequest(
            HttpMethod.POST, LOGIN_PATH, json_body=self.tokens.credentials.login_body(), authenticated=False
        )

    def _login_failed(self, response: MoodysResponse) -> MoodysApiError:
        return self._error_type(response.status, MoodysAuthError)(
            HttpMethod.POST,
            LOGIN_PATH,
            response.status,
            redact(server_message(response.body), self.secrets()),
        )

    def _log_attempt(self, request: MoodysRequest, status: int | None, decision: RetryDecision, delay: float) -> None:
        if decision is not RetryDecision.DONE:
            log.info(
                "Moody's %s %s -> %s; %s in %.2fs",
                request.method,
                request.display_path,
                status if status is not None else "no response",
                decision.value,
                delay,
            )

    def _after_attempt(
        self,
        request: MoodysRequest,
        state: RetryState,
        response: MoodysResponse | None,
        failure: MoodysApiError | None,
    ) -> MoodysResponse | float:
        """The 2xx response to return, or the seconds to sleep before the next attempt; raises when done."""
        if response is not None and 200 <= response.status < 300:
            return response
        status = response.status if response is not None else None
        decision = state.decide(status, request.authenticated and self.tokens.can_relogin)
        retry_after = parse_retry_after(response.header("Retry-After")) if response is not None else None
        delay = state.delay(decision, retry_after)
        self._log_attempt(request, status, decision, delay)
        if decision is RetryDecision.DONE:
            if response is None:
                raise failure or self._error(request, None, "")
            raise self._error(request, response.status, server_message(response.body))
        if decision is RetryDecision.RELOGIN:
            self.tokens.invalidate()
        return delay


class MoodysClient(_ClientBase):
    """Synchronous client on a ``requests.Session`` (e.g. one built by ``HttpHook.get_conn``)."""

    def __init__(
        self,
        config: MoodysConnectionConfig,
        session: requests.Session,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(config, retry_policy)
        self.session = session
        self.sleep = sleep

    def close(self) -> None:
        self.session.close()

    def _send(self, request: MoodysRequest) -> MoodysResponse:
        import requests

        self.counter.calls += 1
        try:
            response = self.session.request(
                request.method.value,
                self.config.url(request.path),
                params=render_params(request.params),
                json=request.json_body if request.content is None else None,
                data=request.content,
                headers=self._headers(request),
                timeout=self.config.timeout,
                verify=self.config.verify,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise self._error(request, None, type(exc).__name__) from None
        headers = {key.lower(): value for key, value in response.headers.items()}
        return MoodysResponse(
            response.status_code, headers, decode_body(response.content, headers.get("content-type")), request
        )

    def _login(self) -> None:
        response = self._send(self._login_request())
        if response.status != 200:
            raise self._login_failed(response)
        self.tokens.accept_login_response(response.body)

    def request(self, request: MoodysRequest) -> MoodysResponse:
        """Send ``request`` with retries; return the 2xx response or raise :class:`MoodysApiError`."""
        state = RetryState(self.retry_policy)
        while True:
            if request.authenticated and self.tokens.needs_login:
                self._login()
            try:
                response, failure = self._send(request), None
            except MoodysApiError as exc:
                response, failure = None, exc
            outcome = self._after_attempt(request, state, response, failure)
            if isinstance(outcome, MoodysResponse):
                return outcome
            self.sleep(outcome)


class AsyncMoodysClient(_ClientBase):
    """Asynchronous client on aiohttp, for triggers (status polls, cancel)."""

    def __init__(
        self,
        config: MoodysConnectionConfig,
        retry_policy: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        super().__init__(config, retry_policy)
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> AsyncMoodysClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
            self._session = None

    def _client_session(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config.timeout))
        return self._session

    async def _send(self, request: MoodysRequest) -> MoodysResponse:
        import aiohttp

        self.counter.calls += 1
        session = self._client_session()
        try:
            async with session.request(
                request.method.value,
                self.config.url(request.path),
                params=render_params(request.params),
                json=request.json_body if request.content is None else None,
                data=request.content,
                headers=self._headers(request),
                ssl=self.config.verify,  # True: the default certificate checks
                allow_redirects=False,
            ) as response:
                raw = await response.read()
                headers = {key.lower(): value for key, value in response.headers.items()}
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._error(request, None, type(exc).__name__) from None
        return MoodysResponse(status, headers, decode_body(raw, headers.get("content-type")), request)

    async def _login(self) -> None:
        response = await self._send(self._login_request())
        if response.status != 200:
            raise self._login_failed(response)
        self.tokens.accept_login_response(response.body)

    async def request(self, request: MoodysRequest) -> MoodysResponse:
        """Async twin of :meth:`MoodysClient.request`."""
        state = RetryState(self.retry_policy)
        while True:
            if request.authenticated and self.tokens.needs_login:
                await self._login()
            try:
                response, failure = await self._send(request), None
            except MoodysApiError as exc:
                response, failure = None, exc
            outcome = self._after_attempt(request, state, response, failure)
            if isinstance(outcome, MoodysResponse):
                return outcome
            await asyncio.sleep(outcome)
