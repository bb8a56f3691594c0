"""The backends that run jobs (Moody's, the SQL runners) and check a batch's Moody's entities;
each batch type's registry entry names its backend."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from irp.constants import BatchType
from irp.moodys.protocol import EntityValidator, JobBackend
from irp.settings import Settings

if TYPE_CHECKING:
    from irp.moodys.hook import MoodysHook
    from irp.moodys.references import References


def moodys_hook(cycle_name: str, settings: Settings, references: References | None = None) -> MoodysHook:
    """A hook that finds the cycle's extracted CSVs (MRI Import) in the cycle's data folder."""
    from irp.moodys.hook import MoodysHook
    from irp.runners.data_extraction import cycle_data_folder

    folder = cycle_data_folder(settings.storage_root, cycle_name)
    return MoodysHook(settings.moodys_conn_id, data_directory=folder, references=references)


def data_extraction_runner(cycle_name: str, settings: Settings) -> JobBackend:
    from irp.runners.data_extraction import DataExtractionRunner

    return DataExtractionRunner(
        cycle_name,
        source_conn_id=settings.source_conn_id,
        sql_folder=Path(settings.sql_folder),
        storage_root=settings.storage_root,
    )


def portfolio_mapping_runner(cycle_name: str, settings: Settings) -> JobBackend:
    from irp.moodys.references import References
    from irp.runners.portfolio_mapping import PortfolioMappingRunner

    return PortfolioMappingRunner(
        moodys_hook(cycle_name, settings, References()),  # the SQL's target, then the mapping: one look-up
        databridge_conn_id=settings.databridge_conn_id,
        sql_folder=Path(settings.sql_folder),
    )


def job_backend(batch_type: BatchType, cycle_name: str, settings: Settings) -> JobBackend:
    """The backend the batch type's registry entry names (``irp.batch_types``)."""
    from irp.batch_types import entry

    backend: JobBackend = entry(batch_type).backend(cycle_name, settings)
    return backend


def entity_validator(cycle_name: str, settings: Settings, references: References | None = None) -> EntityValidator:
    """``references``: answers shared by the validator's calls (one task's look-ups)."""
    return moodys_hook(cycle_name, settings, references)
