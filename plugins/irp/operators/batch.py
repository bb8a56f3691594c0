"""What a cycle run does around its job tasks: load the workbook, prepare each batch, the verdict.

- :class:`PrepareBatchOperator` (one per batch type) checks that the batch type before it
  completed, validates the batch's entities in Moody's, activates the batch, decides what to do
  with entities that already exist (asking a person only when ``on_existing=ask`` and something
  exists) and lists the jobs the mapped job tasks run. The first batch type's also loads the
  workbook (:func:`load_configuration`: validate, store, create the batches); Export to RDM's
  runs the seed job that creates the RDM, through :class:`~irp.operators.job.MoodysJobOperator`'s
  own code, before listing the other jobs.
- :func:`reconcile` is called by every job task as its job ends, so the batch's status follows
  its jobs and Teams hears once how it ended; :func:`cycle_result`, the run's last task, follows
  jobs no task waits for any more (a stopped or timed-out wait) to their end, reconciles what is
  left and fails the run unless every batch completed in it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import BaseOperator, Param
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from irp.constants import BatchStatus, BatchType
from irp.cycles import Decision, OnExisting
from irp.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from irp.existing import ExistingJob
    from irp.moodys.protocol import EntityValidator
    from irp.notifications.teams import CardAction
    from irp.records import Batch, ReconResult

log = logging.getLogger(__name__)

#: How long the run's verdict keeps asking Moody's about jobs that no task follows any more (a
#: wait that timed out or that a person stopped) before it reports what it has: Moody's takes a
#: while to go CANCEL_REQUESTED → CANCELLING → CANCELLED, and the batch must end CANCELLED, not stalled.
UNTRACKED_SETTLE_SECONDS = 120.0
#: Longest pause between two of those polls (a batch type's poll_interval may be minutes).
UNTRACKED_POLL_SECONDS = 5.0
#: XCom key of Export to RDM's seed job (the RDM's creator, run by the prepare task before the others).
XCOM_SEED = "seed"
#: XCom key of the batch ids (batch type name → batch id) the first prepare task created.
XCOM_BATCH_IDS = "batch_ids"
#: Task-state key: the answer a person gave about existing entities, kept for automatic retries.
STATE_ANSWER = "existing_answer"
#: Task-state key: the batch (its id) this task instance prepared and whose seed job it started; a
#: retry or a clear goes straight back to that seed (re-preparing would find the RDM the seed made
#: "existing"). A different batch (the workbook changed before a clear) is prepared afresh.
STATE_SEEDED = "seed_started"

#: Airflow's default ``[core] max_map_length``.
DEFAULT_MAX_MAP_LENGTH = 1024

JobEntry = dict[str, Any]  # {"job_id", "batch_id", "label"[, "references"]}: one mapped job task's input


def workbook_path(workbook: str) -> str:
    return workbook if workbook.startswith("/") or "://" in workbook else str(PROJECT_ROOT / workbook)


class DagRunRef(Protocol):
    """The DAG run a Teams message links to: a task instance's, or a :class:`DagRunKey`."""

    @property
    def dag_id(self) -> str: ...

    @property
    def run_id(self) -> str: ...


@dataclass(frozen=True)
class DagRunKey:
    """A DAG run by its ids, where no task instance is at hand (a trigger, in the triggerer)."""

    dag_id: str
    run_id: str


def teams_links(settings: Settings, run: DagRunRef, cycle_name: str, batch_id: int) -> tuple[CardAction, ...]:
    """Buttons of a Teams message: the batch on the dashboard and the DAG run in Airflow."""
    from irp.dashboard import urls
    from irp.notifications.teams import CardAction

    base = settings.airflow_base_url.rstrip("/")
    return (
        CardAction("Open batch dashboard", urls.batch_url(base, cycle_name, batch_id)),
        CardAction("Open DAG run", base + urls.dag_run_path(run.dag_id, run.run_id)),
    )


