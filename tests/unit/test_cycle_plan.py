"""The cycle DAG is planned from plain data (the declaration and the settings), then rendered."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from irp.assets import cycle_asset
from irp.constants import BatchType
from irp.cycle_dag import plan_cycle, render_cycle
from irp.cycles import ENTITIES_MAY_EXIST, BatchTypeSettings, CycleDeclaration
from irp.existing import POLICIES
from irp.settings import Settings

DECLARATION = CycleDeclaration(
    name="2026-Q1", workbook="w.xlsx", source=Path("c.yaml"),
    batch_types={BatchType.ANALYSIS: BatchTypeSettings(poll_interval=60, defer_after=timedelta(0))},
)  # fmt: skip


def test_the_plan_holds_one_batch_per_batch_type_in_order_with_its_settings():
    plan = plan_cycle(DECLARATION, Settings(poll_interval=5, moodys_pool="moodys"))
    assert [batch.batch_type for batch in plan.batches] == list(BatchType)
    by_type = {batch.batch_type: batch for batch in plan.batches}
    assert by_type[BatchType.ANALYSIS].poll_interval == 60
    assert by_type[BatchType.ANALYSIS].settings.defer_after == timedelta(0)
    assert by_type[BatchType.GEOHAZ].poll_interval == 5  # the [irp] default
    assert {bt for bt, batch in by_type.items() if batch.may_exist} == ENTITIES_MAY_EXIST == set(POLICIES)
    assert [bt for bt, batch in by_type.items() if batch.seed] == [BatchType.EXPORT_TO_RDM]
    # The EDMs' asset is published once the batch type after EDM Creation may start.
    assert by_type[BatchType.PORTFOLIO_CREATION].previous_asset == cycle_asset("2026-Q1", BatchType.EDM_CREATION)
    assert plan.final_asset == cycle_asset("2026-Q1", BatchType.EXPORT_TO_RDM)
    assert plan.pool == "moodys"


def test_the_rendered_dag_wires_each_batch_type_after_the_one_before():
    dag = render_cycle(plan_cycle(DECLARATION, Settings()))
    analysis = dag.get_task("analysis.prepare")
    # and after the first prepare task, which loads the workbook and whose batch ids it reads
    assert analysis.upstream_task_ids == {"data_extraction.prepare", "portfolio_mapping.prepare",
                                          "portfolio_mapping.job"}  # fmt: skip
    assert analysis.trigger_rule == "none_failed_min_one_success"
    first = dag.get_task("data_extraction.prepare")
    assert (first.workbook, first.upstream_task_ids) == ("w.xlsx", set())
    assert {t.task_id for t in dag.tasks if getattr(t, "workbook", None)} == {"data_extraction.prepare"}
    # Export to RDM's seed job runs in its prepare task, in the Moody's pool, with the job settings.
    export = dag.get_task("export_to_rdm.prepare")
    assert dag.get_task("export_to_rdm.job").upstream_task_ids == {"export_to_rdm.prepare"}
    assert export.seed is not None
    assert export.seed["batch_type"] == "Export to RDM"
    assert export.pool == "moodys_api"
    assert {t.task_id for t in dag.tasks if getattr(t, "seed", None)} == {"export_to_rdm.prepare"}
    assert dag.get_task("cycle_result").trigger_rule == "all_done"
    assert "data_extraction.prepare" in dag.get_task("cycle_result").upstream_task_ids
    job = dag.get_task("analysis.job")
    assert (job.partial_kwargs["poll_interval"], job.partial_kwargs["defer_after"]) == (60, timedelta(0))
