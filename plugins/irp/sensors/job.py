"""``MoodysJobSensor``: waits for one asynchronous Moody's job, deferring to the triggerer.

The status is checked once before deferring (a job that already ended needs no deferral, and
this avoids Airflow 3.3's stale-event race for fast jobs); every observation is recorded in the
store's tracking log. A FAILED or CANCELLED job fails the task without retries: clearing it
resubmits the job.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from irp.constants import BatchType, JobStatus
from irp.links import MoodysJobLink
from irp.operators.job import JobTaskMixin
from irp.records import Job


class MoodysJobSensor(JobTaskMixin, BaseSensorOperator):
    """Wait for the Moody's job of one job of a cycle's batch.

    :param job: ``{"job_id": ..., "label": ...}`` as listed by the batch's ``jobs`` task.
    :param poll_interval: seconds between polls (default ``[irp] poll_interval``).
    :param timeout: how long to wait for the Moody's job before cancelling it.
    :param deferrable: wait in the triggerer (default) rather than in a worker slot.
    """

    template_fields: Sequence[str] = ("job",)
    operator_extra_links = (MoodysJobLink(),)
    ui_color = "#fff3c4"

    def __init__(
        self,
        *,
        job: Mapping[str, Any],
        batch_type: str,
        cycle_name: str,
        poll_interval: float | None = None,
        timeout: timedelta = timedelta(hours=24),
        deferrable: bool = True,
        **kwargs: Any,
    ) -> None:
        from irp.settings import Settings

        interval = poll_interval if poll_interval is not None else Settings.load().poll_interval
        super().__init__(poke_interval=interval, timeout=timeout.total_seconds(), **kwargs)
        self.job = job
        self.batch_type = batch_type
        self.cycle_name = cycle_name
        self.poll_interval = interval
        self.deferrable = deferrable

    def _backend(self) -> Any:
        from irp.backends import job_backend
        from irp.settings import Settings

        return job_backend(BatchType.parse(self.batch_type), self.cycle_name, Settings.load())

    def _observe(self, job: Job) -> JobStatus:
        """Poll Moody's once and record it; transport failures are retried by Airflow."""
        from irp import job as jobs

        try:
            return jobs.track_job_status(job.id, self._backend())
        except jobs.JobError as exc:
            raise AirflowException(str(exc)) from exc

    def _finish(self, job_id: int, status: JobStatus) -> int:
        from irp import job as jobs

        job = jobs.read_job(job_id)
        if status is JobStatus.FINISHED:
            self.log.info("Job %s (Moody's %s) FINISHED", job_id, job.moodys_workflow_id)
            return job_id
        raise self.failed(job)

    def execute(self, context: Any) -> int | None:
        from irp import job as jobs
        from irp.resubmission import job_to_run

        self.moodys_job_url = ""  # until published: the link must not look for a URL never pushed
        job = job_to_run(self.original_job_id, context, retries=self.retries, backend=self._backend())
        if not job.submitted and job.status is JobStatus.INITIATED:
            # Cleared on its own after a failure: the resubmitted job still has to be sent.
            try:
                job = jobs.submit_job(job.id, self._backend())
            except jobs.JobError as exc:
                raise AirflowException(str(exc)) from exc
        self.publish(context, job)
        if not job.submitted:
            raise self.failed(job)
        status = self._observe(job)
        if status.terminal:
            return self._finish(job.id, status)
        if not self.deferrable:
            super().execute(context)
            return self._finish(job.id, jobs.latest_job(self.original_job_id).status)
        from irp.settings import Settings
        from irp.triggers.job import MoodysJobTrigger

        self.defer(
            trigger=MoodysJobTrigger(
                job_id=job.id,
                batch_type=self.batch_type,
                workflow_id=job.moodys_workflow_id or "",
                moodys_conn_id=Settings.load().moodys_conn_id,
                poll_interval=self.poll_interval,
                deadline=time.time() + self.timeout,
            ),
            method_name="execute_complete",
        )
        return None

    def poke(self, context: Any) -> bool:
        """Non-deferrable mode: one poll of the newest job of the chain."""
        from irp import job as jobs

        status = self._observe(jobs.latest_job(self.original_job_id))
        if status.terminal and status is not JobStatus.FINISHED:
            raise self.failed(jobs.latest_job(self.original_job_id))
        return status is JobStatus.FINISHED

    def execute_complete(self, context: Any, event: dict[str, Any]) -> int:
        from irp import job as jobs
        from irp.triggers.job import TriggerOutcome

        job_id = int(event["job_id"])
        outcome = TriggerOutcome(event["outcome"])
        if outcome is TriggerOutcome.ERROR:
            raise AirflowException(f"Polling Moody's for job {job_id} failed: {event.get('message')}")
        if outcome is TriggerOutcome.TIMEOUT:
            jobs.cancel_job(job_id, self._backend())
            raise AirflowFailException(
                f"Job {job_id} (Moody's {event['workflow_id']}) did not finish within {self.timeout:.0f} s; "
                "its Moody's job was cancelled. Clear this task to resubmit it."
            )
        status = JobStatus(event["status"])
        jobs.update_job_status(job_id, status, tracking_data=event.get("payload"))
        self.log.info("Moody's job %s ended %s after %s polls", event["workflow_id"], status, event.get("polls"))
        return self._finish(job_id, status)
