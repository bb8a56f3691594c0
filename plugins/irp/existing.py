"""Entities a batch would create that already exist in Moody's (Analysis, Grouping, Export).

A run either keeps them — their jobs are skipped, so recon can complete — or deletes them and
runs their jobs again. ``on_existing`` decides (ask | skip | rerun); "ask" hands the choice to a
person through Airflow's human-in-the-loop operator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from irp import batch as batches
from irp import job as jobs
from irp.batch_types import entry
from irp.constants import JobStatus
from irp.cycles import Decision
from irp.exceptions import BatchError
from irp.moodys.protocol import EntityValidator
from irp.records import Job
from irp.store import Store, resolve

__all__ = ["KEPT_REASON", "Decision", "ExistingJob", "find_existing", "keep", "rerun"]


@dataclass(frozen=True)
class ExistingJob:
    job_id: int
    status: JobStatus
    entity: str


def find_existing(batch_id: int, validator: EntityValidator, *, store: Store | None = None) -> list[ExistingJob]:
    """Jobs still to run (not skipped, not FINISHED) whose entity already exists in Moody's.

    What a FINISHED job of the batch created is its own work, not an entity in the way.
    """
    batch = batches.read_batch(batch_id, store=store)
    policy = entry(batch.batch_type).existing
    if policy is None:
        return []
    live = [
        job
        for job in batches.get_batch_jobs(batch_id, skipped=False, store=store)
        if job.status is not JobStatus.FINISHED
    ]
    configs = {job.id: jobs.get_job_config(job.id, store=store).job_configuration_data for job in live}
    if not configs:
        return []
    document = batches.configuration_data(batch.configuration_id, store=store)
    registered = entry(batch.batch_type)
    messages = validator.validate_entities(
        batch.batch_type, [registered.job_spec(data, document) for data in configs.values()]
    )
    entities = [entity for message in messages if message.code == policy.code for entity in message.entities]
    found = []
    for job in live:
        for entity in entities:
            if policy.matches(configs[job.id], entity):
                found.append(ExistingJob(job.id, job.status, entity))
                break
    return found


KEPT_REASON = "Kept the existing entity in Moody's"


def keep(existing: Sequence[ExistingJob], *, store: Store | None = None) -> None:
    """Keep the entities: skip their jobs and configurations, so recon leaves them out."""
    for item in existing:
        job = jobs.read_job(item.job_id, store=store)
        jobs.skip_job(job.id, store=store)
        jobs.skip_job_configuration(job.job_configuration_id, f"{KEPT_REASON}: {item.entity}", store=store)


def rerun(
    batch_id: int,
    existing: Sequence[ExistingJob],
    validator: EntityValidator,
    *,
    recheck: bool = False,
    store: Store | None = None,
) -> list[str]:
    """Delete the entities in Moody's and make their jobs run again; returns deletion errors.

    Nothing is resubmitted when a deletion fails, so no job collides with an entity still there.
    An outage raises ``MoodysUnavailableError`` (the task retries). ``recheck`` (a retry) deletes
    only what still exists: the try that met the outage may have deleted some already, and
    deleting those again would fail as "not found".
    """
    if not existing:
        return []
    store = resolve(store)
    batch = batches.read_batch(batch_id, store=store)
    to_delete = list(existing)
    if recheck:
        still_there = {item.job_id for item in find_existing(batch_id, validator, store=store)}
        to_delete = [item for item in existing if item.job_id in still_there]
    if to_delete:
        policy = entry(batch.batch_type).existing
        if policy is None:
            raise BatchError(f"{batch.batch_type} batch {batch_id} creates nothing that may already exist")
        errors = policy.delete([item.job_id for item in to_delete], validator, store=store)
        if errors:
            return errors
    for item in existing:
        job: Job = jobs.read_job(item.job_id, store=store)
        # FAILED/CANCELLED/ERROR: a new job; INITIATED ones just run. One whose submission got no
        # answer gets a new job too: its entity, which that lost submission may have made, is gone.
        if job.status.terminal or job.outcome_unknown:
            jobs.resubmit_job(job.id, abandon_lost_submission=True, store=store)
    return []
