"""Many mapped tasks finishing at once: updates and recons of one batch serialize exactly."""

from __future__ import annotations

import threading

from irp import batch as batches
from irp import job as jobs
from irp.constants import BatchStatus, JobStatus

THREADS = 8
JOBS_PER_THREAD = 40


def test_concurrent_updates_and_recons_of_one_batch(make_batch, store):
    batch_id, job_ids = make_batch([JobStatus.INITIATED] * (THREADS * JOBS_PER_THREAD))
    with store.transaction() as cursor:
        cursor.execute("UPDATE irp_job SET moodys_workflow_id = id::text WHERE batch_id = %s", (batch_id,))
    failing = set(job_ids[::97])  # a few jobs fail, so the exact outcome is FAILED
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(chunk: list[int]) -> None:
        try:
            start.wait()
            for job_id in chunk:
                jobs.update_job_status(job_id, JobStatus.RUNNING, store=store)
                batches.recon_batch(batch_id, store=store)
                final = JobStatus.FAILED if job_id in failing else JobStatus.FINISHED
                jobs.update_job_status(job_id, final, tracking_data={"status": final.value}, store=store)
                batches.recon_batch(batch_id, store=store)
        except BaseException as exc:  # reported below with the thread's failure
            errors.append(exc)

    chunks = [job_ids[i::THREADS] for i in range(THREADS)]
    threads = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    # The last recon committed saw every update: no extra recon is run here.
    assert batches.read_batch(batch_id, store=store).status is BatchStatus.FAILED
    with store.transaction() as cursor:
        cursor.execute(
            "SELECT recon_result, recon_summary FROM irp_batch_recon_log WHERE batch_id = %s ORDER BY id",
            (batch_id,),
        )
        log = cursor.fetchall()
        cursor.execute(
            "SELECT count(*) AS n FROM irp_job_tracking_log t JOIN irp_job j ON j.id = t.job_id WHERE j.batch_id = %s",
            (batch_id,),
        )
        tracked = cursor.fetchone()["n"]
    assert len(log) == 2 * len(job_ids)
    last = log[-1]
    assert last["recon_result"] == "FAILED"
    assert last["recon_summary"]["job_status_counts"] == {
        "FINISHED": len(job_ids) - len(failing),
        "FAILED": len(failing),
    }
    assert last["recon_summary"]["failed_job_ids"] == sorted(failing)
    assert tracked == 2 * len(job_ids)
    assert all(
        job.status is (JobStatus.FAILED if job.id in failing else JobStatus.FINISHED)
        for job in batches.get_batch_jobs(batch_id, store=store)
    )


def test_concurrent_resubmission_of_one_job_creates_one_child(make_batch, store):
    batch_id, (job_id,) = make_batch([JobStatus.FAILED])
    outcomes: list[object] = []
    start = threading.Barrier(THREADS)

    def work() -> None:
        start.wait()
        try:
            outcomes.append(jobs.resubmit_job(job_id, store=store))
        except jobs.JobError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    children = [o for o in outcomes if isinstance(o, int)]
    assert len(children) == 1
    assert len(batches.get_batch_jobs(batch_id, store=store)) == 2
