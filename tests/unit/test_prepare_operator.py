"""``PrepareBatchOperator`` on a real store and the simulator: it activates the batch for this run
and lists its live jobs, refuses a batch Moody's says cannot run (telling Teams), and lets a batch
type start only after the one before it completed in this run."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from irp import batch as batches
from irp import job as jobs
from irp.constants import BatchStatus, BatchType
from irp.operators.batch import PrepareBatchOperator
from irp.records import BatchStep
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
    assert listed == [{"job_id": first, "batch_id": batch_id, "label": "EDM_A"}]
    batch = batches.read_batch(batch_id, store=airflow_store)
    assert (batch.status, batch.dag_id, batch.run_id, batch.task_group_id) == (
        BatchStatus.ACTIVE, ti.dag_id, ti.run_id, EDM_CREATION.slug,
    )  # fmt: skip


def test_prepare_refuses_a_batch_moodys_says_cannot_run_and_tells_teams(airflow_store, hook, sim, teams):
    result = hook.submit_job(
        EDM_CREATION, 1, spec(EDM_CREATION, {"Metadata": METADATA, "Database": EDM}), installation_id=INSTALLATION
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
