"""Every recon rule, and the edge cases of specs/batch_job.md §5.4-§5.5 with the fixed semantics."""

from __future__ import annotations

import pytest

from irp import batch as batches
from irp import job as jobs
from irp.constants import BatchStatus, JobStatus
from irp.exceptions import BatchError
from irp.recon import recon_batch

F, X, C, E, R = JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.ERROR, JobStatus.RUNNING
SKIPPED = True


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        pytest.param([F, F, X], BatchStatus.FAILED, id="AS-50 finished+failed"),
        pytest.param([F, E, X], BatchStatus.ERROR, id="AS-51 error outranks failed"),
        pytest.param([C, C], BatchStatus.CANCELLED, id="AS-52 all cancelled"),
        pytest.param([C, X], BatchStatus.FAILED, id="AS-53 cancelled+failed"),
        pytest.param([C, E], BatchStatus.ERROR, id="AS-54 cancelled+error"),
        pytest.param([F, C], BatchStatus.CANCELLED, id="AS-55 fixed: finished+cancelled mix is CANCELLED"),
        pytest.param([F, JobStatus.CANCEL_REQUESTED], BatchStatus.ACTIVE, id="AS-56 cancel requested"),
        pytest.param([F, JobStatus.CANCELLING], BatchStatus.ACTIVE, id="AS-56 cancelling"),
        pytest.param([X, R], BatchStatus.ACTIVE, id="AS-57 active beats failed"),
        pytest.param([F, F], BatchStatus.COMPLETED, id="AS-58 all finished"),
        pytest.param([JobStatus.INITIATED], BatchStatus.ACTIVE, id="AS-59 initiated"),
        pytest.param([JobStatus.SUBMITTED, F], BatchStatus.ACTIVE, id="submitted is not terminal"),
        pytest.param([JobStatus.QUEUED, JobStatus.PENDING], BatchStatus.ACTIVE, id="queued/pending"),
        pytest.param([E], BatchStatus.ERROR, id="AS-60 error only"),
        pytest.param([], BatchStatus.COMPLETED, id="AS-05 empty batch"),
        pytest.param(
            [(JobStatus.SUBMITTED, SKIPPED)],
            BatchStatus.COMPLETED,
            id="AS-62 fixed: only a skipped job, no replacement -> config leaves the count",
        ),
        pytest.param(
            [(X, SKIPPED), F], BatchStatus.COMPLETED, id="AS-64 fixed: skipped failed job without replacement"
        ),
        pytest.param([(F, SKIPPED), F], BatchStatus.COMPLETED, id="AS-65 skipped finished job fulfils"),
        pytest.param([(X, SKIPPED)], BatchStatus.COMPLETED, id="all skipped"),
        pytest.param([(C, SKIPPED), C, F], BatchStatus.CANCELLED, id="skipped jobs ignored in mix"),
    ],
)
def test_recon_rules(make_batch, store, statuses, expected):
    batch_id, _ = make_batch(statuses)
    result = recon_batch(batch_id, store=store)
    assert result.status is expected
    assert batches.read_batch(batch_id, store=store).status is expected


def test_batch_is_never_left_active_when_every_job_is_terminal(make_batch, store):
    terminal = [F, X, C, E]
    for first in terminal:
        for second in terminal:
            for skip_first in (False, True):
                batch_id, _ = make_batch([(first, skip_first), second])
                assert recon_batch(batch_id, store=store).status is not BatchStatus.ACTIVE
                batches.delete_batch(batch_id, store=store)


def test_completed_sets_completed_ts_and_reports_change(make_batch, store):
    batch_id, _ = make_batch([F, F])
    first = recon_batch(batch_id, store=store)
    assert first.changed
    assert first.previous_status is BatchStatus.INITIATED
    assert batches.read_batch(batch_id, store=store).completed_ts is not None
    second = recon_batch(batch_id, store=store)
    assert not second.changed
    assert second.status is BatchStatus.COMPLETED


def test_error_sets_completed_ts_too(make_batch, store):
    batch_id, _ = make_batch([E])
    recon_batch(batch_id, store=store)
    assert batches.read_batch(batch_id, store=store).completed_ts is not None


def test_summary_matches_reference_example(make_batch, store):
    """AS-69: A FINISHED+skipped, B FINISHED, C FAILED, each on its own configuration."""
    batch_id, (_a, _b, c) = make_batch([(F, SKIPPED), F, X])
    configs = [cfg.id for cfg in batches.get_batch_job_configurations(batch_id, store=store)]
    result = recon_batch(batch_id, store=store)
    assert result.status is BatchStatus.FAILED
    summary = result.summary
    assert (summary.total_configs, summary.non_skipped_configs) == (3, 3)
    assert (summary.fulfilled_configs, summary.unfulfilled_configs) == (2, 1)
    assert summary.unfulfilled_config_ids == [configs[2]]
    assert (summary.total_jobs, summary.non_skipped_jobs) == (3, 2)
    assert summary.job_status_counts == {"FINISHED": 1, "FAILED": 1, "SKIPPED": 1}
    assert summary.failed_job_ids == [c]
    assert summary.cancelled_job_ids == []
    assert summary.error_job_ids == []


