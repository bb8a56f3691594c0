"""``MoodysJobTrigger`` against the simulator over a socket: its serialized form, every event it
yields, the backing-off polls, and ``on_kill`` cancelling the Moody's job."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest

from irp.constants import BatchType, JobStatus
from irp.triggers.job import MoodysJobTrigger, TriggerOutcome
from irp.triggers.poller import FIRST_POLL_SECONDS, poll_delays
from tests.moodys.cycle import EDM, INSTALLATION, METADATA
from tests.support.specs import spec

EDM_CREATION = BatchType.EDM_CREATION


def moodys_job(hook: Any, name: str = EDM, job_id: int = 1) -> str:
    """A Moody's EDM job, submitted straight through the hook; its workflow id."""
    data = {"Metadata": METADATA, "Database": name}
    result = hook.submit_job(EDM_CREATION, job_id, spec(EDM_CREATION, data), installation_id=INSTALLATION)
    return str(result.workflow_id)


def trigger(workflow_id: str, *, deadline: float | None = None, poll_interval: float = 0.01) -> MoodysJobTrigger:
    return MoodysJobTrigger(
        job_id=7, batch_type=EDM_CREATION.value, workflow_id=workflow_id, moodys_conn_id="moodys_default",
        poll_interval=poll_interval, deadline=deadline or time.time() + 60, job_url="https://moodys/jobs/7",
    )  # fmt: skip


def events(of: MoodysJobTrigger) -> list[dict[str, Any]]:
    async def collect() -> list[dict[str, Any]]:
        return [event.payload async for event in of.run()]

    return asyncio.run(collect())


def test_the_serialized_trigger_builds_the_same_trigger():
    """What the triggerer stores and inflates again (through Airflow's serde)."""
    from airflow.sdk.serde import deserialize, serialize

    original = trigger("42")
    classpath, kwargs = original.serialize()
    assert classpath == "irp.triggers.job.MoodysJobTrigger"
    inflated = MoodysJobTrigger(**deserialize(serialize(kwargs)))
    assert inflated.serialize() == (classpath, kwargs)
    assert kwargs["job_url"] == "https://moodys/jobs/7"


def test_a_trigger_serialized_before_job_url_still_inflates():
    """In-flight triggers keep their old kwargs across an upgrade of the triggerer."""
    _, kwargs = trigger("42").serialize()
    del kwargs["job_url"]
    assert MoodysJobTrigger(**kwargs).job_url == ""


def test_a_finished_job_yields_one_ended_event(hook, sim):
    (event,) = events(trigger(moodys_job(hook)))
    assert (event["outcome"], event["status"]) == (TriggerOutcome.ENDED, JobStatus.FINISHED)
    assert event["job_id"] == 7
    assert event["job_url"] == "https://moodys/jobs/7"
    assert event["polls"] >= 2  # ticks mode: each read moves the job one phase
    assert event["payload"]["status"] == "FINISHED"


@pytest.mark.parametrize("outcome", [JobStatus.FAILED, JobStatus.CANCELLED])
def test_a_job_that_fails_or_is_cancelled_ends_so(hook, sim, outcome):
    sim.admin.job_outcome(kind="riskdata", nameRegex=f"^{EDM}$", outcome=outcome.value)
    (event,) = events(trigger(moodys_job(hook)))
    assert (event["outcome"], event["status"]) == (TriggerOutcome.ENDED, outcome)


def test_the_deadline_passing_yields_a_timeout(hook, sim):
    sim.admin.job_outcome(kind="riskdata", nameRegex=f"^{EDM}$", outcome="STALL")
    (event,) = events(trigger(moodys_job(hook), deadline=time.time() + 0.2))
    assert event["outcome"] == TriggerOutcome.TIMEOUT
    assert JobStatus(event["status"]).in_progress


def test_moodys_not_answering_yields_an_error_not_an_exception(hook, sim):
    (event,) = events(trigger("999999"))  # no such job: 404
    assert event["outcome"] == TriggerOutcome.ERROR
    assert "999999" in event["message"]


def test_on_kill_cancels_the_moodys_job(hook, sim):
    sim.admin.job_outcome(kind="riskdata", nameRegex=f"^{EDM}$", outcome="STALL")
    workflow_id = moodys_job(hook)
    asyncio.run(trigger(workflow_id).on_kill())
    (job,) = [j for j in sim.admin.state()["jobs"] if str(j["jobId"]) == workflow_id]
    assert job["status"] in ("CANCEL_REQUESTED", "CANCELLING", "CANCELLED")


def test_polls_start_close_together_and_back_off_to_the_interval():
    assert list(itertools.islice(poll_delays(10.0), 6)) == [FIRST_POLL_SECONDS, 2.25, 3.375, 5.0625, 7.59375, 10.0]
    assert list(itertools.islice(poll_delays(10.0), 8))[-3:] == [10.0, 10.0, 10.0]
    assert list(itertools.islice(poll_delays(0.5), 3)) == [0.5, 0.5, 0.5]  # never longer than asked


def test_no_event_sooner_than_the_settle_time_after_the_deferral(hook, sim, monkeypatch):
    """Airflow 3.3.2 fails a task resumed before the scheduler saw its deferring worker exit."""
    from irp.settings import Settings

    assert Settings().resume_settle_seconds == 10.0
    monkeypatch.setenv("AIRFLOW__IRP__RESUME_SETTLE_SECONDS", "1.5")
    quick = trigger(moodys_job(hook))
    quick.deferred_at = time.time()
    (event,) = events(quick)
    assert event["outcome"] == TriggerOutcome.ENDED
    assert time.time() - quick.deferred_at >= 1.5
