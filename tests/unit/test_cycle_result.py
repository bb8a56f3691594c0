"""``CycleResultOperator``: the run's verdict reads the batch ids the first prepare task pushed,
and says so when that task created none (a workbook that failed to load)."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from irp.cycle_dag import plan_cycle, render_cycle
from irp.cycles import CycleDeclaration
from irp.settings import Settings


class NoXComTaskInstance:
    """A task instance whose upstream pushed nothing (the first prepare task failed first)."""

    run_id = "manual__unit"
    dag_id = "irp_cycle__unit"

    def get_relevant_upstream_map_indexes(self, **_: Any) -> None:
        return None

    def xcom_pull(self, **kwargs: Any) -> Any:
        return kwargs.get("default")


def test_the_verdict_says_no_batches_were_created_when_the_workbook_did_not_load():
    from pathlib import Path

    dag = render_cycle(plan_cycle(CycleDeclaration(name="2026-Q1", workbook="w.xlsx", source=Path("c.yaml")),
                                  Settings()))  # fmt: skip
    verdict = dag.get_task("cycle_result")
    assert verdict.batch_ids.operator.task_id == "data_extraction.prepare"
    assert verdict.upstream_task_ids >= {"data_extraction.prepare", "export_to_rdm.prepare", "export_to_rdm.job"}
    context = {"ti": NoXComTaskInstance(), "task": verdict}
    with pytest.raises(AirflowFailException, match="No batches were created in this run"):
        verdict.execute(context)