# -- load ------------------------------------------------------------------------------------------
def load_configuration(cycle_name: str, workbook: str) -> dict[str, int]:
    """Validate the workbook, store it and create one batch per batch type it needs, together.

    An invalid workbook fails with every error, writing nothing. An unchanged workbook reuses its
    configuration and batches, so a re-run of the cycle is safe.
    """
    from irp import batch as batches
    from irp.batch import configuration_data
    from irp.configuration import generate_job_configurations, required_batch_types
    from irp.configuration import load_configuration as load
    from irp.exceptions import ConfigurationError

    try:
        result = load(cycle_name, workbook_path(workbook))
    except ConfigurationError as exc:  # InvalidConfigurationError included: every error is listed
        raise AirflowFailException(str(exc)) from exc
    for warning in result.warnings:
        log.warning("%s", warning)
    state = "loaded" if result.created else "unchanged, reusing"
    log.info("Configuration %s of cycle %s %s (sha256 %s)", result.configuration_id, cycle_name, state,
             result.content_sha256)  # fmt: skip
    document = configuration_data(result.configuration_id)
    wanted = {bt: generate_job_configurations(document, bt) for bt in required_batch_types(document)}
    check_map_length({bt: len(configs) for bt, configs in wanted.items()})
    created = batches.create_batches(result.configuration_id, wanted)
    for batch_type, batch_id in created.items():
        log.info("%s: batch %s (%s jobs)", batch_type, batch_id, len(wanted[batch_type]))
    return {batch_type.value: batch_id for batch_type, batch_id in created.items()}


def check_map_length(job_counts: Mapping[BatchType, int]) -> None:
    """Each batch type's jobs are one mapped task, and Airflow maps a task over at most ``[core]
    max_map_length`` items (1,024 by default; the api-server refuses a longer list). A cycle that
    needs more fails here, before its first job, not hours later at that batch type's ``prepare``.
    No batch is created; the (valid) workbook stays stored, and a re-run after the limit is raised
    reuses it."""
    from airflow.sdk import conf

    limit = conf.getint("core", "max_map_length", fallback=DEFAULT_MAX_MAP_LENGTH)
    over = [f"{batch_type}: {count:,} jobs" for batch_type, count in job_counts.items() if count > limit]
    if over:
        raise AirflowFailException(
            f"More jobs than Airflow maps one task over ([core] max_map_length = {limit:,}): {'; '.join(over)}. "
            "Raise [core] max_map_length (AIRFLOW__CORE__MAX_MAP_LENGTH) on every Airflow component."
        )


# -- reconcile -------------------------------------------------------------------------------------
def reconcile(
    batch_type: BatchType, cycle_name: str, batch_id: int, run: DagRunRef, *, quiet: bool = False
) -> ReconResult:
    """Reconcile the batch and tell Teams when it changed to FAILED, ERROR or CANCELLED.

    ``quiet`` (a job task): nothing is recorded while the batch stays as it was, so a batch's recon
    history shows how it ended, not one row per job. Recons serialize on the batch row, so the
    last job to end sees every other job's end and only one recon reports the change.
    """
    from irp import batch as batches
    from irp.notifications.teams import BatchOutcome, batch_message, send

    result = batches.recon_batch(batch_id, record_unchanged=not quiet)
    if result.changed:
        log.info("%s batch %s: %s -> %s", batch_type, batch_id, result.previous_status, result.status)
    if result.changed and result.status.needs_attention:
        settings = Settings.load()
        outcome = BatchOutcome(
            cycle_name, batch_type.value, batch_id, result.status, result.summary.job_status_counts,
            links=teams_links(settings, run, cycle_name, batch_id),
        )  # fmt: skip
        send(batch_message(outcome), settings.teams_conn_id)
    return result


