"""The shared status poller behind ``MoodysJobTrigger``, against the simulator over a socket (ticks
mode: every status read advances a job one phase): many triggers cost one list request per round,
each still gets exactly its own event (finished, failed, cancelled, timed out, error), a job the
list omits is asked on its own, and a trigger that leaves takes its job out of the poller."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from irp.constants import BatchType, JobStatus
from irp.moodys import jobs
from irp.moodys.api import ApiPath
from irp.triggers import poller
from irp.triggers.job import MoodysJobTrigger, TriggerOutcome
from tests.moodys.cycle import INSTALLATION, METADATA
from tests.support.specs import spec

EDM_CREATION = BatchType.EDM_CREATION
LIST_ROUTE = "GET /platform/riskdata/v1/jobs"
SINGLE_ROUTE = "GET /platform/riskdata/v1/jobs/{id}"


def submit(hook: Any, *names: str) -> list[str]:
    """Moody's EDM jobs, submitted straight through the hook; their workflow ids."""
    return [
        str(hook.submit_job(EDM_CREATION, n, spec(EDM_CREATION, {"Metadata": METADATA, "Database": name}),
                            installation_id=INSTALLATION).workflow_id)
        for n, name in enumerate(names, start=1)
    ]  # fmt: skip


def trigger(
    workflow_id: str, *, job_id: int = 7, deadline: float = 60, poll_interval: float = 0.01
) -> MoodysJobTrigger:
    return MoodysJobTrigger(
        job_id=job_id, batch_type=EDM_CREATION.value, workflow_id=workflow_id, moodys_conn_id="moodys_default",
        poll_interval=poll_interval, deadline=time.time() + deadline,
    )  # fmt: skip


async def collect(of: MoodysJobTrigger) -> list[dict[str, Any]]:
    return [event.payload async for event in of.run()]


def run_all(*triggers: MoodysJobTrigger) -> list[dict[str, Any]]:
    """Run the triggers side by side on one event loop, as a triggerer does; one event each."""

    async def main() -> list[list[dict[str, Any]]]:
        return await asyncio.gather(*(collect(t) for t in triggers))

    results = asyncio.run(main())
    assert all(len(events) == 1 for events in results)
    assert poller._POLLERS == {}  # the last trigger to leave stopped the poller
    return [events[0] for events in results]


def routes(sim: Any) -> dict[str, int]:
    return sim.admin.state()["apiRoutes"]


def test_many_triggers_share_one_list_request_per_round(hook, sim):
    names = [f"RM_EDM_POLL_{n}" for n in range(12)]
    workflow_ids = submit(hook, *names)
    before = routes(sim)
    ended = run_all(*(trigger(w, job_id=n) for n, w in enumerate(workflow_ids)))
    assert [(e["outcome"], e["status"], e["job_id"]) for e in ended] == [
        (TriggerOutcome.ENDED, JobStatus.FINISHED, n) for n in range(len(names))
    ]
    assert [e["workflow_id"] for e in ended] == workflow_ids
    after = routes(sim)
    rounds = after[LIST_ROUTE] - before.get(LIST_ROUTE, 0)
    assert rounds == max(e["polls"] for e in ended)  # one request per round, for all twelve jobs
    assert rounds < len(names)
    assert after.get(SINGLE_ROUTE, 0) == before.get(SINGLE_ROUTE, 0)


def test_each_trigger_gets_its_own_jobs_end(hook, sim):
    sim.admin.job_outcome(kind="riskdata", nameRegex="^RM_EDM_FAILS$", outcome="FAILED")
    sim.admin.job_outcome(kind="riskdata", nameRegex="^RM_EDM_CANCELLED$", outcome="CANCELLED")
    workflow_ids = submit(hook, "RM_EDM_FAILS", "RM_EDM_CANCELLED", "RM_EDM_FINISHES")
    ended = run_all(*(trigger(w) for w in workflow_ids))
    assert [(e["outcome"], e["status"]) for e in ended] == [
        (TriggerOutcome.ENDED, JobStatus.FAILED),
        (TriggerOutcome.ENDED, JobStatus.CANCELLED),
        (TriggerOutcome.ENDED, JobStatus.FINISHED),
    ]
    assert all(e["payload"]["jobId"] == w for e, w in zip(ended, workflow_ids, strict=True))


