"""Airflow DAGs: one DAG per cycle declared in ``[irp] cycles_folder`` (default ``include/cycles/``).

Adding a cycle is adding a YAML file; nothing here touches the database, Moody's or Excel.
A broken declaration becomes a DAG of its own whose only task fails with the error, so the
other cycles keep running and the mistake is visible in the UI.
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import get_parsing_context

from irp.cycle_dag import build_cycle_dags
from irp.settings import Settings

# A task's process needs only its own DAG (the parsing context names it); the DAG processor, all.
for _dag in build_cycle_dags(Path(Settings.load().cycles_folder), get_parsing_context().dag_id):
    globals()[_dag.dag_id] = _dag
