"""``MoodysJobTrigger``: waits for one Moody's job to end, in the triggerer.

Like the dbt Cloud and Databricks triggers, it owns the deadline (a defer timeout would leave
the Moody's job running), turns every failure into one event, and cancels the Moody's job in
``on_kill`` when a person marks the waiting task failed or success, or clears it. It does not poll
on its own: it subscribes its job to the process's shared :mod:`poller <irp.triggers.poller>`,
which asks Moody's for many jobs in one request, polls close together at first (short jobs end
sooner) and backs off to ``poll_interval``.

A job task whose job FINISHED ends here (``TaskSuccessEvent``): the trigger records the status
and reconciles the batch, as ``execute_complete`` would, so no worker starts again for it. Any
other end resumes the task on a worker, not sooner than ``[irp] resume_settle_seconds`` after the
task deferred: Airflow 3.3.2 fails a task resumed before the scheduler has processed the
executor's report of the worker that deferred it ("finished with state success, but the task
instance's state attribute is queued", or "running": apache/airflow#66374, #72716, #71579), and
a LocalExecutor worker was seen reporting its exit 5-6 s after the deferral on a busy machine. A
task ended here cannot meet that race: the stale report agrees with its state.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from typing import Any

from airflow.triggers.base import BaseTrigger, TaskSuccessEvent, TriggerEvent

from irp.constants import BatchType, JobStatus

log = logging.getLogger(__name__)

#: Where triggers record a job's end (blocking store and Teams calls, off the event loop): a few
#: long-lived threads, each keeping its one store connection, however many triggers end at once.
_RECORDING = ThreadPoolExecutor(max_workers=4, thread_name_prefix="irp-job-end")


class TriggerOutcome(StrEnum):
    ENDED = "ended"  # Moody's reports a terminal status (FINISHED, FAILED, CANCELLED)
    TIMEOUT = "timeout"  # the deadline passed first
    ERROR = "error"  # Moody's could not be asked (after the hook's own retries)


class MoodysJobTrigger(BaseTrigger):
    """Wait for one Moody's job; one event when it ends, the deadline passes, or Moody's cannot be asked.

    :param poll_interval: the longest pause between two polls (the cycle file's ``poll_interval``).
    :param deadline: epoch seconds after which the job is reported as timed out.
    :param job_url: the job's page in Moody's, handed back in the event for the operator link.
    :param deferred_at: epoch seconds of the deferral (0: unknown, a trigger of an older release).
    :param cycle_name: the job's cycle, and
    :param batch_id: its batch, for the recon of a job that ends its task here.
    :param dag_id: the task's DAG and
    :param run_id: its run, which a Teams message from here links to.
    :param end_task: a FINISHED job ends the task here (a job task; False for a task with more to
        do after the job, and in a trigger of an older release).
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
        deferred_at: float = 0.0,
        cycle_name: str = "",
        batch_id: int = 0,
        end_task: bool = False,
        dag_id: str = "",
        run_id: str = "",
    ) -> None:
        super().__init__()
        self.job_id = job_id
        self.batch_type = batch_type
        self.workflow_id = workflow_id
        self.moodys_conn_id = moodys_conn_id
        self.poll_interval = poll_interval
        self.deadline = deadline  # epoch seconds
        self.job_url = job_url
        self.deferred_at = deferred_at
        self.cycle_name = cycle_name
        self.batch_id = batch_id
        self.end_task = end_task
        self.dag_id = dag_id
        self.run_id = run_id

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
                "deferred_at": self.deferred_at,
                "cycle_name": self.cycle_name,
                "batch_id": self.batch_id,
                "end_task": self.end_task,
                "dag_id": self.dag_id,
                "run_id": self.run_id,
            },
        )

    def _event(self, outcome: TriggerOutcome, **values: Any) -> TriggerEvent:
        fields = {"outcome": outcome.value, "job_id": self.job_id, "workflow_id": self.workflow_id}
        return TriggerEvent({**fields, "job_url": self.job_url, **values})

    def _hook(self) -> Any:
        from irp.moodys.hook import MoodysHook

        return MoodysHook(self.moodys_conn_id)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from irp.settings import Settings

        event = await self._wait()
        if await self._ended_here(event):
            yield TaskSuccessEvent(xcoms={"return_value": self.job_id})
            return
        settle = Settings.load().resume_settle_seconds
        await asyncio.sleep(max(self.deferred_at + settle - time.time(), 0.0))
        yield event

    async def _ended_here(self, event: TriggerEvent) -> bool:
        """Record a FINISHED job and reconcile its batch here; False (the task resumes and does
        it) for any other end, for a task that asked to resume, or when the store cannot be reached."""
        from irp.operators.batch import DagRunKey
        from irp.operators.job import record_job_end

        payload = event.payload
        if not self.end_task or payload.get("status") != JobStatus.FINISHED:
            return False
        try:
            record = functools.partial(
                record_job_end, self.job_id, JobStatus.FINISHED, payload.get("payload"),
                batch_type=BatchType.parse(self.batch_type), cycle_name=self.cycle_name, batch_id=self.batch_id,
                run=DagRunKey(self.dag_id, self.run_id),
            )  # fmt: skip
            # In this trigger's context: the triggerer routes log lines to a trigger's log by it.
            await asyncio.get_running_loop().run_in_executor(_RECORDING, contextvars.copy_context().run, record)
        except Exception:
            log.exception("Job %s FINISHED, but recording it failed: its task resumes to record it", self.job_id)
            return False
        log.info("Moody's job %s FINISHED after %s polls: job %s recorded", self.workflow_id,
                 payload.get("polls"), self.job_id)  # fmt: skip
        return True

    async def _wait(self) -> TriggerEvent:
        """The one event of this trigger: its job ended, the deadline passed, or an error."""
        from irp.triggers.poller import poller

        subscription = None
        try:
            batch_type = BatchType.parse(self.batch_type)
            shared = poller(self.moodys_conn_id, batch_type)
            subscription = shared.subscribe(batch_type, self.workflow_id, self.poll_interval, self.deferred_at)
            try:
                remaining = max(self.deadline - time.time(), 0.0)
                report = await asyncio.wait_for(asyncio.shield(subscription.outcome), remaining)
            except TimeoutError:
                shared.unsubscribe(subscription)
                async with self._hook() as hook:  # the last word at the deadline is Moody's
                    report = await hook.aget_job_status(batch_type, self.workflow_id)
                subscription.polls += 1
                if not self._ended(report.status):
                    return self._event(TriggerOutcome.TIMEOUT, status=report.status.value, polls=subscription.polls)
            return self._event(
                TriggerOutcome.ENDED, status=report.status.value, payload=report.payload, polls=subscription.polls
            )
        except Exception as exc:  # one event, never an exception: the task decides
            polls = subscription.polls if subscription else 0
            return self._event(TriggerOutcome.ERROR, message=f"{type(exc).__name__}: {exc}", polls=polls)
        finally:
            if subscription is not None:
                shared.unsubscribe(subscription)  # cancelled (the task was stopped) or done

    @staticmethod
    def _ended(status: JobStatus) -> bool:
        return status.terminal and status is not JobStatus.ERROR

    async def on_kill(self) -> None:
        """A person stopped the waiting task: cancel the Moody's job it waits for."""
        async with self._hook() as hook:
            await hook.acancel_job(BatchType.parse(self.batch_type), self.workflow_id)