def settle_untracked(batch_id: int, batch_type: BatchType, cycle_name: str, poll_interval: float) -> None:
    """Ask Moody's about jobs still in flight although no task follows them any more (a wait that
    timed out or that a person stopped, whose job is being cancelled), until they end or
    ``UNTRACKED_SETTLE_SECONDS`` pass, so the batch reports CANCELLED rather than stalled.

    An outage raises ``MoodysUnavailableError``: the task is retried. Any other error is logged and
    the verdict goes on with what the store knows.
    """
    from irp import batch as batches
    from irp import job as jobs
    from irp.backends import job_backend
    from irp.moodys.errors import MoodysUnavailableError

    if batch_type.synchronous:
        return
    pending = [j.id for j in batches.get_batch_jobs(batch_id, skipped=False) if j.status.in_progress and j.submitted]
    if not pending:
        return
    backend = job_backend(batch_type, cycle_name, Settings.load())
    interval = min(poll_interval, UNTRACKED_POLL_SECONDS)
    deadline = time.monotonic() + UNTRACKED_SETTLE_SECONDS
    while True:
        still: list[int] = []
        for job_id in pending:
            try:
                status = jobs.track_job_status(job_id, backend)
            except jobs.JobError as exc:
                if isinstance(exc.__cause__, MoodysUnavailableError):
                    raise exc.__cause__ from exc
                log.warning("Could not refresh job %s: %s", job_id, exc)
                continue
            if status.in_progress:
                still.append(job_id)
        if not still or time.monotonic() + interval > deadline:
            if still:
                log.warning("Jobs %s are still in flight in Moody's after %.0f s", still, UNTRACKED_SETTLE_SECONDS)
            return
        log.info("Waiting for Moody's to end jobs %s (no task follows them)", still)
        time.sleep(interval)
        pending = still


def asset_extra(cycle_name: str, batch_type: BatchType, batch_id: int) -> dict[str, Any]:
    """What a downstream DAG learns from the asset event: the cycle, the batch, the entities."""
    from irp import batch as batches
    from irp.batch_types import entry

    asset = entry(batch_type).asset
    field = asset.entity_field if asset else None
    configs = [c.job_configuration_data for c in batches.get_batch_job_configurations(batch_id, skipped=False)]
    names = sorted({str(c[field]) for c in configs if field and c.get(field)})
    return {"cycle": cycle_name, "batch_type": batch_type.value, "batch_id": batch_id, "entities": names}


def _publish_assets(context: Any, cycle_name: str, batch_type: BatchType, batch_id: int) -> None:
    for asset in context["task"].outlets:
        context["outlet_events"][asset].extra = asset_extra(cycle_name, batch_type, batch_id)


