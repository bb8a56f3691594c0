"""Which backend runs the jobs of a batch type, and what checks a batch's Moody's entities."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from irp.constants import BatchType
from irp.moodys.protocol import EntityValidator, JobBackend
from irp.settings import Settings

if TYPE_CHECKING:
    from irp.moodys.hook import MoodysHook


def moodys_hook(cycle_name: str, settings: Settings) -> MoodysHook:
    """A hook that finds the cycle's extracted CSVs (MRI Import) in the cycle's data folder."""
    from irp.moodys.hook import MoodysHook
    from irp.runners.data_extraction import cycle_data_folder

    return MoodysHook(settings.moodys_conn_id, data_directory=cycle_data_folder(settings.storage_root, cycle_name))


def job_backend(batch_type: BatchType, cycle_name: str, settings: Settings) -> JobBackend:
    if batch_type is BatchType.DATA_EXTRACTION:
        from irp.runners.data_extraction import DataExtractionRunner

        return DataExtractionRunner(
            cycle_name,
            source_conn_id=settings.source_conn_id,
            sql_folder=Path(settings.sql_folder),
            storage_root=settings.storage_root,
        )
    if batch_type is BatchType.PORTFOLIO_MAPPING:
        from irp.runners.portfolio_mapping import PortfolioMappingRunner

        return PortfolioMappingRunner(
            moodys_hook(cycle_name, settings),
            databridge_conn_id=settings.databridge_conn_id,
            sql_folder=Path(settings.sql_folder),
        )
    return moodys_hook(cycle_name, settings)


def entity_validator(cycle_name: str, settings: Settings) -> EntityValidator:
    return moodys_hook(cycle_name, settings)
