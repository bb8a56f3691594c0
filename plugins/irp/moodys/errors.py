"""Exceptions of the Moody's client.

Every message names the HTTP method, the path (without query string or host) and the status, plus
the server's own message (``message`` or ``error`` of the JSON body, at most 200 characters).
Credentials never reach these objects: requests are described by method and path only, and the
server message is scrubbed of the secrets the hook knows about before it is stored.
"""

from __future__ import annotations

from collections.abc import Iterable

from irp.exceptions import IrpError

#: Longest server message kept in an exception (the real client keeps 200 characters).
SERVER_MESSAGE_LIMIT = 200
REDACTED = "***"


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of a (non-trivial) secret in ``text``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


class MoodysError(IrpError):
    """Base class of the Moody's client's errors."""


class MoodysApiError(MoodysError):
    """Moody's answered with a non-2xx status (after retries), or could not be reached.

    ``status`` is ``None`` for transport failures (connection refused or dropped, timeout).
    """

    def __init__(self, method: str, path: str, status: int | None, server_message: str = "") -> None:
        self.method = method.upper()
        self.path = path
        self.status = status
        self.server_message = server_message[:SERVER_MESSAGE_LIMIT]
        status_text = f"HTTP {status}" if status is not None else "no response"
        detail = f": {self.server_message}" if self.server_message else ""
        super().__init__(f"Moody's API {self.method} {path} failed ({status_text}){detail}")

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def transient(self) -> bool:
        """An outage rather than an answer: no response, 429 or 5xx."""
        return self.status is None or self.status == 429 or self.status >= 500

    @property
    def outcome_unknown(self) -> bool:
        """A POST that Moody's may have acted on without our knowing: no answer, a timeout, a key
        still "in progress" (409) past the wait, or a server error. A 429 or another 4xx is a refusal."""
        return self.method == "POST" and (self.status is None or self.status in (408, 409) or self.status >= 500)


class MoodysAuthError(MoodysApiError):
    """Moody's rejected the credentials (401, after one re-login in bearer mode) or login failed."""


class MoodysUnavailableError(MoodysApiError):
    """Moody's could not answer: no response, or 429/500/502/503/504 after the client's own retries.

    An outage, not an answer: nothing may conclude from it that an entity exists or is missing.
    Callers let it propagate so the Airflow task fails *retryably* (never ``AirflowFailException``).
    """


class MoodysProtocolError(MoodysError):
    """Moody's answered 2xx but not in the shape the contract promises (e.g. no ``Location``)."""


class MoodysConnectionConfigError(MoodysError):
    """The Airflow connection lacks a field the client needs."""


class MoodysLookupError(MoodysError):
    """A name could not be resolved to exactly one Moody's entity (EDM, portfolio, profile...)."""