# -- prepare ---------------------------------------------------------------------------------------
class PrepareBatchOperator(BaseOperator):
    """Prepare one batch type's batch and list the jobs its mapped job tasks run.

    It runs once the batch types before it are done without failure (``none_failed_min_one_success``:
    a batch type the workbook does not need lists no job and lets the next one run). The batch type
    before it must have COMPLETED in this run; its asset event, if it has one, is published here.

    :param batch_type: the batch type.
    :param cycle_name: the cycle.
    :param batch_ids: the batch ids (batch type name → batch id) the first prepare task created
        (XCom ``batch_ids``); ``None`` for the first one, which loads ``workbook``.
    :param workbook: the cycle's workbook: given to the first batch type's prepare task only, which
        validates and stores it and creates the batches before preparing its own.
    :param seed: the :class:`~irp.operators.job.MoodysJobOperator` arguments of the batch's seed
        job (Export to RDM: the job creating the RDM the others write to). The seed runs in this
        task instance, deferring while Moody's works; a clear of this task after the seed failed
        resubmits it, an automatic retry re-attaches, as for a job task.

    Its outlets, if any, are the assets of the batch type before it: it publishes them.
    """

    template_fields: Sequence[str] = ("batch_ids",)
    ui_color = "#eef5e9"

    def __init__(
        self,
        *,
        batch_type: BatchType,
        cycle_name: str,
        batch_ids: Any = None,
        workbook: str | None = None,
        seed: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.batch_type = batch_type
        self.cycle_name = cycle_name
        self.batch_ids = batch_ids
        self.workbook = workbook
        self.seed = dict(seed) if seed is not None else None
        if self.seed is not None:
            from irp.links import MoodysJobLink

            self.operator_extra_links = (MoodysJobLink(),)
        #: The seed's Moody's job URL known to this process, read by the operator link.
        self.moodys_job_url: str | None = None
        self._validator: EntityValidator | None = None

    # -- steps -----------------------------------------------------------------------------------
    def _load(self, context: Any, *, resumed: bool = False) -> None:
        """The first prepare task: load the workbook and create the batches (idempotent: an
        unchanged workbook reuses them); the other prepare tasks read the ids from XCom. A
        resumed task instance (after a deferral) reads what its first part pushed."""
        if self.workbook is None:
            return
        ti = context["ti"]
        if resumed:
            self.batch_ids = ti.xcom_pull(task_ids=ti.task_id, key=XCOM_BATCH_IDS)
            return
        self.batch_ids = load_configuration(self.cycle_name, self.workbook)
        ti.xcom_push(key=XCOM_BATCH_IDS, value=self.batch_ids)

    def _batch_id(self) -> int | None:
        value = (self.batch_ids or {}).get(self.batch_type.value)
        return None if value is None else int(value)

    def _check_previous(self, context: Any) -> None:
        """The nearest batch type before this one that the workbook needs must have completed in
        this run (its last job task reconciled it; a batch without job tasks is reconciled here)."""
        from irp import batch as batches

        order = list(BatchType)
        earlier = [bt for bt in order[: order.index(self.batch_type)] if bt.value in (self.batch_ids or {})]
        if not earlier:
            return
        previous_type = earlier[-1]
        previous_id = int(self.batch_ids[previous_type.value])
        previous = batches.read_batch(previous_id)
        run_id = context["ti"].run_id
        if previous.run_id == run_id and previous.status is not BatchStatus.COMPLETED:
            reconcile(previous_type, self.cycle_name, previous_id, context["ti"])
            previous = batches.read_batch(previous_id)
        if previous.run_id != run_id or previous.status is not BatchStatus.COMPLETED:
            raise AirflowSkipException(
                f"{previous_type} batch {previous_id} did not complete in this run ({previous.status})"
            )
        self._publish_previous(context)

    def _publish_previous(self, context: Any) -> None:
        """The asset event of the batch type just before this one (set again on resumption: a
        deferral starts a new process, and the event's extra is set in the one that ends)."""
        order = list(BatchType)
        previous_type = order[order.index(self.batch_type) - 1] if order.index(self.batch_type) else None
        if context["task"].outlets and previous_type is not None and previous_type.value in (self.batch_ids or {}):
            _publish_assets(context, self.cycle_name, previous_type, int(self.batch_ids[previous_type.value]))

    def _entity_validator(self) -> EntityValidator:
        """One Moody's client for this process's validation, existing entities and rehearsal: what
        one finds, the next is answered from (a delete forgets it all)."""
        from irp.backends import entity_validator
        from irp.moodys.references import References

        if self._validator is None:
            self._validator = entity_validator(self.cycle_name, Settings.load(), references=References())
        return self._validator

    def _validate(self, batch_id: int, context: Any) -> None:
        """Entity validation of the jobs still to run; every blocking message is listed and sent to
        Teams. Only Moody's answers fail it: an outage fails the task retryably."""
        from irp import batch as batches
        from irp.batch_types import entry
        from irp.notifications.teams import TeamsMessage, send

        registered = entry(self.batch_type)
        if registered.validate is None:
            return
        settings = Settings.load()
        messages = batches.validate_batch(batch_id, self._entity_validator())
        policy = registered.existing
        blocking = [m for m in messages if m.blocking and (policy is None or m.code != policy.code)]
        for message in messages:
            if not message.blocking:
                self.log.warning("%s", message)
        if blocking:
            text = "\n".join(str(m) for m in blocking)
            name, kind = self.cycle_name, self.batch_type
            send(
                TeamsMessage(
                    title=f"[{name}] Validation Failed: {kind}",
                    text=f"**Cycle:** {name}\n**Batch Type:** {kind}\n**Batch ID:** {batch_id}\n\n"
                    f"**Validation Errors:**\n{text}",
                    actions=teams_links(settings, context["ti"], name, batch_id),
                ),
                settings.teams_conn_id,
            )
            raise AirflowFailException(f"{kind} batch {batch_id} failed entity validation:\n{text}")

    def _entries(self, batch_id: int) -> tuple[JobEntry | None, list[JobEntry], dict[int, Any]]:
        """The batch's live jobs: its seed job (Export to RDM) apart, the others, and each job's
        configuration by job id (the rehearsal reads it)."""
        from irp import batch as batches
        from irp.batch_types import entry
        from irp.labels import job_label

        registered = entry(self.batch_type)
        configs = {c.id: c.job_configuration_data for c in batches.get_batch_job_configurations(batch_id)}
        entries: list[JobEntry] = []
        seeds: list[JobEntry] = []
        data_of: dict[int, Any] = {}
        for job in batches.get_batch_jobs(batch_id, skipped=False):
            data = data_of[job.id] = configs[job.job_configuration_id]
            job_entry = {"job_id": job.id, "batch_id": batch_id, "label": job_label(self.batch_type, job.id, data)}
            (seeds if registered.is_seed(data) else entries).append(job_entry)
        if registered.seeded and (len(seeds) > 1 or (entries and not seeds)):
            raise AirflowFailException(f"{self.batch_type} batch {batch_id} must have exactly one seed job")
        return (seeds[0] if seeds else None), entries, data_of

    def _rehearsed(self, batch_id: int, entries: list[JobEntry], data_of: Mapping[int, Any]) -> list[JobEntry]:
        """Each job's submission rehearsed up to its first write (after the seed: appends look up
        the RDM it made); a job entry carries the answers its look-ups used (``references``), which
        its task's first try starts from, so a batch's look-ups are made once, not once per job."""
        from irp.batch_types import entry
        from irp.moodys.protocol import SubmissionRehearsal

        registered = entry(self.batch_type)
        moodys = self._entity_validator() if registered.submit is not None and entries else None
        if not isinstance(moodys, SubmissionRehearsal):
            return entries
        specs = {int(e["job_id"]): registered.job_spec(data_of[int(e["job_id"])]) for e in entries}
        answers = moodys.rehearse_submissions(self.batch_type, specs)
        used = sum(bool(answers.get(int(e["job_id"]))) for e in entries)
        self.log.info("%s batch %s: look-ups answered for %s of %s jobs", self.batch_type, batch_id, used, len(entries))
        return [{**e, "references": answers[int(e["job_id"])]} if answers.get(int(e["job_id"])) else e for e in entries]

    def _ready(self, batch_id: int, context: Any) -> list[JobEntry]:
        """The batch is prepared: its seed job, if it has one, runs here (and may defer); then
        the jobs the mapped job tasks run."""
        seed, entries, data_of = self._entries(batch_id)
        if self.seed is not None:
            context["ti"].xcom_push(key=XCOM_SEED, value=seed)  # irp_repair's clear instructions read it
            if seed is not None:
                context["task_state_store"].set(STATE_SEEDED, batch_id)
                self._run_seed(seed, context)
        self.log.info("%s batch %s: %s jobs to run", self.batch_type, batch_id, len(entries) + (seed is not None))
        return self._rehearsed(batch_id, entries, data_of)

    # -- the seed job ----------------------------------------------------------------------------
    def _seed_task(self, seed: JobEntry) -> Any:
        """The seed job run by the job task's own code, as this task instance (its retries decide
        between re-attaching and resubmitting, as they do for a job task)."""
        from irp.operators.job import MoodysJobOperator

        assert self.seed is not None
        return MoodysJobOperator(
            task_id=self.task_id, job=seed, retries=self.retries, end_in_triggerer=False, **self.seed
        )  # this task lists the other jobs once its seed ended

    def _run_seed(self, seed: JobEntry, context: Any) -> None:
        from airflow.sdk.exceptions import TaskDeferred

        runner = self._seed_task(seed)
        try:
            runner.execute(context)
        except TaskDeferred as deferral:  # resume here, not in the job operator's execute_complete
            raise TaskDeferred(
                trigger=deferral.trigger, method_name="execute_seed_complete", timeout=deferral.timeout
            ) from None
        finally:
            self.moodys_job_url = runner.moodys_job_url

    def execute_seed_complete(self, context: Any, event: dict[str, Any]) -> list[JobEntry]:
        """The seed job ended (the trigger's event): record it as its job task would, then list
        the other jobs. A failed seed fails this task; clearing it resubmits the seed."""
        self._load(context, resumed=True)
        self._publish_previous(context)
        batch_id = self._batch_id()
        assert batch_id is not None
        seed, entries, data_of = self._entries(batch_id)
        assert seed is not None
        runner = self._seed_task(seed)
        try:
            runner.execute_complete(context, event)
        finally:
            self.moodys_job_url = runner.moodys_job_url
        self.log.info("%s batch %s: seed job %s FINISHED, %s jobs to run", self.batch_type, batch_id,
                      event["job_id"], len(entries))  # fmt: skip
        return self._rehearsed(batch_id, entries, data_of)

    # -- execution -------------------------------------------------------------------------------
    def execute(self, context: Any) -> list[JobEntry]:
        from irp import batch as batches
        from irp.records import BatchStep

        self._load(context)
        self._check_previous(context)
        batch_id = self._batch_id()
        if batch_id is None:
            self.log.info("This cycle's workbook needs no %s batch", self.batch_type)
            return []
        if self.seed is not None and context["task_state_store"].get(STATE_SEEDED) == batch_id:
            self.log.info("%s batch %s is prepared and its seed job started: back to the seed", self.batch_type,
                          batch_id)  # fmt: skip
            return self._ready(batch_id, context)
        self._validate(batch_id, context)
        # Attached to this run only now: the verdict trusts a batch that this run's validation passed.
        ti = context["ti"]
        batches.activate_batch(batch_id, step=BatchStep(ti.dag_id, ti.run_id, self.batch_type.slug))
        self.before_jobs(batch_id, context)
        return self._ready(batch_id, context)

    def before_jobs(self, batch_id: int, context: Any) -> None:
        """What a batch type does between activation and its jobs (entities that already exist)."""


class PrepareExistingOperator(PrepareBatchOperator, HITLOperator):
    """Prepare a batch whose entities may already exist in Moody's (Analysis, Grouping, Grouping
    Rollup, Export to RDM): ``on_existing`` keeps them (their jobs are skipped) or deletes them and
    runs their jobs again; ``ask`` hands the choice to a person in Airflow's human-in-the-loop form,
    and only when something exists, so the task asks only then."""

    template_fields: Sequence[str] = ("batch_ids",)

    def __init__(self, *, batch_type: BatchType, params: Any = None, **kwargs: Any) -> None:
        from airflow.sdk.definitions.param import ParamsDict

        params = ParamsDict(params or {})  # the DAG's params, which the form leaves out
        params["rerun"] = Param(
            [], type="array", items={"type": "string"}, source="task",
            description="With 'Delete and re-run selected': the entities to re-run",
        )  # fmt: skip
        super().__init__(
            batch_type=batch_type,
            subject=f"{batch_type}: entities already exist in Moody's",
            options=[d.value for d in Decision],
            defaults=[Decision.KEEP.value],
            params=params,
            **kwargs,
        )

    def before_jobs(self, batch_id: int, context: Any) -> None:
        from irp.existing import find_existing

        existing = find_existing(batch_id, self._entity_validator())
        for item in existing:
            self.log.info("exists in Moody's: %s (job %s, %s)", item.entity, item.job_id, item.status)
        if not existing:
            return
        choice = OnExisting(context["params"]["on_existing"])
        if choice is not OnExisting.ASK:
            self._apply(batch_id, existing, choice, None, context)
            return
        answer = self._kept_answer(context)
        if answer is not None:  # an automatic retry after the person answered: not asked again
            self._apply_answer(batch_id, existing, answer, context)
            return
        context["ti"].xcom_push(key="existing", value=[_existing_dict(item) for item in existing])
        self.body = (
            "These entities already exist:\n\n" + "\n".join(item.entity for item in existing)
            + "\n\nKeep them (their jobs are skipped), or delete and re-run them — all, or the ones you list."
        )  # fmt: skip
        HITLOperator.execute(self, context)  # parks the task until a person answers

    def execute_complete(self, context: Any, event: dict[str, Any]) -> list[JobEntry]:
        """The person answered: apply the answer, then list the jobs."""
        from irp.constants import JobStatus
        from irp.existing import ExistingJob

        payload = HITLOperator.execute_complete(self, context, event)
        answer = {"chosen_options": list(payload["chosen_options"]), "params_input": dict(payload["params_input"])}
        context["task_state_store"].set(STATE_ANSWER, answer)
        self._load(context, resumed=True)
        self._publish_previous(context)
        batch_id = self._batch_id()
        assert batch_id is not None
        stored = context["ti"].xcom_pull(task_ids=context["ti"].task_id, key="existing") or []
        existing = [ExistingJob(int(i["job_id"]), JobStatus(i["status"]), str(i["entity"])) for i in stored]
        self._apply_answer(batch_id, existing, answer, context)
        return self._ready(batch_id, context)

    @staticmethod
    def _kept_answer(context: Any) -> dict[str, Any] | None:
        from irp.resubmission import is_cleared

        state = context["task_state_store"]
        ti = context["ti"]
        if ti.try_number == 1 or is_cleared(ti, context["task"].retries):
            state.delete(STATE_ANSWER)  # a first try or a person's clear asks (again)
            return None
        answer = state.get(STATE_ANSWER)
        return dict(answer) if isinstance(answer, Mapping) else None

    def _apply_answer(
        self, batch_id: int, existing: Sequence[ExistingJob], answer: Mapping[str, Any], context: Any
    ) -> None:
        option = (answer.get("chosen_options") or [Decision.KEEP.value])[0]
        choice = OnExisting.SKIP if option == Decision.KEEP else OnExisting.RERUN
        selected = None
        if option == Decision.RERUN_SELECTED:
            selected = set((answer.get("params_input") or {}).get("rerun") or [])
        self._apply(batch_id, existing, choice, selected, context)

    def _apply(
        self, batch_id: int, existing: Sequence[ExistingJob], choice: OnExisting, selected: set[str] | None,
        context: Any,
    ) -> None:  # fmt: skip
        from irp.existing import keep, rerun

        chosen = [i for i in existing if selected is None or i.entity in selected]
        kept = [i for i in existing if i not in chosen] if choice is OnExisting.RERUN else list(existing)
        if choice is OnExisting.RERUN and chosen:
            # A retry (after an outage part-way through the deletes) deletes only what is still there.
            recheck = context["ti"].try_number > 1
            errors = rerun(batch_id, chosen, self._entity_validator(), recheck=recheck)
            if errors:
                raise AirflowFailException("Could not delete existing entities:\n" + "\n".join(errors))
            self.log.info("deleted and re-running: %s", [i.entity for i in chosen])
        keep(kept)
        if kept:
            self.log.info("kept (jobs skipped): %s", [i.entity for i in kept])


def _existing_dict(item: ExistingJob) -> dict[str, Any]:
    return {"job_id": item.job_id, "status": item.status.value, "entity": item.entity}


# -- the verdict -----------------------------------------------------------------------------------
def cycle_result(
    batch_ids: Mapping[str, int] | None, cycle_name: str, poll_intervals: Mapping[str, float], **context: Any
) -> None:
    """The run's verdict, its last task. Airflow derives a run's state from its leaves, and after
    a failed batch the later groups end upstream_failed or skipped: this leaf fails the run unless
    every batch completed in it. Batches of this run still open are settled and reconciled first
    (a wait a person stopped: its job is followed to CANCELLED and Teams told)."""
    from irp import batch as batches

    ti = context["ti"]
    if not batch_ids:
        raise AirflowFailException("No batches were created in this run: see the first batch type's prepare task")
    problems = []
    for batch_type in BatchType:
        if batch_type.value not in batch_ids:
            continue
        batch_id = int(batch_ids[batch_type.value])
        batch: Batch = batches.read_batch(batch_id)
        if batch.run_id == ti.run_id and not batch.status.terminal:
            settle_untracked(batch_id, batch_type, cycle_name, poll_intervals.get(batch_type.value, 30.0))
            result = reconcile(batch_type, cycle_name, batch_id, context["ti"])
            if result.status is BatchStatus.ACTIVE:  # every task is done, yet jobs are still in flight
                _notify_stalled(batch_type, cycle_name, result, context)
            batch = batches.read_batch(batch_id)
        if batch.run_id != ti.run_id:
            problems.append(f"{batch_type} batch {batch.id}: not started in this run")
        elif batch.status is not BatchStatus.COMPLETED:
            problems.append(f"{batch_type} batch {batch.id}: {batch.status}")
    if problems:
        raise AirflowFailException(
            "The cycle did not complete:\n" + "\n".join(problems)
            + "\nClear the failed job task instances (with their downstream) to resubmit their jobs."
        )  # fmt: skip
    last = [bt for bt in BatchType if bt.value in batch_ids][-1]
    if context["task"].outlets:
        _publish_assets(context, cycle_name, last, int(batch_ids[last.value]))
    log.info("Every batch of the cycle completed: %s", sorted(batch_ids))


class CycleResultOperator(BaseOperator):
    """The run's verdict (:func:`cycle_result`) as its last task. An operator class rather than
    ``@task``: the decorator's import (the standard provider's Python operators) would cost every
    task instance of the cycle a few dozen milliseconds when it parses the DAG file.

    :param batch_ids: the batch ids the first prepare task created (its XCom ``batch_ids``, an
        ``XComArg``): resolved here, not templated, so that a workbook that failed to load (no
        such XCom) ends in a verdict that says so rather than in a rendering error.
    :param poll_intervals: batch type name → poll interval, to follow jobs no task follows.
    """

    ui_color = "#f4ecf7"

    def __init__(self, *, batch_ids: Any, cycle_name: str, poll_intervals: Mapping[str, float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.batch_ids = batch_ids
        self.cycle_name = cycle_name
        self.poll_intervals = dict(poll_intervals)

    def execute(self, context: Any) -> None:
        from airflow.sdk.definitions.xcom_arg import XComArg
        from airflow.sdk.exceptions import XComNotFound

        batch_ids = self.batch_ids
        if isinstance(batch_ids, XComArg):
            try:
                batch_ids = batch_ids.resolve(context)
            except XComNotFound:
                batch_ids = None
        cycle_result(batch_ids, self.cycle_name, self.poll_intervals, **context)


class ReportErrorOperator(BaseOperator):
    """The only task of a cycle file that could not be read: it fails with the error."""

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message

    def execute(self, context: Any) -> None:
        raise AirflowFailException(self.message)


def _notify_stalled(batch_type: BatchType, cycle_name: str, result: ReconResult, context: Any) -> None:
    from irp.notifications.teams import BatchOutcome, batch_message, send

    settings = Settings.load()
    outcome = BatchOutcome(
        cycle_name, batch_type.value, result.batch_id, result.status, result.summary.job_status_counts,
        links=teams_links(settings, context["ti"], cycle_name, result.batch_id),
    )  # fmt: skip
    send(batch_message(outcome), settings.teams_conn_id)
