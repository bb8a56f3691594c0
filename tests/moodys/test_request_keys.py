"""Issue 9, defect 4: idempotency keys are unique per store. Job ids start again in every store (a
new schema, test and production on one Moody's tenant); within Moody's 24-hour key lifetime a key
made of the job id alone gave one store's job the answer — and the Moody's job — of another's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from irp import batch as batches
from irp import job as jobs
from irp import migrations
from irp.constants import BatchType
from irp.installation import installation_id
from irp.moodys.jobs import RequestKeys, Step
from irp.store import Store
from moodys.cycle import EDM, METADATA
from tests.conftest import migrated_store
from tests.store.conftest import insert_configuration


@pytest.fixture
def other_store() -> Iterator[Store]:
    """A second store (its own schema) beside the ``store`` fixture: its job ids start at 1 too."""
    with migrated_store() as store:
        yield store


def first_edm_job(store: Store, edm_name: str) -> int:
    batch_id = batches.create_batch(
        BatchType.EDM_CREATION, insert_configuration(store), [{"Metadata": METADATA, "Database": edm_name}], store=store
    )
    (job,) = batches.get_batch_jobs(batch_id, store=store)
    return job.id


def test_two_stores_submitting_their_job_1_get_two_moodys_jobs(store, other_store, hook, sim) -> None:
    """Two stores against one simulator that keeps its keys: each job 1 gets its own Moody's job."""
    first = first_edm_job(store, f"{EDM}_TEST")
    second = first_edm_job(other_store, f"{EDM}_PROD")
    assert first == second == 1
    test_job = jobs.submit_job(first, hook, store=store)
    prod_job = jobs.submit_job(second, hook, store=other_store)
    by_name = {job["name"]: str(job["jobId"]) for job in sim.admin.state()["jobs"] if job["kind"] == "riskdata"}
    assert by_name == {f"{EDM}_TEST": test_job.moodys_workflow_id, f"{EDM}_PROD": prod_job.moodys_workflow_id}
    assert installation_id(store=store) != installation_id(store=other_store)


def test_the_same_job_and_step_send_the_same_uuid_key(store, hook, sim) -> None:
    job_id = first_edm_job(store, EDM)
    first = jobs.submit_job(job_id, hook, store=store)
    again = jobs.submit_job(job_id, hook, force=True, store=store)  # sent once more
    assert again.moodys_workflow_id == first.moodys_workflow_id
    key = RequestKeys(installation_id(store=store), job_id)(Step.EDM)
    assert uuid.UUID(key).version == 5
    submissions = sim.admin.state()["submissions"]
    assert submissions[key]["replays"] == 1
    assert len([job for job in sim.admin.state()["jobs"] if job["kind"] == "riskdata"]) == 1


def test_the_installation_id_is_created_once_per_store(store) -> None:
    before = installation_id(store=store)
    assert migrations.upgrade(store) == []
    assert installation_id(store=store) == before
