"""Simulator settings (command line, ``running_simulator(**options)``, ``POST /_sim/config``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class AdvanceMode(StrEnum):
    """How jobs move through QUEUED -> PENDING -> RUNNING -> terminal.

    ``ticks``: every status read of a job advances it one phase (deterministic, for tests).
    ``time``: phases last ``queued_seconds`` / ``pending_seconds`` / ``running_seconds`` of wall time
    (for the Airflow DAG and benchmarks; all zero = finished on the first read).
    """

    TICKS = "ticks"
    TIME = "time"


@dataclass
class SimulatorOptions:
    api_keys: tuple[str, ...] = ("sim-key",)
    #: Bearer users: (tenant, username, password).
    users: tuple[tuple[str, str, str], ...] = (("simtenant", "user@sim", "secret"),)
    token_ttl_seconds: float = 3600.0
    mode: AdvanceMode = AdvanceMode.TIME
    ticks_per_phase: int = 1
    queued_seconds: float = 1.0
    pending_seconds: float = 1.0
    running_seconds: float = 4.0
    #: Spread of running times: each job runs ``running_seconds * exp(N(0, spread))`` (log-normal, seeded).
    running_spread: float = 0.0
    #: Per job type (CREATE_EDM, DLM, GROUPING...) overrides of ``running_seconds``.
    running_seconds_by_type: dict[str, float] = field(default_factory=dict)
    #: Probability that a job of a kind (riskdata, workflow, import, geohaz, model, grouping, export) fails.
    failure_rates: dict[str, float] = field(default_factory=dict)
    random_seed: int = 42
    #: Added to every API response (simulated network/server latency).
    latency_ms: float = 0.0
    idempotency_ttl_seconds: float = 24 * 3600.0
    #: Longest accepted query string (production answers 431 above about 4,870 characters).
    max_query_chars: int = 4870
    #: The "Moody's Reference Data" sheet of this workbook seeds profiles and event-rate schemes.
    seed_workbook: str | None = None
    edm_data_version: str = "21.0.0"

    def __post_init__(self) -> None:
        self.mode = AdvanceMode(self.mode)
        self.api_keys = tuple(self.api_keys)
        self.users = tuple(tuple(user) for user in self.users)  # type: ignore[misc]
