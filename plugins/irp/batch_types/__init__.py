"""The batch-type registry: one module per batch type declares everything that differs between
batch types — its jobs from the parsed workbook, entity validation, submission, the status
endpoint, the entity a job is labelled by, the existing-entity policy, the asset it emits,
synchronous or not — and generic code asks :func:`entry` instead of branching on the batch type.
Adding or changing a batch type touches its module (and the functions it names).
"""

from __future__ import annotations

from irp.batch_types.entry import BatchTypeEntry, EmittedAsset, ExistingEntities, JobLabel, JobList, Ref
from irp.batch_types.registry import REGISTRY, entry

__all__ = ["REGISTRY", "BatchTypeEntry", "EmittedAsset", "ExistingEntities", "JobLabel", "JobList", "Ref", "entry"]
