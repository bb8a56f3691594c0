from __future__ import annotations

import json

import pytest

from irp.constants import BatchStatus
from irp.notifications.teams import (
    BatchOutcome,
    CardAction,
    CardStyle,
    TeamsMessage,
    batch_message,
    send,
)
from tests.support.webhook import webhook_receiver


@pytest.fixture
def teams(monkeypatch):
    with webhook_receiver() as receiver:
        monkeypatch.setenv("AIRFLOW_CONN_TEAMS_TEST", json.dumps({"conn_type": "http", "host": receiver.url}))
        yield receiver


def test_batch_message_layout():
    outcome = BatchOutcome(
        "2026-Q1",
        "Analysis",
        7,
        BatchStatus.ERROR,
        {"FINISHED": 1, "FAILED": 1, "ERROR": 1, "CANCELLED": 1, "SKIPPED": 3},
        links=[CardAction("Open DAG run", "http://af/dags/x/runs/y")],
    )
    message = batch_message(outcome)
    assert message.title == "[2026-Q1] Batch Failed: Analysis"
    assert message.style is CardStyle.ATTENTION
    assert message.text.splitlines() == [
        "**Cycle:** 2026-Q1",
        "**Batch Type:** Analysis",
        "**Batch ID:** 7",
        "**Status:** ERROR",
        "",
        "**Total Jobs:** 4",
        "**Finished:** 1",
        "**Failed:** 1",
        "**Cancelled:** 1",
        "**Error:** 1",
    ]
    card = message.payload()["attachments"][0]["content"]
    assert card["body"][0] == {
        "type": "TextBlock",
        "text": "✗ [2026-Q1] Batch Failed: Analysis",
        "weight": "Bolder",
        "size": "Medium",
        "color": "Attention",
    }
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open DAG run", "url": "http://af/dags/x/runs/y"}]


def test_cancelled_batch_is_a_warning():
    message = batch_message(BatchOutcome("c", "GeoHaz", 1, BatchStatus.CANCELLED, {"CANCELLED": 1}))
    assert message.title == "[c] Batch Cancelled: GeoHaz"
    assert message.style is CardStyle.WARNING
    assert message.text.endswith("**Total Jobs:** 1\n**Cancelled:** 1")
    assert "actions" not in message.payload()["attachments"][0]["content"]


@pytest.mark.parametrize(
    ("statuses", "delivered", "calls"),
    [([], True, 1), ([500], True, 2), ([503, 503], True, 3), ([500] * 5, False, 4), ([400], False, 1)],
)
def test_send_retries_transient_failures(teams, statuses, delivered, calls):
    """AS-96."""
    teams.statuses = list(statuses)
    assert send(TeamsMessage("t", "body"), "teams_test") is delivered
    assert teams.calls == calls
    assert len(teams.messages) == (1 if delivered else 0)


def test_send_never_raises(monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW_CONN_TEAMS_DOWN", json.dumps({"conn_type": "http", "host": "http://127.0.0.1:9"}))
    assert send(TeamsMessage("t", "b"), "teams_down") is False
    assert send(TeamsMessage("t", "b"), "no_such_connection") is False
    assert "Teams notification" in caplog.text
