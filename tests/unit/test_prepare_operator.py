"""``PrepareBatchOperator`` on a real store and the simulator: it activates the batch for this run
and lists its live jobs, refuses a batch Moody's says cannot run (telling Teams), and lets a batch
type start only after the one before it completed in this run."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from irp import batch as batches
from irp import job as jobs
from irp.constants import BatchStatus, BatchType, JobStatus
from irp.moodys.references import Kind, References
from irp.operators.batch import PrepareBatchOperator
from irp.records import BatchStep
from tests.conftest import ROOT
from tests.moodys.cycle import EDM, INSTALLATION, METADATA, poll_to_terminal
from tests.store.conftest import insert_configuration
from tests.support.specs import spec
from tests.unit.conftest import TaskInstance

EDM_CREATION = BatchType.EDM_CREATION


def edm_batch(store: Any, *names: str) -> int:
    configs = [{"Metadata": METADATA, "Database": name} for name in names]
    return batches.create_batch(EDM_CREATION, insert_configuration(store), configs, store=store)


def prepare(batch_type: BatchType, batch_ids: dict[str, int], ti: TaskInstance) -> list[dict[str, Any]]:
    task = PrepareBatchOperator(task_id="prepare", batch_type=batch_type, cycle_name="2026-Q1", batch_ids=batch_ids)
    return task.execute({"ti": ti, "task": task, "params": {"on_existing": "rerun"}})


def test_prepare_activates_the_batch_for_this_run_and_lists_its_live_jobs(airflow_store, sim):
    batch_id = edm_batch(airflow_store, "EDM_A", "EDM_B")
    skipped = batches.get_batch_jobs(batch_id, store=airflow_store)[1]
    jobs.skip_job(skipped.id, store=airflow_store)
    ti = TaskInstance(task_id="edm_creation.prepare")
    listed = prepare(EDM_CREATION, {EDM_CREATION.value: batch_id}, ti)
    (first,) = [j.id for j in batches.get_batch_jobs(batch_id, skipped=False, store=airflow_store)]
    (entry,) = listed
    references = entry.pop("references")  # validation found the server: the job need not ask again
    assert entry == {"job_id": first, "batch_id": batch_id, "label": "EDM_A"}
    assert list(references) == [References.name(Kind.SERVER, "databridge-1")]
    batch = batches.read_batch(batch_id, store=airflow_store)
    assert (batch.status, batch.dag_id, batch.run_id, batch.task_group_id) == (
        BatchStatus.ACTIVE, ti.dag_id, ti.run_id, EDM_CREATION.slug,
    )  # fmt: skip


def test_prepare_refuses_a_batch_moodys_says_cannot_run_and_tells_teams(airflow_store, hook, sim, teams):
    result = hook.submit_job(
        EDM_CREATION,
        1,
        spec(EDM_CREATION, {"Metadata": METADATA, "Database": EDM}),
        installation_id=INSTALLATION,
    )
    poll_to_terminal(hook, EDM_CREATION, str(result.workflow_id))  # the EDM now exists in Moody's
    batch_id = edm_batch(airflow_store, EDM)
    with pytest.raises(AirflowFailException, match="ENT-EDM-001"):
        prepare(EDM_CREATION, {EDM_CREATION.value: batch_id}, TaskInstance())
    assert batches.read_batch(batch_id, store=airflow_store).status is BatchStatus.INITIATED  # not activated
    (title,) = teams.titles()
    assert title.endswith("Validation Failed: EDM Creation")
    assert EDM in teams.texts()[0]


def test_a_batch_type_waits_for_the_one_before_it_to_complete_in_this_run(airflow_store, sim):
    previous = edm_batch(airflow_store, "EDM_A")
    ti = TaskInstance(task_id="portfolio_creation.prepare")
    batches.activate_batch(previous, step=BatchStep(ti.dag_id, ti.run_id, EDM_CREATION.slug), store=airflow_store)
    batch_ids = {EDM_CREATION.value: previous}  # the workbook needs no Portfolio Creation
    with pytest.raises(AirflowSkipException, match="did not complete in this run"):
        prepare(BatchType.PORTFOLIO_CREATION, batch_ids, ti)
    (job,) = batches.get_batch_jobs(previous, store=airflow_store)
    jobs.skip_job(job.id, store=airflow_store)  # nothing left to run: the batch completes once reconciled
    assert prepare(BatchType.PORTFOLIO_CREATION, batch_ids, ti) == []
    assert batches.read_batch(previous, store=airflow_store).status is BatchStatus.COMPLETED
    other_run = TaskInstance(task_id="portfolio_creation.prepare", run_id="manual__other")
    with pytest.raises(AirflowSkipException, match="did not complete in this run"):
        prepare(BatchType.PORTFOLIO_CREATION, batch_ids, other_run)


# -- Export to RDM: the seed job runs in the prepare task ----------------------------------------
class TaskState(dict):
    """Airflow's task state store (kept across the tries of one task instance in one run)."""

    def set(self, key: str, value: Any) -> None:
        self[key] = value

    def delete(self, key: str) -> None:
        self.pop(key, None)


