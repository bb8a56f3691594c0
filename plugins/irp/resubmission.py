"""Clear = resubmission: which job a submit or wait task instance works on.

A mapped task instance is created for one job. When a person clears it in the Airflow UI after
its job failed, the job is resubmitted: the failed job is skipped and a new job is linked to it.
So is a job that had failed before a new run of the cycle started. An automatic retry (an
infrastructure failure) re-attaches to the same job instead, a job that fails during a try is
never resubmitted without a person, and a job that FINISHED is never submitted again. Nor is a
job whose submission got no answer replaced, by a retry or a clear: it is looked up first.
"""

from __future__ import annotations

from typing import Any

from irp import job as jobs
from irp.constants import JobStatus
from irp.moodys.protocol import JobBackend
from irp.records import Job
from irp.store import Store

#: Statuses a clear resubmits. A job being cancelled (a wait that timed out or that a person
#: stopped) is replaced at once: the old Moody's job ends cancelled on its own.
RESUBMITTABLE = frozenset(
    {JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.ERROR, JobStatus.CANCEL_REQUESTED, JobStatus.CANCELLING}
)


def is_cleared(ti: Any, retries: int) -> bool:
    """True on the first try after a person cleared the task instance.

    Clearing sets ``max_tries = try_number + retries``, so a cleared try still has all its
    retries left, like a first try; an automatic retry has used some.
    """
    return ti.try_number > 1 and ti.max_tries - ti.try_number == retries - 1


def job_to_run(job_id: int, context: Any, *, retries: int, backend: JobBackend, store: Store | None = None) -> Job:
    """The job a task instance created for ``job_id`` must submit or wait for now.

    The newest job of the resubmission chain — replaced by a new job when it FAILED, was
    CANCELLED (or is being cancelled) or is in ERROR and either a person cleared the task, or
    the job had already ended so before this DAG run started (a new run of the cycle repairs
    what an earlier one left). A cleared try first asks Moody's about a job the store still sees
    in flight: a person may have stopped its wait, which cancelled it without the store knowing.
    A job whose submission's outcome is unknown (its answer was lost) is never replaced: a new job
    would create a second Moody's job; it is submitted again, which looks Moody's up first and
    re-attaches it (:func:`irp.job.submit_job`).
    """
    ti = context["ti"]
    cleared = is_cleared(ti, retries)
    job = jobs.latest_job(job_id, store=store)
    if cleared and job.submitted and job.status.in_progress and not job.skipped:
        jobs.track_job_status(job.id, backend, store=store)
        job = jobs.read_job(job.id, store=store)
    run_start = getattr(context.get("dag_run"), "start_date", None)
    from_earlier_run = ti.try_number == 1 and run_start is not None and job.updated_ts < run_start
    # A job whose submission got no answer is not replaced: its submission looks Moody's up first.
    replace = job.status in RESUBMITTABLE and not job.skipped and not job.outcome_unknown
    if replace and (cleared or from_earlier_run):
        job = jobs.read_job(jobs.resubmit_job(job.id, store=store), store=store)
    return job
