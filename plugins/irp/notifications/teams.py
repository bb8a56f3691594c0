"""Microsoft Teams notifications through an incoming webhook (an Airflow HTTP connection).

A notification must never fail the run that sends it: every failure is logged and reported
as ``False``. Messages are Adaptive Cards, as the framework we replace sent them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from airflow.sdk import BaseNotifier

from irp.constants import BatchStatus, JobStatus

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
ATTEMPTS = 4
BACKOFF_SECONDS = 0.5
TIMEOUT_SECONDS = 30


class CardStyle(StrEnum):
    """Adaptive Card text colours, each with the symbol shown before the title."""

    ATTENTION = "Attention"
    WARNING = "Warning"
    GOOD = "Good"
    ACCENT = "Accent"

    @property
    def symbol(self) -> str:
        return {"Attention": "✗", "Warning": "⚠", "Good": "✓", "Accent": "ℹ"}[self.value]


@dataclass(frozen=True)
class CardAction:
    title: str
    url: str


@dataclass(frozen=True)
class TeamsMessage:
    title: str
    text: str
    style: CardStyle = CardStyle.ATTENTION
    actions: Sequence[CardAction] = field(default_factory=tuple)

    def payload(self) -> dict[str, Any]:
        card: dict[str, Any] = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                {
                    "type": "TextBlock",
                    "text": f"{self.style.symbol} {self.title}",
                    "weight": "Bolder",
                    "size": "Medium",
                    "color": self.style.value,
                },
                {"type": "TextBlock", "text": self.text, "wrap": True},
            ],
        }
        if self.actions:
            card["actions"] = [{"type": "Action.OpenUrl", "title": a.title, "url": a.url} for a in self.actions]
        return {
            "type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
        }


def send(message: TeamsMessage, conn_id: str) -> bool:
    """POST the card to the webhook; retries 429/5xx with backoff. True on a 2xx answer."""
    from airflow.providers.http.hooks.http import HttpHook

    try:
        hook = HttpHook(method="POST", http_conn_id=conn_id)
        for attempt in range(1, ATTEMPTS + 1):
            response = hook.run(
                endpoint="",
                json=message.payload(),
                extra_options={"check_response": False, "timeout": TIMEOUT_SECONDS},
            )
            if response.ok:
                return True
            if response.status_code not in RETRYABLE_STATUS or attempt == ATTEMPTS:
                log.warning("Teams webhook %s answered %s: %s", conn_id, response.status_code, response.text[:200])
                return False
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
    except Exception as exc:  # a notification never fails the caller
        log.warning("Teams notification through %s failed: %s", conn_id, exc)
    return False


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch notification reports."""

    cycle_name: str
    batch_type: str
    batch_id: int
    status: BatchStatus
    job_counts: dict[str, int]
    links: Sequence[CardAction] = ()


def batch_message(outcome: BatchOutcome) -> TeamsMessage:
    """Title and body of the framework's batch notification, with Airflow links. An ACTIVE batch
    here is stalled: its tasks are done while Moody's jobs are still in flight (cancelling)."""
    warning = outcome.status in (BatchStatus.CANCELLED, BatchStatus.ACTIVE)
    verb = {BatchStatus.CANCELLED: "Cancelled", BatchStatus.ACTIVE: "Stalled"}.get(outcome.status, "Failed")
    counted = {k: v for k, v in outcome.job_counts.items() if k != "SKIPPED"}
    lines = [
        f"**Cycle:** {outcome.cycle_name}",
        f"**Batch Type:** {outcome.batch_type}",
        f"**Batch ID:** {outcome.batch_id}",
        f"**Status:** {outcome.status}",
        "",
        f"**Total Jobs:** {sum(counted.values())}",
    ]
    for status in JobStatus:
        if counted.get(status.value):
            lines.append(f"**{status.value.replace('_', ' ').title()}:** {counted[status.value]}")
    return TeamsMessage(
        title=f"[{outcome.cycle_name}] Batch {verb}: {outcome.batch_type}",
        text="\n".join(lines),
        style=CardStyle.WARNING if warning else CardStyle.ATTENTION,
        actions=tuple(outcome.links),
    )


class TeamsNotifier(BaseNotifier):
    """Airflow notifier (``on_failure_callback=TeamsNotifier(...)``) posting a templated card."""

    template_fields = ("title", "text")

    def __init__(
        self,
        *,
        title: str = "[{{ dag.dag_id }}] Task failed: {{ ti.task_id }}",
        text: str = "**Run:** {{ run_id }}\n\n**Error:** {{ exception }}",
        style: CardStyle = CardStyle.ATTENTION,
        teams_conn_id: str | None = None,
    ) -> None:
        super().__init__()
        self.title = title
        self.text = text
        self.style = style
        self.teams_conn_id = teams_conn_id

    def notify(self, context: Any) -> None:
        from irp.settings import Settings

        conn_id = self.teams_conn_id or Settings.load().teams_conn_id
        send(TeamsMessage(self.title, self.text, self.style), conn_id)
