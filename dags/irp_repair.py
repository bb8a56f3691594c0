"""Airflow DAG ``irp_repair``: repairs of a cycle, triggered from the UI's trigger form.

Resubmit a job with changed parameters, skip or cancel a job, cancel a batch, archive a cycle;
each run is one repair, recorded with who asked and why (see ``irp.repair_dag``).
"""

from __future__ import annotations

from irp.repair_dag import build_repair_dag

irp_repair = build_repair_dag()