def test_a_deadline_times_out_its_own_job_only(hook, sim):
    sim.admin.job_outcome(kind="riskdata", nameRegex="^RM_EDM_STALLS$", outcome="STALL")
    stalls, finishes = submit(hook, "RM_EDM_STALLS", "RM_EDM_FINISHES")
    timed_out, ended = run_all(trigger(stalls, deadline=0.3), trigger(finishes, deadline=30))
    assert timed_out["outcome"] == TriggerOutcome.TIMEOUT
    assert JobStatus(timed_out["status"]).in_progress
    assert (ended["outcome"], ended["status"]) == (TriggerOutcome.ENDED, JobStatus.FINISHED)


def test_a_job_the_list_omits_is_asked_on_its_own(hook, sim):
    """Here it does not exist (404: an error for that trigger only); a job a lagging list omits
    would be reported by its own answer."""
    (real,) = submit(hook, "RM_EDM_LISTED")
    before = routes(sim)
    missing, ended = run_all(trigger("999999"), trigger(real))
    assert missing["outcome"] == TriggerOutcome.ERROR
    assert "999999" in missing["message"]
    assert (ended["outcome"], ended["status"]) == (TriggerOutcome.ENDED, JobStatus.FINISHED)
    assert routes(sim)[SINGLE_ROUTE] - before.get(SINGLE_ROUTE, 0) == 1  # asked once, then it left


def test_a_malformed_id_fails_its_own_trigger_only(hook, sim):
    (real,) = submit(hook, "RM_EDM_BESIDE_A_TYPO")
    malformed, ended = run_all(trigger("23000001; DROP"), trigger(real))
    assert malformed["outcome"] == TriggerOutcome.ERROR
    assert "Invalid workflow_id" in malformed["message"]
    assert (ended["outcome"], ended["status"]) == (TriggerOutcome.ENDED, JobStatus.FINISHED)


def test_transient_rate_limits_are_retried_by_the_hook_not_reported(hook, sim):
    (workflow_id,) = submit(hook, "RM_EDM_RATE_LIMITED")
    sim.admin.fault(method="GET", pathRegex="^/platform/riskdata/v1/jobs$", status=429, times=2, retryAfter=0)
    (ended,) = run_all(trigger(workflow_id))
    assert (ended["outcome"], ended["status"]) == (TriggerOutcome.ENDED, JobStatus.FINISHED)


def test_moodys_unavailable_after_the_hooks_retries_is_one_error_event_per_trigger(hook, sim):
    workflow_ids = submit(hook, "RM_EDM_DOWN_1", "RM_EDM_DOWN_2")
    sim.admin.fault(method="GET", pathRegex="^/platform/riskdata/v1/jobs", status=503, times=1000, retryAfter=0)
    ended = run_all(*(trigger(w) for w in workflow_ids))
    assert [e["outcome"] for e in ended] == [TriggerOutcome.ERROR, TriggerOutcome.ERROR]
    assert all("503" in e["message"] for e in ended)


