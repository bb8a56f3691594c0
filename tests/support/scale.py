"""Large store contents for the scale test and ``bench/dashboard.py``."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from irp import batch as batches
from irp.constants import BatchType
from irp.cycle import ensure_cycle
from irp.store import Store


def fill_polled_batch(store: Store, cycle_name: str, jobs: int, polls: int) -> int:
    """An Analysis batch of ``jobs`` RUNNING jobs, each with ``polls`` tracking rows (progress 5 % a poll)."""
    cycle = ensure_cycle(cycle_name, store=store)
    with store.transaction() as cursor:
        cursor.execute(
            "INSERT INTO irp_configuration (cycle_id, configuration_file_name, configuration_data, status,"
            " file_last_updated_ts) VALUES (%s, 'scale.xlsx', %s, 'VALID', now()) RETURNING id",
            (cycle.id, Jsonb({"Metadata": {}})),
        )
        configuration_id = cursor.fetchone()["id"]
    configs = [{"Analysis Name": f"analysis-{index:05d}", "Database": "EDM"} for index in range(jobs)]
    batch_id = batches.create_batch(BatchType.ANALYSIS, configuration_id, configs, store=store)
    with store.transaction() as cursor:  # what the polls of every job leave behind
        cursor.execute(
            """
            INSERT INTO irp_job_tracking_log (job_id, moodys_workflow_id, job_status, tracking_data, tracked_ts)
            SELECT j.id, j.id::text, 'RUNNING', jsonb_build_object('progress', g * 5),
                   now() - (%(polls)s - g) * interval '30 seconds'
            FROM irp_job j, generate_series(1, %(polls)s) g WHERE j.batch_id = %(batch)s
            """,
            {"polls": polls, "batch": batch_id},
        )
        cursor.execute(
            "UPDATE irp_job SET moodys_workflow_id = id::text, status = 'RUNNING', submitted_ts = now(),"
            " last_tracked_ts = now() WHERE batch_id = %s",
            (batch_id,),
        )
    return batch_id
