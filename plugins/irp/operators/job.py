"""``SubmitJobOperator``: submits one job of a batch (one mapped task instance per job).

Synchronous batch types (Data Extraction, Portfolio Creation, treaties, Portfolio Mapping)
finish here; asynchronous ones hand over to :class:`irp.sensors.job.MoodysJobSensor`.
Submission is idempotent per job, so an automatic retry never creates a second Moody's job;
clearing the task after its job failed resubmits it (see :mod:`irp.resubmission`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

from irp.constants import SYNCHRONOUS_WORKFLOW_ID, BatchType, JobStatus
from irp.links import XCOM_JOB_URL, MoodysJobLink, job_url
from irp.records import Job

#: XCom keys read by the operator links and the dashboard.
XCOM_JOB_ID = "irp_job_id"
XCOM_WORKFLOW_ID = "moodys_workflow_id"


class JobTaskMixin:
    """What the submit and wait tasks share: the job they were created for, and its cycle."""

    job: Mapping[str, Any]
    batch_type: str
    cycle_name: str
    #: The Moody's job URL published by ``execute`` in this process ("" = none); None when this
    #: process did not run ``execute`` (a wait resumed after deferral): the link then reads XCom.
    moodys_job_url: str | None = None

    @property
    def original_job_id(self) -> int:
        return int(self.job["job_id"])

    def publish(self, context: Any, job: Job) -> None:
        """Expose the job (and its Moody's id) for links and people reading the task's XCom."""
        from irp.settings import Settings

        ti = context["ti"]
        ti.xcom_push(key=XCOM_JOB_ID, value=job.id)
        if job.moodys_workflow_id and job.moodys_workflow_id != SYNCHRONOUS_WORKFLOW_ID:
            ti.xcom_push(key=XCOM_WORKFLOW_ID, value=job.moodys_workflow_id)
            url = job_url(
                Settings.load().moodys_conn_id,
                workflow_id=job.moodys_workflow_id,
                batch_type=self.batch_type,
                job_id=job.id,
            )
            ti.xcom_push(key=XCOM_JOB_URL, value=url)
            self.moodys_job_url = url

    def failed(self, job: Job) -> AirflowFailException:
        detail = f": {job.last_error}" if job.last_error else ""
        return AirflowFailException(
            f"Job {job.id} ({self.job.get('label')}) is {job.status}{detail}. Clear this task to resubmit it."
        )


class SubmitJobOperator(JobTaskMixin, BaseOperator):
    """Submit one job of a cycle's batch.

    :param job: ``{"job_id": ..., "label": ...}`` as listed by the batch's ``jobs`` task.
    :param batch_type: display name of the batch type.
    :param cycle_name: the cycle (its data folder holds the MRI import files).
    """

    template_fields: Sequence[str] = ("job",)
    operator_extra_links = (MoodysJobLink(),)
    ui_color = "#d9ecff"

    def __init__(self, *, job: Mapping[str, Any], batch_type: str, cycle_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job = job
        self.batch_type = batch_type
        self.cycle_name = cycle_name
        if BatchType.parse(batch_type).synchronous:
            self.operator_extra_links = ()  # no Moody's job to link to

    def execute(self, context: Any) -> int:
        from irp import job as jobs

        self.moodys_job_url = ""  # until published: the link must not look for a URL never pushed
        from irp.backends import job_backend
        from irp.resubmission import RESUBMITTABLE, job_to_run
        from irp.settings import Settings

        backend = job_backend(BatchType.parse(self.batch_type), self.cycle_name, Settings.load())
        job = job_to_run(self.original_job_id, context, retries=self.retries, backend=backend)
        self.publish(context, job)
        if job.status is JobStatus.FINISHED:
            self.log.info("Job %s already FINISHED: nothing to submit", job.id)
            return job.id
        if job.submitted:
            if job.status in RESUBMITTABLE:
                raise self.failed(job)
            self.log.info("Job %s is already submitted (%s): re-attaching", job.id, job.moodys_workflow_id)
            return job.id
        try:
            job = jobs.submit_job(job.id, backend)
        except jobs.JobSkipped as exc:
            raise AirflowSkipException(str(exc)) from exc
        except jobs.JobError as exc:
            raise AirflowException(str(exc)) from exc
        self.publish(context, job)
        self.log.info("Job %s submitted: %s (%s)", job.id, job.moodys_workflow_id, job.status)
        return job.id
