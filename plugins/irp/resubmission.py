"""Clear = resubmission: which job a submit or wait task instance works on.

A mapped task instance is created for one job. When a person clears it in the Airflow UI (a
*fresh* attempt) after its job failed, the job is resubmitted: the failed job is skipped and a
new job is linked to it. An automatic retry (an infrastructure failure) re-attaches to the same
job instead, and a job that FINISHED is never submitted again.
"""

from __future__ import annotations

from typing import Any

from irp import job as jobs
from irp.constants import JobStatus
from irp.records import Job
from irp.store import Store

RESUBMITTABLE = frozenset({JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.ERROR})


def is_fresh_attempt(ti: Any, retries: int) -> bool:
    """True on a task instance's first try and on the first try after a clear.

    Clearing sets ``max_tries = try_number + retries``, so a fresh attempt is the one that
    still has all its retries left; an automatic retry has used some.
    """
    return ti.max_tries - ti.try_number == retries - 1


def job_to_run(job_id: int, *, fresh: bool, store: Store | None = None) -> Job:
    """The job a task instance created for ``job_id`` must submit or wait for now.

    The newest job of the resubmission chain; on a fresh attempt, a new job replacing it when
    it FAILED, was CANCELLED or is in ERROR.
    """
    job = jobs.latest_job(job_id, store=store)
    if fresh and job.status in RESUBMITTABLE and not job.skipped:
        job = jobs.read_job(jobs.resubmit_job(job.id, store=store), store=store)
    return job
