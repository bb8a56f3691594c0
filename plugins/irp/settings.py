"""Settings from Airflow's configuration, section ``[irp]``.

Every key can be set in ``airflow.cfg`` or as ``AIRFLOW__IRP__<KEY>``; the defaults below are
documented in the README's settings reference.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

SECTION = "irp"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    #: Postgres connection holding the batch/job store.
    store_conn_id: str = "irp_postgres"
    #: Schema of the store's tables (one schema per environment sharing a database).
    store_schema: str = "irp"
    #: HTTP connection of the Moody's Risk Modeler API.
    moodys_conn_id: str = "moodys_default"
    #: DB-API connection of the source data warehouse read by Data Extraction.
    source_conn_id: str = "source_sql"
    #: DB-API connection of Moody's Data Bridge (Portfolio Mapping SQL).
    databridge_conn_id: str = "databridge"
    #: HTTP connection of the Microsoft Teams incoming webhook.
    teams_conn_id: str = "teams_default"
    #: Pool capping concurrent Moody's submissions.
    moodys_pool: str = "moodys_api"
    #: Seconds between two status polls of a Moody's job.
    poll_interval: float = 30.0
    #: Least seconds between a job task's deferral and the trigger event that resumes it (an
    #: Airflow 3.3.2 race: ``irp.triggers.job``); 0 where no scheduler runs (``dag.test()``).
    resume_settle_seconds: float = 10.0
    #: Folder of the cycle declaration files.
    cycles_folder: str = str(PROJECT_ROOT / "include" / "cycles")
    #: Folder of the SQL files (migrations and SQL templates).
    sql_folder: str = str(PROJECT_ROOT / "include" / "sql")
    #: Root (local path or object-storage URL) under which cycle files (CSVs) are written.
    storage_root: str = str(PROJECT_ROOT / "storage")
    #: Base URL of the Airflow UI, used in links sent to Teams.
    airflow_base_url: str = "http://localhost:8080"

    @classmethod
    def load(cls) -> Settings:
        """Read ``[irp]`` from Airflow's configuration, falling back to the defaults."""
        from airflow.sdk import conf

        values: dict[str, object] = {}
        for field in fields(cls):
            default = field.default
            if isinstance(default, float):
                values[field.name] = conf.getfloat(SECTION, field.name, fallback=default)
            else:
                values[field.name] = conf.get(SECTION, field.name, fallback=default)
        return cls(**values)  # type: ignore[arg-type]
