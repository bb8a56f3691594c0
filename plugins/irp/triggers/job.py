"""``MoodysJobTrigger``: polls one Moody's job until it ends, in the triggerer.

Like the dbt Cloud and Databricks triggers, it owns the deadline (a defer timeout would leave
the Moody's job running), turns every failure into one event, and cancels the Moody's job in
``on_kill`` when a person marks the waiting task failed or success, or clears it. Polls start
close together (short jobs end sooner) and back off to ``poll_interval``: a job that runs for
hours costs few calls.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from enum import StrEnum
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from irp.constants import BatchType, JobStatus


class TriggerOutcome(StrEnum):
    ENDED = "ended"  # Moody's reports a terminal status (FINISHED, FAILED, CANCELLED)
    TIMEOUT = "timeout"  # the deadline passed first
    ERROR = "error"  # Moody's could not be asked (after the hook's own retries)


#: The first pause between two polls (never more than ``poll_interval``), and how it grows.
FIRST_POLL_SECONDS = 2.0
POLL_BACKOFF = 1.5


def poll_delays(poll_interval: float, first: float = FIRST_POLL_SECONDS) -> Iterator[float]:
    """Pauses between polls: ``first``, growing by ``POLL_BACKOFF`` up to ``poll_interval``."""
    delay = min(first, poll_interval)
    while True:
        yield delay
        delay = min(delay * POLL_BACKOFF, poll_interval)


class MoodysJobTrigger(BaseTrigger):
    """Poll one Moody's job; one event when it ends, the deadline passes, or Moody's cannot be asked.

    :param poll_interval: the longest pause between two polls (the cycle file's ``poll_interval``).
    :param deadline: epoch seconds after which the job is reported as timed out.
    :param job_url: the job's page in Moody's, handed back in the event for the operator link.
    """

    def __init__(
        self,
        *,
        job_id: int,
        batch_type: str,
        workflow_id: str,
        moodys_conn_id: str,
        poll_interval: float,
        deadline: float,
        job_url: str = "",
    ) -> None:
        super().__init__()
        self.job_id = job_id
        self.batch_type = batch_type
        self.workflow_id = workflow_id
        self.moodys_conn_id = moodys_conn_id
        self.poll_interval = poll_interval
        self.deadline = deadline  # epoch seconds
        self.job_url = job_url

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "job_id": self.job_id,
                "batch_type": self.batch_type,
                "workflow_id": self.workflow_id,
                "moodys_conn_id": self.moodys_conn_id,
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
                "job_url": self.job_url,
            },
        )

    def _event(self, outcome: TriggerOutcome, **values: Any) -> TriggerEvent:
        fields = {"outcome": outcome.value, "job_id": self.job_id, "workflow_id": self.workflow_id}
        return TriggerEvent({**fields, "job_url": self.job_url, **values})

    def _hook(self) -> Any:
        from irp.moodys.hook import MoodysHook

        return MoodysHook(self.moodys_conn_id)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        batch_type = BatchType.parse(self.batch_type)
        polls = 0
        delays = poll_delays(self.poll_interval)
        try:
            async with self._hook() as hook:
                while True:
                    report = await hook.aget_job_status(batch_type, self.workflow_id)
                    polls += 1
                    if report.status.terminal and report.status is not JobStatus.ERROR:
                        yield self._event(
                            TriggerOutcome.ENDED, status=report.status.value, payload=report.payload, polls=polls
                        )
                        return
                    if time.time() >= self.deadline:
                        yield self._event(TriggerOutcome.TIMEOUT, status=report.status.value, polls=polls)
                        return
                    await asyncio.sleep(min(next(delays), max(self.deadline - time.time(), 0.0)))
        except Exception as exc:  # one event, never an exception: the task decides
            yield self._event(TriggerOutcome.ERROR, message=f"{type(exc).__name__}: {exc}", polls=polls)

    async def on_kill(self) -> None:
        """A person stopped the waiting task: cancel the Moody's job it waits for."""
        async with self._hook() as hook:
            await hook.acancel_job(BatchType.parse(self.batch_type), self.workflow_id)