def in_loop(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(scenario())


def test_a_cancelled_trigger_leaves_the_poller(hook, sim):
    """A person stopped the task: the triggerer cancels ``run``; its job is polled no more."""
    sim.admin.job_outcome(kind="riskdata", nameRegex="^RM_EDM_STOPPED$", outcome="STALL")
    (workflow_id,) = submit(hook, "RM_EDM_STOPPED")

    async def scenario() -> tuple[int, int]:
        task = asyncio.create_task(collect(trigger(workflow_id)))
        await asyncio.sleep(0.3)
        shared = poller._POLLERS[("moodys_default", ApiPath.RISKDATA_JOBS.value)]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        polled = shared.requests
        await asyncio.sleep(0.1)
        assert not shared.subscriptions
        assert shared.closed
        return polled, shared.requests

    polled, total = in_loop(scenario)
    assert polled > 1
    assert total == polled
    assert poller._POLLERS == {}


def test_the_youngest_job_sets_the_pace(hook, sim):
    """An old job polled once a second does not slow down a new one (first polls close together);
    the old job rides along on the new one's polls."""
    sim.admin.job_outcome(kind="riskdata", nameRegex="^RM_EDM_OLD$", outcome="STALL")
    old, young = submit(hook, "RM_EDM_OLD", "RM_EDM_YOUNG")

    async def scenario() -> tuple[dict[str, Any], float, int, int]:
        waiting = asyncio.create_task(collect(trigger(old, poll_interval=1.0)))
        await asyncio.sleep(1.5)  # polled once, next in a second
        shared = poller._POLLERS[("moodys_default", ApiPath.RISKDATA_JOBS.value)]
        (old_subscription,) = shared.subscriptions
        polls_before = old_subscription.polls
        started = time.monotonic()
        (ended,) = await collect(trigger(young, poll_interval=0.05))
        took = time.monotonic() - started
        polls_after = old_subscription.polls
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        return ended, took, polls_before, polls_after

    ended, took, polls_before, polls_after = in_loop(scenario)
    assert (ended["outcome"], ended["status"]) == (TriggerOutcome.ENDED, JobStatus.FINISHED)
    assert took < 0.8
    assert polls_after - polls_before >= ended["polls"] - 1


def test_status_lists_where_the_contract_has_them():
    assert jobs.status_poll_path(BatchType.ANALYSIS) == (ApiPath.MODEL_JOBS, True)
    assert jobs.status_poll_path(BatchType.GEOHAZ) == (ApiPath.RISKDATA_JOBS, True)
    assert jobs.status_poll_path(BatchType.EDM_DB_UPGRADE) == (ApiPath.WORKFLOWS, True)
    assert jobs.status_poll_path(BatchType.MRI_IMPORT) == (ApiPath.IMPORT_JOBS, False)
    with pytest.raises(ValueError, match="at most 100"):
        jobs.status_list_request(ApiPath.MODEL_JOBS, [str(n) for n in range(101)])


def test_the_workflow_list_reports_by_id(hook, sim):
    """Legacy workflows are listed by ``ids=``, in a ``{totalMatchCount, workflows}`` envelope."""
    workflow_ids = submit(hook, "RM_EDM_W1", "RM_EDM_W2")

    async def scenario() -> dict[str, Any]:
        async with hook:
            return await hook.aget_job_status_list(ApiPath.WORKFLOWS, [*workflow_ids, "999999"])

    reports = in_loop(scenario)
    assert sorted(reports) == sorted(workflow_ids)
    assert all(report.status in jobs.MOODYS_STATUSES for report in reports.values())


def test_jobs_asked_alone_are_asked_only_when_due(hook, sim):
    """Without a list endpoint every job costs a request: a job not due yet waits for its turn
    instead of riding along on a younger job's poll."""
    sim.admin.job_outcome(kind="riskdata", nameRegex="^RM_EDM_(DUE|LATER)$", outcome="STALL")
    due, later = submit(hook, "RM_EDM_DUE", "RM_EDM_LATER")

    async def scenario() -> tuple[int, int, int]:
        from irp.moodys.hook import MoodysHook

        shared = poller.JobPoller("moodys_default", ApiPath.IMPORT_JOBS, listed=False)
        now = time.monotonic()
        asked, waiting = (
            poller.Subscription(EDM_CREATION, workflow_id, poller.poll_delays(1.0), at, shared._loop.create_future())
            for workflow_id, at in ((due, now), (later, now + 60))
        )
        shared.subscriptions.update({asked, waiting})
        async with MoodysHook("moodys_default") as polling:
            await shared._poll(polling, [asked, waiting])
        return shared.requests, asked.polls, waiting.polls

    assert in_loop(scenario) == (1, 1, 0)


def test_the_first_poll_counts_from_the_hand_over(hook, sim):
    """A job's schedule starts when its task deferred, not when the triggerer took the trigger up
    (up to a second later); one handed over longer ago than its interval is polled at once."""

    async def scenario() -> list[float]:
        shared = poller.poller("moodys_default", EDM_CREATION)
        now = time.monotonic()
        subscriptions = [
            shared.subscribe(EDM_CREATION, "1", 30.0, handed_over=time.time() - 1.0),
            shared.subscribe(EDM_CREATION, "2", 30.0),
            shared.subscribe(EDM_CREATION, "3", 30.0, handed_over=time.time() - 3600),
        ]
        for subscription in subscriptions:
            shared.unsubscribe(subscription)
        await asyncio.sleep(0)  # the poller finds no job and stops
        return [subscription.due - now for subscription in subscriptions]

    late, fresh, old = in_loop(scenario)
    assert late == pytest.approx(poller.FIRST_POLL_SECONDS - 1.0, abs=0.05)
    assert fresh == pytest.approx(poller.FIRST_POLL_SECONDS, abs=0.05)
    assert old == pytest.approx(0.0, abs=0.05)
