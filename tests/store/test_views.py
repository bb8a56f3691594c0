"""The reporting views keep the reference's columns, with the job sums fixed (BUG-1)."""

from __future__ import annotations

from irp import job as jobs
from irp.constants import JobStatus


def view_row(store, view, key, value):
    with store.transaction() as cursor:
        cursor.execute(f"SELECT * FROM {view} WHERE {key} = %s", (value,))
        return cursor.fetchall()


def test_v_irp_batch_counts_are_not_inflated(make_batch, store):
    """AS-100 with the fix: config A (FAILED+skipped parent, FINISHED child), config B FINISHED."""
    batch_id, (a, _b) = make_batch([JobStatus.FAILED, JobStatus.FINISHED])
    child = jobs.resubmit_job(a, store=store)
    jobs.update_job_status(child, JobStatus.FINISHED, store=store)
    (row,) = view_row(store, "v_irp_batch", "batch_id", batch_id)
    assert (row["total_configs"], row["fulfilled_configs"]) == (2, 2)
    assert (row["total_jobs"], row["finished_jobs"], row["skipped_jobs"]) == (2, 2, 1)
    assert row["reporting_status"] == "COMPLETED"
    assert float(row["completion_percent"]) == 100.0
    assert row["recommended_action"] == "Recon Batch"


def test_v_irp_batch_for_an_empty_initiated_batch(make_batch, store):
    """AS-101."""
    batch_id, _ = make_batch([])
    (row,) = view_row(store, "v_irp_batch", "batch_id", batch_id)
    assert row["reporting_status"] == "UNSUBMITTED"
    assert float(row["completion_percent"]) == 0
    assert row["recommended_action"] == "Submit Batch"


def test_v_irp_job_rules(make_batch, store):
    """AS-102, with skipped jobs no longer needing attention (BUG-35)."""
    _, (failed, cancelling) = make_batch([(JobStatus.FAILED, True), (JobStatus.CANCELLING, True)])
    (row,) = view_row(store, "v_irp_job", "id", failed)
    assert row["report_status"] == "SKIPPED"
    assert row["next_best_action"] == "Recon Batch OR Check for Manually Completed Job on Moody's"
    assert row["is_terminal"] is True
    assert row["needs_attention"] is False
    (row,) = view_row(store, "v_irp_job", "id", cancelling)
    assert row["report_status"] == "SKIPPED"


def test_v_irp_job_configuration_progress(make_batch, store):
    _, (job_id,) = make_batch([JobStatus.FINISHED])
    config_id = jobs.read_job(job_id, store=store).job_configuration_id
    (row,) = view_row(store, "v_irp_job_configuration", "job_configuration_id", config_id)
    assert row["config_report_status"] == "FULFILLED"
    assert float(row["progress_percent"]) == 100.0
