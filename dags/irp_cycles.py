"""Airflow DAGs: one DAG per cycle declared in ``[irp] cycles_folder`` (default ``include/cycles/``).

Adding a cycle is adding a YAML file; nothing here touches the database, Moody's or Excel.
A broken declaration becomes a DAG of its own whose only task fails with the error, so the
other cycles keep running and the mistake is visible in the UI.
"""

from __future__ import annotations

from pathlib import Path

from irp.cycle_dag import broken_declaration_dag, build_cycle_dag
from irp.cycles import load_declarations
from irp.settings import Settings

_declarations, _errors = load_declarations(Path(Settings.load().cycles_folder))
for _dag in [*map(build_cycle_dag, _declarations), *map(broken_declaration_dag, _errors)]:
    globals()[_dag.dag_id] = _dag
