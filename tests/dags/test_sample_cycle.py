from __future__ import annotations

from irp.reports import cycle_batches
from tests.support.airflow_runs import rendered_names, task_states

SAMPLE_COUNTS = {
    "Data Extraction": 4, "EDM Creation": 3, "Portfolio Creation": 4, "MRI Import": 4,
    "Create Reinsurance Treaties": 5, "EDM DB Upgrade": 3, "GeoHaz": 4, "Portfolio Mapping": 4,
    "Analysis": 9, "Grouping": 4, "Grouping Rollup": 2, "Export to RDM": 15,
}  # fmt: skip


def test_sample_cycle_completes_every_batch(cycle):
    run = cycle.run()
    states = task_states(run)
    failed = {k: v for k, v in states.items() if v not in ("success", "skipped")}
    assert run.state == "success", failed
    batches = cycle_batches(cycle.name, store=cycle.store)
    assert {b.batch_type.value: b.status.value for b in batches} == dict.fromkeys(SAMPLE_COUNTS, "COMPLETED")
    assert {b.batch_type.value: b.finished_jobs for b in batches} == SAMPLE_COUNTS
    assert rendered_names(run, "edm_creation.job.submit") == sorted(
        ["RM_EDM_202606_Quarterly_GCHU", "RM_EDM_202606_Quarterly_CAEQ", "RM_EDM_202606_Quarterly_MWST"]
    )
    assert cycle.teams.messages == []