EXPORT = BatchType.EXPORT_TO_RDM


def export_prepare() -> Any:
    from datetime import timedelta

    from irp.operators.batch import PrepareExistingOperator

    seed = {"batch_type": EXPORT.value, "cycle_name": "2026-Q1", "poll_interval": 0.01,
            "defer_after": timedelta(0)}  # fmt: skip
    return PrepareExistingOperator(
        task_id="export_to_rdm.prepare", batch_type=EXPORT, cycle_name="2026-Q1", batch_ids=None, seed=seed,
        retries=2,
    )  # fmt: skip


def seed_context(ti: TaskInstance, state: TaskState) -> dict[str, Any]:
    from datetime import UTC, datetime

    task = export_prepare()
    return {"ti": ti, "task": task, "params": {"on_existing": "rerun"}, "task_state_store": state,
            "dag_run": type("DagRun", (), {"start_date": datetime(2000, 1, 1, tzinfo=UTC)})()}  # fmt: skip


def run_export(ti: TaskInstance, state: TaskState, batch_id: int) -> Any:
    from airflow.sdk.exceptions import TaskDeferred

    ctx = seed_context(ti, state)
    task = ctx["task"]
    task.batch_ids = {EXPORT.value: batch_id}
    with pytest.raises(TaskDeferred) as raised:
        task.execute(ctx)
    assert raised.value.method_name == "execute_seed_complete"
    return raised.value


def seed_event(deferral: Any, status: str) -> dict[str, Any]:
    trigger = deferral.trigger
    return {"outcome": "ended", "job_id": trigger.job_id, "workflow_id": trigger.workflow_id,
            "job_url": trigger.job_url, "status": status, "polls": 1}  # fmt: skip


def test_export_prepare_runs_the_seed_job_and_a_clear_of_it_resubmits_the_seed(airflow_store, hook, sim, monkeypatch):
    """The seed is submitted and followed in the prepare task instance; its failure fails the task,
    an automatic retry re-attaches, a person's clear resubmits it without preparing the batch again
    (which would find the RDM the seed made "existing"), and its end lists the other jobs."""
    from tests.moodys.cycle import cycle_configs, run_cycle_until

    monkeypatch.setenv("AIRFLOW__IRP__RESUME_SETTLE_SECONDS", "0")  # defer at once (no follow)

    run_cycle_until(hook, EXPORT)
    before = len(sim.admin.state()["jobs"])  # the entities the export reads
    batch_id = batches.create_batch(EXPORT, insert_configuration(airflow_store), cycle_configs(EXPORT),
                                    store=airflow_store)  # fmt: skip
    seed_id, other_id = [j.id for j in batches.get_batch_jobs(batch_id, store=airflow_store)]
    state = TaskState()
    first = TaskInstance(task_id="export_to_rdm.prepare", map_index=-1)
    deferral = run_export(first, state, batch_id)
    assert deferral.trigger.job_id == seed_id
    assert first.xcom["seed"]["job_id"] == seed_id
    assert batches.read_batch(batch_id, store=airflow_store).status is BatchStatus.ACTIVE
    assert len(sim.admin.state()["jobs"]) == before + 1
    # An automatic retry (the worker died while the seed ran) re-attaches: nothing submitted.
    retry = TaskInstance(task_id="export_to_rdm.prepare", map_index=-1, try_number=2)
    assert run_export(retry, state, batch_id).trigger.job_id == seed_id
    assert len(sim.admin.state()["jobs"]) == before + 1
    # The seed fails: so does the task, saying to clear it.
    task = seed_context(retry, state)["task"]
    task.batch_ids = {EXPORT.value: batch_id}
    with pytest.raises(AirflowFailException, match="Clear this task to resubmit it"):
        task.execute_seed_complete(seed_context(retry, state), seed_event(deferral, "FAILED"))
    # A person clears it: the seed is resubmitted as a new job, the batch is not prepared again.
    cleared = TaskInstance(task_id="export_to_rdm.prepare", map_index=-1, try_number=3, max_tries=4)
    resubmitted = run_export(cleared, state, batch_id)
    replacement = jobs.latest_job(seed_id, store=airflow_store)
    assert (resubmitted.trigger.job_id, replacement.parent_job_id) == (replacement.id, seed_id)
    assert len(sim.admin.state()["jobs"]) == before + 2
    jobs.update_job_status(replacement.id, JobStatus.FINISHED, store=airflow_store)
    ctx = seed_context(cleared, state)
    ctx["task"].batch_ids = {EXPORT.value: batch_id}
    listed = ctx["task"].execute_seed_complete(ctx, seed_event(resubmitted, "FINISHED"))
    assert [entry["job_id"] for entry in listed] == [other_id]