def test_every_recon_writes_a_log_row(make_batch, store):
    batch_id, (error_job,) = make_batch([E])
    recon_batch(batch_id, store=store)
    recon_batch(batch_id, store=store)
    with store.transaction() as cursor:
        cursor.execute(
            "SELECT recon_result, recon_summary FROM irp_batch_recon_log WHERE batch_id = %s ORDER BY id",
            (batch_id,),
        )
        rows = cursor.fetchall()
    assert [row["recon_result"] for row in rows] == ["ERROR", "ERROR"]
    assert rows[0]["recon_summary"]["error_job_ids"] == [error_job]
    assert set(rows[0]["recon_summary"]) >= {
        "total_configs",
        "non_skipped_configs",
        "fulfilled_configs",
        "unfulfilled_configs",
        "unfulfilled_config_ids",
        "total_jobs",
        "non_skipped_jobs",
        "job_status_counts",
        "failed_job_ids",
        "cancelled_job_ids",
        "error_job_ids",
    }


def test_empty_batch_summary_is_all_zero(make_batch, store):
    batch_id, _ = make_batch([])
    summary = recon_batch(batch_id, store=store).summary
    assert summary.total_configs == summary.total_jobs == summary.non_skipped_jobs == 0
    assert summary.job_status_counts == {}


def test_running_job_finishing_turns_active_into_failed(make_batch, store):
    """AS-57 / AS-61: the batch waits for every job before failing."""
    batch_id, (_failed, running) = make_batch([X, R])
    assert recon_batch(batch_id, store=store).status is BatchStatus.ACTIVE
    jobs.update_job_status(running, F, store=store)
    assert recon_batch(batch_id, store=store).status is BatchStatus.FAILED


def test_skipped_configuration_with_live_failed_job_fails(make_batch, store):
    """AS-66: the job still drives the status."""
    batch_id, (job_a, _) = make_batch([X, F])
    jobs.skip_job_configuration(jobs.read_job(job_a, store=store).job_configuration_id, "manual", store=store)
    assert recon_batch(batch_id, store=store).status is BatchStatus.FAILED


def test_skipped_configuration_with_finished_job_completes(make_batch, store):
    """AS-67 fixed: the reference left this ACTIVE forever."""
    batch_id, (job_id,) = make_batch([F])
    jobs.skip_job_configuration(jobs.read_job(job_id, store=store).job_configuration_id, "manual", store=store)
    assert recon_batch(batch_id, store=store).status is BatchStatus.COMPLETED


def test_skipped_configuration_and_job_are_excluded(make_batch, store):
    """AS-68."""
    batch_id, (job_id,) = make_batch([(X, SKIPPED)])
    jobs.skip_job_configuration(jobs.read_job(job_id, store=store).job_configuration_id, "missing", store=store)
    result = recon_batch(batch_id, store=store)
    assert result.status is BatchStatus.COMPLETED
    summary = result.summary
    assert (summary.total_jobs, summary.non_skipped_jobs, summary.non_skipped_configs) == (1, 0, 0)
    assert summary.job_status_counts == {"SKIPPED": 1}


def test_resubmitted_chain_is_decided_by_the_newest_job(make_batch, store):
    """AS-63 / AS-72."""
    batch_id, (failed, _finished) = make_batch([X, F])
    assert recon_batch(batch_id, store=store).status is BatchStatus.FAILED
    child = jobs.resubmit_job(failed, store=store)
    assert batches.read_batch(batch_id, store=store).status is BatchStatus.ACTIVE
    assert recon_batch(batch_id, store=store).status is BatchStatus.ACTIVE
    jobs.update_job_status(child, F, store=store)
    result = recon_batch(batch_id, store=store)
    assert result.status is BatchStatus.COMPLETED
    assert result.summary.job_status_counts == {"FINISHED": 2, "SKIPPED": 1}


def test_abandoned_configuration_is_reported(make_batch, store):
    batch_id, (skipped_job, _) = make_batch([(X, SKIPPED), F])
    config_id = jobs.read_job(skipped_job, store=store).job_configuration_id
    summary = recon_batch(batch_id, store=store).summary
    assert summary.abandoned_config_ids == [config_id]
    assert summary.unfulfilled_configs == 0


@pytest.mark.parametrize(("batch_id", "message"), [(999999, "not found"), (-3, "Invalid batch_id: -3")])
def test_recon_of_unknown_or_invalid_batch(store, batch_id, message):
    with pytest.raises(BatchError, match=message):
        recon_batch(batch_id, store=store)
