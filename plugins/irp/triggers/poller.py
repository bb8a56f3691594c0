"""Shared status polling: one request to Moody's for many jobs, in the triggerer.

Every :class:`irp.triggers.job.MoodysJobTrigger` of a triggerer process subscribes its job to the
:class:`JobPoller` of its (connection, status endpoint). The poller asks for all its jobs at once
— one list request per :data:`~irp.moodys.jobs.STATUS_LIST_SIZE` jobs where the batch type has a
status list (its registry entry's ``status_list``), one request per job otherwise — hands each
subscription its job's report, and stops when its last job leaves.

The interval adapts to the youngest job: each job has its own schedule (:func:`poll_delays`: the
first poll ``FIRST_POLL_SECONDS`` after its task handed it over — the deferral, not the moment the
triggerer took the trigger up, up to a second later — then pauses growing by ``POLL_BACKOFF`` up to
its ``poll_interval``); the poller polls when the earliest of them is due and then asks for every
job, so older jobs ride along on the youngest job's schedule at no extra cost.

A job a list answer omits (a search index that lags behind a submission) is asked on its own at
once; that answer — a report, or the hook's error after its retries — is the job's.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from irp.constants import BatchType
from irp.moodys import jobs

if TYPE_CHECKING:
    from irp.moodys.api import ApiPath
    from irp.moodys.hook import MoodysHook
    from irp.moodys.protocol import StatusReport

#: The first pause before a job's first poll (never more than ``poll_interval``), and how it grows.
FIRST_POLL_SECONDS = 1.5
POLL_BACKOFF = 1.5


def poll_delays(poll_interval: float, first: float = FIRST_POLL_SECONDS) -> Iterator[float]:
    """Pauses between polls: ``first``, growing by ``POLL_BACKOFF`` up to ``poll_interval``."""
    delay = min(first, poll_interval)
    while True:
        yield delay
        delay = min(delay * POLL_BACKOFF, poll_interval)


@dataclass(eq=False)
class Subscription:
    """One trigger's job in a poller: its schedule and how it ended.

    ``outcome`` resolves with the first report whose status is terminal, or with the error that
    kept Moody's from answering for this job.
    """

    batch_type: BatchType
    workflow_id: str
    delays: Iterator[float]
    due: float  # time.monotonic() of its next poll
    outcome: asyncio.Future[StatusReport]
    polls: int = 0


@dataclass(eq=False)
class JobPoller:
    """Polls the jobs of one status endpoint of one connection for the triggers subscribed to it."""

    moodys_conn_id: str
    path: ApiPath
    listed: bool  # whether ``path`` is a status list (else each job is asked on its own)
    subscriptions: set[Subscription] = field(default_factory=set)
    requests: int = 0  # requests sent to Moody's, for the log and the tests
    closed: bool = False
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.get_running_loop)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def subscribe(
        self, batch_type: BatchType, workflow_id: str, poll_interval: float, handed_over: float = 0.0
    ) -> Subscription:
        """Poll the job from now on; ``handed_over`` (epoch seconds; 0: now) starts its schedule."""
        delays = poll_delays(poll_interval)
        waited = min(max(time.time() - handed_over, 0.0), poll_interval) if handed_over else 0.0
        due = time.monotonic() + max(next(delays) - waited, 0.0)
        subscription = Subscription(batch_type, workflow_id, delays, due, self._loop.create_future())
        self.subscriptions.add(subscription)
        self._changed.set()
        if self._task is None:
            # A context of its own: the first subscriber's would send every job's poll log lines to
            # that one trigger's log (the triggerer routes log lines by a context variable).
            self._task = self._loop.create_task(
                self._run(), name=f"irp-poller-{self.path.value}", context=contextvars.Context()
            )
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self.subscriptions:
            self.subscriptions.discard(subscription)
            self._changed.set()

    async def _run(self) -> None:
        from irp.moodys.hook import MoodysHook

        hook = MoodysHook(self.moodys_conn_id)
        try:
            while self.subscriptions:
                wait = min(s.due for s in self.subscriptions) - time.monotonic()
                if wait > 0:
                    self._changed.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), wait)
                    continue
                await self._poll(hook, list(self.subscriptions))
        except Exception as exc:  # a fault of the poller itself: every waiting trigger hears of it
            for subscription in list(self.subscriptions):
                self._fail(subscription, exc)
            raise
        finally:
            self.closed = True  # before any await: a new subscriber starts a new poller
            if _POLLERS.get(self._key) is self:
                del _POLLERS[self._key]
            await hook.aclose()

    @property
    def _key(self) -> tuple[str, str]:
        return self.moodys_conn_id, self.path.value

    async def _poll(self, hook: MoodysHook, subscriptions: Sequence[Subscription]) -> None:
        """Ask for the jobs that are due. A list request also carries the jobs not due yet (they
        ride along for free), but only in chunks that hold a due job; a job asked alone (no list
        endpoint, or a malformed id, which never goes into a list whose answer others share) is
        asked only when due."""
        now = time.monotonic()
        listed = sorted((s for s in subscriptions if self._listable(s)), key=lambda s: s.due)
        size = jobs.STATUS_LIST_SIZE
        chunks = [listed[start : start + size] for start in range(0, len(listed), size)]
        chunks = [chunk for chunk in chunks if chunk[0].due <= now]  # sorted: a due chunk starts due
        alone = [s for s in subscriptions if not self._listable(s) and s.due <= now]
        for subscription in [*(s for chunk in chunks for s in chunk), *alone]:
            subscription.due = now + next(subscription.delays)
        await asyncio.gather(
            *(self._ask_listed(hook, chunk) for chunk in chunks), *(self._ask_alone(hook, s) for s in alone)
        )

    def _listable(self, subscription: Subscription) -> bool:
        return self.listed and subscription.workflow_id.strip().isdigit()

    async def _ask_listed(self, hook: MoodysHook, chunk: Sequence[Subscription]) -> None:
        self.requests += 1
        try:
            reports = await hook.aget_job_status_list(self.path, list(dict.fromkeys(s.workflow_id for s in chunk)))
        except Exception as exc:  # the hook has retried what can be retried
            for subscription in chunk:
                self._fail(subscription, exc)
            return
        missing = [s for s in chunk if s.workflow_id not in reports]
        for subscription in chunk:
            if subscription.workflow_id in reports:
                self._deliver(subscription, reports[subscription.workflow_id])
        await asyncio.gather(*(self._ask_alone(hook, s) for s in missing))

    async def _ask_alone(self, hook: MoodysHook, subscription: Subscription) -> None:
        self.requests += 1
        try:
            report = await hook.aget_job_status(subscription.batch_type, subscription.workflow_id)
        except Exception as exc:
            self._fail(subscription, exc)
            return
        self._deliver(subscription, report)

    def _deliver(self, subscription: Subscription, report: StatusReport) -> None:
        if subscription not in self.subscriptions:
            return  # its trigger left while the request was on its way
        subscription.polls += 1
        if report.status.terminal and not subscription.outcome.done():
            subscription.outcome.set_result(report)
            self.unsubscribe(subscription)

    def _fail(self, subscription: Subscription, error: Exception) -> None:
        if subscription not in self.subscriptions:
            return
        if not subscription.outcome.done():
            subscription.outcome.set_exception(error)
        self.unsubscribe(subscription)


#: The pollers of this process, by (connection, status endpoint).
_POLLERS: dict[tuple[str, str], JobPoller] = {}


def poller(moodys_conn_id: str, batch_type: BatchType) -> JobPoller:
    """The running poller of the batch type's status endpoint on this event loop (started if none)."""
    path, listed = jobs.status_poll_path(batch_type)
    key = (moodys_conn_id, path.value)
    current = _POLLERS.get(key)
    if current is None or current.closed or current._loop is not asyncio.get_running_loop():
        current = _POLLERS[key] = JobPoller(moodys_conn_id, path, listed)
    return current
