"""Fault injection (``POST /_sim/faults``) and the idempotency store of ``X-RMS-RequestId``."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass
class FaultRule:
    """The next ``times`` requests matching ``method``/``path_regex`` misbehave.

    ``status``: answer this status before any state change (with ``Retry-After`` if set).
    ``drop_connection``: close the socket without an answer; with ``after_commit`` the request is
    processed first (state changed, idempotency recorded) and only the answer is lost.
    ``delay_ms``: sleep before handling.
    ``for_seconds``: instead of ``times`` requests, every matching request for that many seconds
    from when the rule was added (a rate-limit or outage window).
    """

    path_regex: str
    method: str | None = None
    status: int | None = None
    times: int = 1
    retry_after: float | None = None
    body: dict[str, Any] | None = None
    drop_connection: bool = False
    after_commit: bool = False
    delay_ms: float = 0.0
    for_seconds: float | None = None
    hits: int = 0
    added_at: float = field(default_factory=time.monotonic)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        return cls(
            path_regex=str(data.get("pathRegex") or ".*"),
            method=(str(data["method"]).upper() if data.get("method") else None),
            status=int(data["status"]) if data.get("status") is not None else None,
            times=int(data.get("times", 1)),
            retry_after=float(data["retryAfter"]) if data.get("retryAfter") is not None else None,
            body=data.get("body"),
            drop_connection=bool(data.get("dropConnection", False)),
            after_commit=bool(data.get("afterCommit", not data.get("beforeSideEffects", True))),
            delay_ms=float(data.get("delayMs", 0.0)),
            for_seconds=float(data["forSeconds"]) if data.get("forSeconds") is not None else None,
        )

    def active(self) -> bool:
        if self.for_seconds is not None:
            return time.monotonic() - self.added_at < self.for_seconds
        return self.hits < self.times

    def matches(self, method: str, path: str) -> bool:
        return self.active() and (self.method in (None, method)) and re.search(self.path_regex, path) is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "pathRegex": self.path_regex,
            "method": self.method,
            "status": self.status,
            "times": self.times,
            "hits": self.hits,
            "retryAfter": self.retry_after,
            "dropConnection": self.drop_connection,
            "afterCommit": self.after_commit,
            "delayMs": self.delay_ms,
            "forSeconds": self.for_seconds,
        }


class FaultBook:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> None:
        self.rules.append(rule)

    def take(self, method: str, path: str) -> FaultRule | None:
        """The first matching rule, consuming one of its ``times``."""
        for rule in self.rules:
            if rule.matches(method, path):
                rule.hits += 1
                return rule
        return None

    def clear(self) -> None:
        self.rules.clear()


class SubmissionState(StrEnum):
    PROCESSING = "processing"
    DONE = "done"


@dataclass
class Submission:
    """What the simulator answered to one ``X-RMS-RequestId``."""

    request_id: str
    method: str
    path: str
    created_at: float
    state: SubmissionState = SubmissionState.PROCESSING
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    replays: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "requestId": self.request_id,
            "method": self.method,
            "path": self.path,
            "state": self.state.value,
            "status": self.status,
            "location": next((v.decode() for k, v in self.headers if k.lower() == b"location"), None),
            "replays": self.replays,
        }


class SubmissionBook:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self.submissions: dict[str, Submission] = {}

    def get(self, request_id: str, now: float) -> Submission | None:
        submission = self.submissions.get(request_id)
        if submission is not None and now - submission.created_at > self.ttl_seconds:
            del self.submissions[request_id]
            return None
        return submission

    def start(self, request_id: str, method: str, path: str, now: float) -> Submission:
        submission = Submission(request_id, method, path, now)
        self.submissions[request_id] = submission
        return submission

    def forget(self, request_id: str) -> None:
        self.submissions.pop(request_id, None)

    def clear(self) -> None:
        self.submissions.clear()
