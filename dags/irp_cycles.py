"""Airflow DAGs: one DAG per cycle declared in ``[irp] cycles_folder`` (default ``include/cycles/``).

Adding a cycle is adding a YAML file; nothing here touches the database, Moody's or Excel.
A broken declaration becomes a DAG of its own whose only task fails with the error, so the
other cycles keep running and the mistake is visible in the UI.
"""

from __future__ import annotations

from pathlib import Path

from irp.cycle_dag import build_cycle_dags
from irp.settings import Settings

for _dag in build_cycle_dags(Path(Settings.load().cycles_folder)):
    globals()[_dag.dag_id] = _dag
