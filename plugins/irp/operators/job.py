"""``MoodysJobOperator``: one job of a batch, from submission to its end, in one task instance.

Like the dbt Cloud and Databricks run operators, ``execute`` submits (or re-attaches to) the
job, follows it for ``defer_after`` and defers to :class:`irp.triggers.job.MoodysJobTrigger`;
``execute_complete`` records how it ended. Synchronous batch types (Data Extraction, Portfolio
Creation, treaties, Portfolio Mapping) finish in ``execute``. Which job the task works on follows
:mod:`irp.resubmission`: a person's clear resubmits a failed job, an automatic retry re-attaches.
Every job task reconciles its batch when it ends, so the batch's status (and its Teams message)
follows the last job to end.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator, BaseOperatorLink
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

from irp.constants import SYNCHRONOUS_WORKFLOW_ID, BatchType, JobStatus
from irp.links import MoodysJobLink

if TYPE_CHECKING:
    from irp.moodys.protocol import JobBackend
    from irp.operators.batch import DagRunRef
    from irp.records import Job
    from irp.triggers.job import MoodysJobTrigger


class MoodysJobOperator(BaseOperator):
    """Run one job of a cycle's batch: submit or re-attach, then wait in the triggerer.

    :param job: ``{"job_id": ..., "label": ...}`` as listed by the batch's ``prepare`` task (with
        ``references``: the answers of its submission's look-ups, for its first try).
    :param batch_type: display name of the batch type.
    :param cycle_name: the cycle (its data folder holds the MRI import files).
    :param poll_interval: seconds between polls (default ``[irp] poll_interval``).
    :param timeout: how long to wait for the Moody's job before cancelling it.
    :param defer_after: how long to follow the Moody's job in the worker before deferring (a short
        job then ends without a deferral round trip).
    :param end_in_triggerer: when the Moody's job FINISHED, the trigger records it and ends the
        task, no worker resuming it (False: the task has more to do after its job).
    """

    template_fields: Sequence[str] = ("job",)
    operator_extra_links: Collection[BaseOperatorLink] = (MoodysJobLink(),)
    ui_color = "#d9ecff"

    def __init__(
        self,
        *,
        job: Mapping[str, Any] | None,
        batch_type: str,
        cycle_name: str,
        poll_interval: float | None = None,
        timeout: timedelta = timedelta(hours=24),
        defer_after: timedelta = timedelta(0),
        end_in_triggerer: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.job = job
        self.batch_type = batch_type
        self.cycle_name = cycle_name
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.defer_after = defer_after
        self.end_in_triggerer = end_in_triggerer
        if BatchType.parse(batch_type).synchronous:
            self.operator_extra_links = ()  # no Moody's job to link to
        #: The Moody's job URL known to this process ("" = none), read by the operator link.
        self.moodys_job_url: str | None = None

    # -- helpers ---------------------------------------------------------------------------------
    @property
    def original_job_id(self) -> int:
        if not self.job:
            raise AirflowSkipException("No job to run")
        return int(self.job["job_id"])

    @property
    def kind(self) -> BatchType:
        return BatchType.parse(self.batch_type)

    def _backend(self) -> JobBackend:
        from irp.backends import job_backend
        from irp.settings import Settings

        return job_backend(self.kind, self.cycle_name, Settings.load())

    def _publish(self, job: Job) -> None:
        """Remember the Moody's job's URL for the operator link (it shows while the task defers)."""
        from irp.links import job_url
        from irp.settings import Settings

        if job.moodys_workflow_id and job.moodys_workflow_id != SYNCHRONOUS_WORKFLOW_ID:
            self.moodys_job_url = job_url(
                Settings.load().moodys_conn_id, workflow_id=job.moodys_workflow_id, batch_type=self.batch_type,
                job_id=job.id,
            )  # fmt: skip

    def _failed(self, job: Job) -> AirflowFailException:
        detail = f": {job.last_error}" if job.last_error else ""
        label = (self.job or {}).get("label")
        return AirflowFailException(f"Job {job.id} ({label}) is {job.status}{detail}. Clear this task to resubmit it.")

    @property
    def batch_id(self) -> int:
        from irp import job as jobs

        return int((self.job or {}).get("batch_id") or jobs.read_job(self.original_job_id).batch_id)

    def _reconcile(self, context: Any) -> None:
        """Reconcile the job's batch; the task whose job ended it tells Teams how it ended."""
        from irp.operators.batch import reconcile

        reconcile(self.kind, self.cycle_name, self.batch_id, context["ti"], quiet=True)

    # -- execution -------------------------------------------------------------------------------
    def execute(self, context: Any) -> int | None:
        from irp import job as jobs
        from irp.resubmission import RESUBMITTABLE, job_to_run

        self.moodys_job_url = ""  # until known: the link must not look for a URL in XCom
        started = time.time()
        backend = self._backend()
        job = job_to_run(self.original_job_id, context, retries=self.retries or 0, backend=backend)
        if job.skipped:  # a person skipped it (irp_repair), or its entity was kept
            self._reconcile(context)
            raise AirflowSkipException(f"Job {job.id} ({(self.job or {}).get('label')}) is skipped")
        submitted_now = not job.submitted and job.status is not JobStatus.FINISHED
        if submitted_now:
            self._start_from_references(job.id, context, backend)
            try:
                job = jobs.submit_job(job.id, backend)
            except jobs.JobSkipped as exc:
                self._reconcile(context)
                raise AirflowSkipException(str(exc)) from exc
            except jobs.JobError as exc:
                if _last_try(context):  # a retry re-attaches: no verdict (nor Teams message) before it
                    self._reconcile(context)
                raise AirflowException(str(exc)) from exc
            self.log.info("Job %s submitted: %s (%s)", job.id, job.moodys_workflow_id, job.status)
        else:
            self.log.info("Job %s is already submitted (%s, %s): re-attaching", job.id, job.moodys_workflow_id,
                          job.status)  # fmt: skip
        self._publish(job)
        status = job.status
        if not status.terminal and not self.kind.synchronous:
            status = self._follow(job.id, backend, status if submitted_now else None)
        if self.kind.synchronous or status.terminal or status in RESUBMITTABLE:
            return self._finish(job.id, status, context)
        self.defer(trigger=self._trigger(job, context["ti"], deadline=started + self.timeout.total_seconds()),
                   method_name="execute_complete")  # fmt: skip
        return None

    def _start_from_references(self, job_id: int, context: Any, backend: JobBackend) -> None:
        """A first try of the job prepare listed starts from the answers prepare's rehearsal found
        for its look-ups; a retry, a clear or a replacement job asks Moody's afresh."""
        from irp.moodys.protocol import SubmissionRehearsal

        references = (self.job or {}).get("references")
        first = context["ti"].try_number == 1 and job_id == self.original_job_id
        if references and first and isinstance(backend, SubmissionRehearsal):
            backend.use_references(references)

    def _follow(self, job_id: int, backend: JobBackend, submitted: JobStatus | None) -> JobStatus:
        """Poll the job for up to ``defer_after`` (never past ``timeout``; at least the resume
        settle time for a task that resumes after its job), as the trigger would;
        returns the last status seen. A job re-attached to (``submitted`` None) is polled at once:
        what the store knows may be old; one just submitted is not (Moody's answered the submission).
        """
        from irp.resubmission import RESUBMITTABLE
        from irp.settings import Settings
        from irp.triggers.poller import poll_delays

        settings = Settings.load()
        follow = self.defer_after
        if not self.end_in_triggerer:
            # Its task resumes no sooner than resume_settle_seconds after deferring: following the
            # job that long costs no time, and a short job then ends with no deferral at all.
            follow = max(follow, timedelta(seconds=settings.resume_settle_seconds))
        until = time.monotonic() + min(follow, self.timeout).total_seconds()
        delays = poll_delays(self.poll_interval or settings.poll_interval)
        status = self._observe(job_id, backend) if submitted is None else submitted
        while not status.terminal and status not in RESUBMITTABLE:
            delay = next(delays)
            if time.monotonic() + delay > until:
                break
            time.sleep(delay)
            status = self._observe(job_id, backend)
        return status

    def _observe(self, job_id: int, backend: JobBackend) -> JobStatus:
        """Poll Moody's once and record it; transport failures are retried by Airflow."""
        from irp import job as jobs

        try:
            return jobs.track_job_status(job_id, backend)
        except jobs.JobError as exc:
            raise AirflowException(str(exc)) from exc

    def _trigger(self, job: Job, ti: Any, *, deadline: float) -> MoodysJobTrigger:
        from irp.settings import Settings
        from irp.triggers.job import MoodysJobTrigger

        settings = Settings.load()
        return MoodysJobTrigger(
            job_id=job.id,
            batch_type=self.batch_type,
            workflow_id=job.moodys_workflow_id or "",
            moodys_conn_id=settings.moodys_conn_id,
            poll_interval=self.poll_interval or settings.poll_interval,
            deadline=deadline,
            job_url=self.moodys_job_url or "",
            deferred_at=time.time(),
            cycle_name=self.cycle_name,
            batch_id=job.batch_id,
            end_task=self.end_in_triggerer,
            dag_id=ti.dag_id,
            run_id=ti.run_id,
        )

    def _finish(self, job_id: int, status: JobStatus, context: Any) -> int:
        self._reconcile(context)
        return self._verdict(job_id, status)

    def _verdict(self, job_id: int, status: JobStatus) -> int:
        """The task's end once its job's end is recorded: the job id, or the failure to clear."""
        from irp import job as jobs

        if status is JobStatus.FINISHED:
            self.log.info("Job %s FINISHED", job_id)
            return job_id
        raise self._failed(jobs.read_job(job_id))

    def execute_complete(self, context: Any, event: dict[str, Any] | str) -> int:
        from irp import job as jobs
        from irp.triggers.job import TriggerOutcome

        if not isinstance(event, dict):  # dag.test() resumes a task its trigger ended ("success")
            job = jobs.latest_job(self.original_job_id)
            self._publish(job)
            return job.id
        self.moodys_job_url = str(event.get("job_url") or "")  # for the operator link
        job_id = int(event["job_id"])
        outcome = TriggerOutcome(event["outcome"])
        if outcome is TriggerOutcome.ERROR:
            raise AirflowException(f"Polling Moody's for job {job_id} failed: {event.get('message')}")
        if outcome is TriggerOutcome.TIMEOUT:
            jobs.cancel_job(job_id, self._backend())
            self._reconcile(context)
            raise AirflowFailException(
                f"Job {job_id} (Moody's {event['workflow_id']}) did not finish within "
                f"{self.timeout.total_seconds():.0f} s; its Moody's job was cancelled. Clear this task to resubmit it."
            )
        status = JobStatus(event["status"])
        self.log.info("Moody's job %s ended %s after %s polls", event["workflow_id"], status, event.get("polls"))
        record_job_end(job_id, status, event.get("payload"), batch_type=self.kind, cycle_name=self.cycle_name,
                       batch_id=self.batch_id, run=context["ti"])  # fmt: skip
        return self._verdict(job_id, status)


def record_job_end(
    job_id: int,
    status: JobStatus,
    payload: Any,
    *,
    batch_type: BatchType,
    cycle_name: str,
    batch_id: int,
    run: DagRunRef,
) -> None:
    """Record how a job's Moody's job ended and reconcile its batch (telling Teams when that ends
    it badly): by the resumed task, or by the trigger itself when the job FINISHED."""
    from irp import job as jobs
    from irp.operators.batch import reconcile

    jobs.update_job_status(job_id, status, tracking_data=payload)
    reconcile(batch_type, cycle_name, batch_id, run, quiet=True)


def _last_try(context: Any) -> bool:
    """Whether a failure of this try is final: no automatic retry follows it."""
    ti = context["ti"]
    return bool(ti.try_number > ti.max_tries)
