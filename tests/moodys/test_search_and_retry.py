"""Filter building, chunking, pagination and retry policy (pure functions of the client)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from irp.moodys import search
from irp.moodys.errors import MoodysProtocolError
from irp.moodys.retry import RetryDecision, RetryPolicy, RetryState, parse_retry_after


def test_filters_are_json_quoted() -> None:
    assert search.eq("exposureName", 'A "quoted" name') == 'exposureName = "A \\"quoted\\" name"'
    assert search.eq("analysisId", 12) == "analysisId = 12"
    assert search.in_("treatyName", ["T1", "T2"]) == 'treatyName IN ("T1", "T2")'
    assert search.like_prefix("databaseName", "RM_RDM") == 'databaseName LIKE "RM_RDM*"'
    assert search.and_("a = 1", "", "b = 2") == "a = 1 AND b = 2"


def test_chunks_hold_at_most_25_names() -> None:
    names = [f"n{number}" for number in range(60)]
    chunks = list(search.chunk_names(names, lambda chunk: search.in_("x", chunk)))
    assert [len(chunk) for chunk in chunks] == [25, 25, 10]
    assert [name for chunk in chunks for name in chunk] == names


def test_chunks_stay_under_the_filter_size_limit() -> None:
    names = [f"{'N' * 400}{number}" for number in range(30)]
    chunks = list(search.chunk_names(names, lambda chunk: search.in_("x", chunk)))
    assert all(len(search.in_("x", chunk)) <= search.MAX_FILTER_CHARS for chunk in chunks)
    assert sum(len(chunk) for chunk in chunks) == 30


def test_unique_drops_blanks_and_duplicates() -> None:
    assert search.unique(["a", None, " ", "b", "a"]) == ["a", "b"]


def test_paginate_walks_until_a_short_page() -> None:
    rows = list(range(250))
    pages: list[tuple[int, int]] = []

    def fetch(limit: int, offset: int) -> list[int]:
        pages.append((limit, offset))
        return rows[offset : offset + limit]

    assert search.paginate(fetch) == rows
    assert pages == [(100, 0), (100, 100), (100, 200)]


def test_paginate_refuses_an_endpoint_that_ignores_offset() -> None:
    with pytest.raises(MoodysProtocolError, match="same page twice"):
        search.paginate(lambda limit, offset: list(range(limit)))


def test_paginate_accepts_an_unpaged_answer() -> None:
    assert search.paginate(lambda limit, offset: list(range(150))) == list(range(150))


def test_retry_after_seconds_and_dates() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30)), now=now) == 30.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    policy = RetryPolicy(backoff_factor=0.5, jitter=0.5, max_backoff=120)
    for retry, base in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0)]:
        assert base / 2 <= policy.backoff(retry) <= base
    assert policy.backoff(30) <= 120
    assert policy.backoff(1, retry_after=500) == 120


def test_retry_decisions() -> None:
    state = RetryState(RetryPolicy(max_retries=2))
    assert state.decide(401, can_relogin=True) is RetryDecision.RELOGIN
    assert state.decide(401, can_relogin=True) is RetryDecision.DONE
    assert state.decide(409, can_relogin=False) is RetryDecision.WAIT_STILL_PROCESSING
    assert state.decide(503, can_relogin=False) is RetryDecision.RETRY
    assert state.decide(None, can_relogin=False) is RetryDecision.RETRY
    assert state.decide(429, can_relogin=False) is RetryDecision.DONE
    assert RetryState(RetryPolicy()).decide(404, can_relogin=True) is RetryDecision.DONE
