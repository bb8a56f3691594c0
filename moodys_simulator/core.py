"""The simulator's state machine: options, clock, entity stores, jobs, faults, tokens, submissions."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import fields
from typing import Any

from moodys_simulator.engine import JobEngine, wall_clock
from moodys_simulator.faults import FaultBook, SubmissionBook
from moodys_simulator.options import AdvanceMode, SimulatorOptions
from moodys_simulator.reference import ReferenceData, build_reference_data
from moodys_simulator.state import SimState


class Simulator:
    def __init__(self, options: SimulatorOptions | None = None) -> None:
        self.options = options or SimulatorOptions()
        self.clock_offset = 0.0
        self._reference: ReferenceData | None = None
        self.engine = JobEngine(self.options, self.now)
        self.faults = FaultBook()
        #: API requests served (admin endpoints excluded): HTTP calls per job in benchmarks.
        self.api_requests = 0
        #: The same by route (``GET /platform/model/v1/jobs/{id}``): which calls a benchmark spends.
        self.api_routes: Counter[str] = Counter()
        self.tokens: dict[str, float] = {}
        self.reset()

    def now(self) -> float:
        return wall_clock() + self.clock_offset

    @property
    def reference(self) -> ReferenceData:
        """Built on first use (reading a workbook is slow; start-up stays fast)."""
        if self._reference is None:
            self._reference = build_reference_data(self.options.seed_workbook)
        return self._reference

    def reset(self) -> None:
        self.state = SimState(self.options.edm_data_version, self.options.random_seed)
        self.engine.reset()
        self.faults.clear()
        self.submissions = SubmissionBook(self.options.idempotency_ttl_seconds)
        self.tokens.clear()
        self.api_requests = 0
        self.api_routes.clear()

    def configure(self, changes: dict[str, Any]) -> None:
        """Apply option changes (snake_case option names) at run time."""
        known = {field.name for field in fields(SimulatorOptions)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"Unknown simulator options: {', '.join(unknown)}")
        for name, value in changes.items():
            if name == "mode":
                value = AdvanceMode(value)
            elif name in ("api_keys", "users"):
                value = tuple(tuple(item) if isinstance(item, list) else item for item in value)
            setattr(self.options, name, value)
        if "seed_workbook" in changes:
            self._reference = None
        self.submissions.ttl_seconds = self.options.idempotency_ttl_seconds

    # -- auth ------------------------------------------------------------------------------------
    def login(self, tenant: str, username: str, password: str) -> str | None:
        if (tenant, username, password) not in self.options.users:
            return None
        token = f"sim.{secrets.token_urlsafe(24)}"
        self.tokens[token] = self.now() + self.options.token_ttl_seconds
        return token

    def authorized(self, authorization: str | None) -> bool:
        if not authorization:
            return False
        if authorization in self.options.api_keys:
            return True
        scheme, _, token = authorization.partition(" ")
        expiry = self.tokens.get(token) if scheme.lower() == "bearer" else None
        return expiry is not None and expiry > self.now()

    def expire_tokens(self) -> None:
        self.tokens.clear()
