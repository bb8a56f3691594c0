"""``MoodysJobTrigger``: polls one Moody's job until it ends, in the triggerer.

Like the dbt Cloud and Databricks triggers, it owns the deadline (a defer timeout would leave
the Moody's job running), turns every failure into one event, and cancels the Moody's job in
``on_kill`` when a person marks the waiting task failed or success, or clears it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from irp.constants import BatchType, JobStatus


class TriggerOutcome(StrEnum):
    ENDED = "ended"  # Moody's reports a terminal status (FINISHED, FAILED, CANCELLED)
    TIMEOUT = "timeout"  # the deadline passed first
    ERROR = "error"  # Moody's could not be asked (after the hook's own retries)


class MoodysJobTrigger(BaseTrigger):
    def __init__(
        self,
        *,
        job_id: int,
        batch_type: str,
        workflow_id: str,
        moodys_conn_id: str,
        poll_interval: float,
        deadline: float,
    ) -> None:
        super().__init__()
        self.job_id = job_id
        self.batch_type = batch_type
        self.workflow_id = workflow_id
        self.moodys_conn_id = moodys_conn_id
        self.poll_interval = poll_interval
        self.deadline = deadline  # epoch seconds

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
            },
        )

    def _event(self, outcome: TriggerOutcome, **values: Any) -> TriggerEvent:
        return TriggerEvent(
            {"outcome": outcome.value, "job_id": self.job_id, "workflow_id": self.workflow_id, **values}
        )

    def _hook(self) -> Any:
        from irp.moodys.hook import MoodysHook

        return MoodysHook(self.moodys_conn_id)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        batch_type = BatchType.parse(self.batch_type)
        polls = 0
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
                    await asyncio.sleep(self.poll_interval)
        except Exception as exc:  # one event, never an exception: the task decides
            yield self._event(TriggerOutcome.ERROR, message=f"{type(exc).__name__}: {exc}", polls=polls)

    async def on_kill(self) -> None:
        """A person stopped the waiting task: cancel the Moody's job it waits for."""
        async with self._hook() as hook:
            await hook.acancel_job(BatchType.parse(self.batch_type), self.workflow_id)