def test_the_first_prepare_loads_the_workbook_and_hands_the_batch_ids_on(airflow_store, sim):
    """The first batch type's prepare task creates every batch and pushes their ids (XCom
    ``batch_ids``) for the later prepare tasks and the verdict."""
    workbook = str(ROOT / "include" / "workbooks" / "sample_cycle.xlsx")
    task = PrepareBatchOperator(task_id="data_extraction.prepare", batch_type=BatchType.DATA_EXTRACTION,
                                cycle_name="2026-Q1", workbook=workbook)  # fmt: skip
    ti = TaskInstance(task_id="data_extraction.prepare", map_index=-1)
    listed = task.execute({"ti": ti, "task": task, "params": {"on_existing": "rerun"}})
    batch_ids = ti.xcom["batch_ids"]
    assert set(batch_ids) == {batch_type.value for batch_type in BatchType}
    data_extraction = batch_ids[BatchType.DATA_EXTRACTION.value]
    assert [entry["batch_id"] for entry in listed] == [data_extraction] * len(listed)
    assert len(listed) == 4
    assert batches.read_batch(data_extraction, store=airflow_store).status is BatchStatus.ACTIVE
    again = TaskInstance(task_id="data_extraction.prepare", map_index=-1, try_number=2)
    task.execute({"ti": again, "task": task, "params": {"on_existing": "rerun"}})
    assert again.xcom["batch_ids"] == batch_ids  # a retry reuses the unchanged workbook's batches


def test_export_prepare_follows_a_short_seed_in_the_worker_for_the_settle_time(airflow_store, hook, sim, monkeypatch):
    """The prepare task resumes after its seed no sooner than ``[irp] resume_settle_seconds`` after
    deferring, so it follows the seed in the worker that long first: a short seed ends there, and
    the task lists the other jobs with no deferral."""
    from tests.moodys.cycle import cycle_configs, run_cycle_until

    monkeypatch.setenv("AIRFLOW__IRP__RESUME_SETTLE_SECONDS", "30")
    run_cycle_until(hook, EXPORT)
    batch_id = batches.create_batch(EXPORT, insert_configuration(airflow_store), cycle_configs(EXPORT),
                                    store=airflow_store)  # fmt: skip
    seed_id, other_id = [j.id for j in batches.get_batch_jobs(batch_id, store=airflow_store)]
    ctx = seed_context(TaskInstance(task_id="export_to_rdm.prepare", map_index=-1), TaskState())
    ctx["task"].batch_ids = {EXPORT.value: batch_id}
    listed = ctx["task"].execute(ctx)  # the simulator's seed ends within a few polls: no TaskDeferred
    assert [entry["job_id"] for entry in listed] == [other_id]
    assert jobs.read_job(seed_id, store=airflow_store).status is JobStatus.FINISHED


def test_export_prepare_prepares_a_new_batch_afresh_after_seeding_another(airflow_store, hook, sim, monkeypatch):
    """The "seed started" mark names its batch: a clear after the workbook changed (a new batch)
    validates and activates the new batch instead of going straight to a seed it never started."""
    from tests.moodys.cycle import cycle_configs, run_cycle_until

    monkeypatch.setenv("AIRFLOW__IRP__RESUME_SETTLE_SECONDS", "0")  # defer at once (no follow)
    run_cycle_until(hook, EXPORT)
    state = TaskState()
    first_batch = batches.create_batch(EXPORT, insert_configuration(airflow_store), cycle_configs(EXPORT),
                                       store=airflow_store)  # fmt: skip
    run_export(TaskInstance(task_id="export_to_rdm.prepare", map_index=-1), state, first_batch)
    second_batch = batches.create_batch(EXPORT, insert_configuration(airflow_store), cycle_configs(EXPORT),
                                        store=airflow_store)  # fmt: skip
    cleared = TaskInstance(task_id="export_to_rdm.prepare", map_index=-1, try_number=3, max_tries=4)
    deferral = run_export(cleared, state, second_batch)
    assert batches.read_batch(second_batch, store=airflow_store).status is BatchStatus.ACTIVE
    (second_seed, _) = [j.id for j in batches.get_batch_jobs(second_batch, store=airflow_store)]
    assert deferral.trigger.job_id == second_seed
