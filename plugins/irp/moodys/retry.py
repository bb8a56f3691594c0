"""When and how long to wait before repeating a Moody's request.

The policy mirrors the reference client's urllib3 ``Retry`` (1 + 5 attempts, statuses 429/500/502/
503/504, backoff factor 0.5, ``Retry-After`` honoured) and adds full jitter so that many tasks hit
by the same outage do not retry in lock-step. POSTs are retried too: they carry an idempotency key
(``X-RMS-RequestId``), so a repeated submission cannot create a second Moody's job.

``409 Conflict`` means "the first request with this idempotency key is still being processed";
it is waited out on a separate, longer budget.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
STILL_PROCESSING_STATUS = 409


class RetryDecision(StrEnum):
    """What to do with one attempt's outcome."""

    DONE = "done"
    RETRY = "retry"
    WAIT_STILL_PROCESSING = "wait_still_processing"
    RELOGIN = "relogin"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """Retry budget and backoff of one logical request."""

    #: Retries after the first attempt for 429/5xx/transport errors (the reference uses 5).
    max_retries: int = 5
    #: Exponential backoff base: sleeps of factor * 2**(retry - 1), i.e. 0.5, 1, 2, 4, 8 s.
    backoff_factor: float = 0.5
    #: Ceiling of one sleep, whatever ``Retry-After`` says.
    max_backoff: float = 120.0
    #: Fraction of each computed backoff that is randomised (0 = none, 1 = full jitter).
    jitter: float = 0.5
    #: How many times a 409 "still processing" is waited out.
    max_still_processing_waits: int = 30
    #: Sleep between two 409 waits when the server gives no ``Retry-After``.
    still_processing_delay: float = 1.0

    def backoff(self, retry_number: int, retry_after: float | None = None) -> float:
        """Seconds to sleep before retry ``retry_number`` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        base = min(self.backoff_factor * (2 ** (retry_number - 1)), self.max_backoff)
        spread = base * self.jitter
        return base - spread + random.uniform(0.0, spread)

    def still_processing_backoff(self, retry_after: float | None) -> float:
        return min(retry_after if retry_after is not None else self.still_processing_delay, self.max_backoff)


@dataclass
class RetryState:
    """Counters of one logical request across its attempts."""

    policy: RetryPolicy
    retries: int = 0
    still_processing_waits: int = 0
    relogged_in: bool = False

    def decide(self, status: int | None, can_relogin: bool) -> RetryDecision:
        """Decide the next step after an attempt that ended with ``status`` (None: no response)."""
        if status == 401 and can_relogin and not self.relogged_in:
            self.relogged_in = True
            return RetryDecision.RELOGIN
        if status == STILL_PROCESSING_STATUS and self.still_processing_waits < self.policy.max_still_processing_waits:
            self.still_processing_waits += 1
            return RetryDecision.WAIT_STILL_PROCESSING
        if (status is None or status in RETRYABLE_STATUSES) and self.retries < self.policy.max_retries:
            self.retries += 1
            return RetryDecision.RETRY
        return RetryDecision.DONE

    def delay(self, decision: RetryDecision, retry_after: float | None) -> float:
        if decision is RetryDecision.RETRY:
            return self.policy.backoff(self.retries, retry_after)
        if decision is RetryDecision.WAIT_STILL_PROCESSING:
            return self.policy.still_processing_backoff(retry_after)
        return 0.0
