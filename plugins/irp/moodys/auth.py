"""Credentials and request headers for Moody's, read from an Airflow HTTP connection.

Connection fields (conn type ``http``; setting ``[irp] moodys_conn_id``, default ``moodys_default``):

* ``host``: the base URL, e.g. ``https://api-euw1.rms-ppe.com`` (or a bare host name with
  ``schema`` = ``https``/``http`` and an optional ``port``).
* API-key mode (no ``login``): ``password`` = the API key, sent verbatim as ``Authorization``.
* Bearer mode (``login`` set): ``login`` = user name, ``password`` = password and extra
  ``tenant_name``; the client logs in at ``POST /sml/auth/v1/login/implicit`` and logs in again
  once when a request answers 401 (tokens live about an hour).
* extra ``resource_group_id`` (required): sent as ``x-rms-resource-group-id`` on every request.
* extra ``timeout`` (optional, seconds, default 200) and ``verify`` (optional, TLS verification).

The secrets (API key, password, tokens) live only in :class:`MoodysCredentials` and
:class:`TokenCache`, whose ``repr`` hides them, and are reported by :meth:`secrets` so that
error messages can be scrubbed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from irp.moodys.errors import MoodysConnectionConfigError, MoodysProtocolError

AUTHORIZATION_HEADER = "Authorization"
RESOURCE_GROUP_HEADER = "x-rms-resource-group-id"
REQUEST_ID_HEADER = "X-RMS-RequestId"
LOGIN_PATH = "/sml/auth/v1/login/implicit"
DEFAULT_TIMEOUT_SECONDS = 200.0
DEFAULT_TOKEN_TYPE = "Bearer"


class ExtraField(StrEnum):
    """Keys of the connection's extra JSON."""

    RESOURCE_GROUP_ID = "resource_group_id"
    TENANT_NAME = "tenant_name"
    TIMEOUT = "timeout"
    VERIFY = "verify"


class AuthMode(StrEnum):
    API_KEY = "api_key"
    BEARER = "bearer"


class ConnectionLike(Protocol):
    """The attributes of an Airflow ``Connection`` the client reads."""

    host: str | None
    schema: str | None
    port: int | None
    login: str | None
    password: str | None


@dataclass(frozen=True)
class MoodysCredentials:
    """API key, or tenant/user/password for bearer login. ``repr`` never shows secrets."""

    mode: AuthMode
    api_key: str = field(default="", repr=False)
    tenant_name: str = ""
    username: str = ""
    password: str = field(default="", repr=False)

    def login_body(self) -> dict[str, str]:
        return {"tenantName": self.tenant_name, "username": self.username, "password": self.password}

    def secrets(self) -> tuple[str, ...]:
        return tuple(value for value in (self.api_key, self.password) if value)


@dataclass(frozen=True)
class MoodysConnectionConfig:
    """Everything the client needs from the connection."""

    base_url: str
    resource_group_id: str
    credentials: MoodysCredentials
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    verify: bool = True

    @classmethod
    def from_connection(cls, conn: ConnectionLike, extra: Mapping[str, Any]) -> MoodysConnectionConfig:
        """Build the config from an Airflow connection and its (already parsed) extra."""
        if not conn.host:
            raise MoodysConnectionConfigError("Moody's connection has no host (the API base URL)")
        host = conn.host.rstrip("/")
        base_url = host if "://" in host else f"{conn.schema or 'https'}://{host}"
        if conn.port:
            base_url = f"{base_url}:{conn.port}"
        resource_group_id = str(extra.get(ExtraField.RESOURCE_GROUP_ID) or "")
        if not resource_group_id:
            raise MoodysConnectionConfigError(
                f"Moody's connection has no '{ExtraField.RESOURCE_GROUP_ID}' in its extra"
            )
        if conn.login:
            tenant = str(extra.get(ExtraField.TENANT_NAME) or "")
            if not tenant or not conn.password:
                raise MoodysConnectionConfigError(
                    f"Moody's bearer login needs login, password and '{ExtraField.TENANT_NAME}' in the extra"
                )
            credentials = MoodysCredentials(
                AuthMode.BEARER, tenant_name=tenant, username=conn.login, password=conn.password
            )
        elif conn.password:
            credentials = MoodysCredentials(AuthMode.API_KEY, api_key=conn.password)
        else:
            raise MoodysConnectionConfigError(
                "Moody's connection has neither an API key (password) nor a login for bearer auth"
            )
        timeout = float(extra.get(ExtraField.TIMEOUT) or DEFAULT_TIMEOUT_SECONDS)
        verify = str(extra.get(ExtraField.VERIFY, True)).lower() not in ("false", "0", "no")
        return cls(base_url, resource_group_id, credentials, timeout, verify)

    def url(self, path: str) -> str:
        """Absolute URL of an API path (with or without a leading slash), or ``path`` if absolute."""
        if "://" in path:
            return path
        return f"{self.base_url}/{path.lstrip('/')}"


@dataclass
class TokenCache:
    """The current ``Authorization`` value; for bearer mode, refreshed by a (re-)login."""

    credentials: MoodysCredentials
    _authorization: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.credentials.mode is AuthMode.API_KEY:
            self._authorization = self.credentials.api_key

    @property
    def needs_login(self) -> bool:
        return not self._authorization

    @property
    def can_relogin(self) -> bool:
        return self.credentials.mode is AuthMode.BEARER

    def invalidate(self) -> None:
        if self.can_relogin:
            self._authorization = ""

    def accept_login_response(self, body: Any) -> None:
        """Store the token of a login response (``accessToken``, optional ``tokenType``)."""
        if not isinstance(body, Mapping) or not body.get("accessToken"):
            raise MoodysProtocolError("Moody's login response has no accessToken")
        self._authorization = f"{body.get('tokenType') or DEFAULT_TOKEN_TYPE} {body['accessToken']}"

    def headers(self, resource_group_id: str) -> dict[str, str]:
        return {AUTHORIZATION_HEADER: self._authorization, RESOURCE_GROUP_HEADER: resource_group_id}

    def secrets(self) -> tuple[str, ...]:
        token = self._authorization.split(" ", 1)[-1] if self._authorization else ""
        return (*self.credentials.secrets(), *((token,) if token else ()))
