from __future__ import annotations

from irp.reports import cycle_batches
from tests.support.airflow_runs import rendered_names, task_states

SAMPLE_COUNTS = {
    "Data Extraction": 4, "EDM Creation": 3, "Portfolio Creation": 4, "MRI Import": 4,
    "Create Reinsurance Treaties": 5, "EDM DB Upgrade": 3, "GeoHaz": 4, "Portfolio Mapping": 4,
    "Analysis": 9, "Grouping": 4, "Grouping Rollup": 2, "Export to RDM": 15,
}  # fmt: skip


def test_sample_cycle_completes_every_batch(cycle, capfd):
    run = cycle.run()
    states = task_states(run)
    failed = {k: v for k, v in states.items() if v not in ("success", "skipped")}
    assert run.state == "success", failed
    batches = cycle_batches(cycle.name, store=cycle.store)
    assert {b.batch_type.value: b.status.value for b in batches} == dict.fromkeys(SAMPLE_COUNTS, "COMPLETED")
    assert {b.batch_type.value: b.finished_jobs for b in batches} == SAMPLE_COUNTS
    # One task instance per job, one per batch type (Export to RDM's runs its seed job), the verdict.
    assert len(states) == sum(SAMPLE_COUNTS.values()) - 1 + len(SAMPLE_COUNTS) + 1 == 73
    assert rendered_names(run, "edm_creation.job") == sorted(
        ["RM_EDM_202606_Quarterly_GCHU", "RM_EDM_202606_Quarterly_CAEQ", "RM_EDM_202606_Quarterly_MWST"]
    )
    assert cycle.teams.messages == []
    assert_links_and_asset_events(cycle, run)
    # The Moody's job link never looks for a URL in XCom (it logged an ERROR per synchronous
    # job): no error-level "XCom not found" for it.
    output = "".join(capfd.readouterr())
    assert "DagRun Finished" in output  # the run's log is what is searched
    assert [line for line in output.splitlines() if "XCom not found" in line and "moodys_job_url" in line] == []


def assert_links_and_asset_events(cycle, run):
    """Job tasks link to the Moody's job; EDMs and the RDM emit asset events."""
    from airflow.models.asset import AssetEvent
    from airflow.models.xcom import XComModel as XCom
    from airflow.utils.session import create_session

    with create_session() as session:
        links = {
            (row.task_id, row.map_index): row.value
            for row in session.query(XCom).filter(XCom.run_id == run.run_id, XCom.key == "_link_MoodysJobLink")
        }
        events = {
            e.asset.uri: e.extra for e in session.query(AssetEvent).filter(AssetEvent.source_run_id == run.run_id)
        }
    wait_links = [url for (task_id, _), url in links.items() if task_id == "edm_creation.job"]
    assert len(wait_links) == 3
    assert all(f"{cycle.simulator.base_url}/riskmodeler/v1/workflows/" in str(url) for url in wait_links)
    # Export to RDM's prepare task links to its seed job.
    (seed_link,) = [url for (task_id, _), url in links.items() if task_id == "export_to_rdm.prepare"]
    assert f"{cycle.simulator.base_url}/riskmodeler/v1/workflows/" in str(seed_link)
    assert events[f"irp://cycles/{cycle.name}/edms"]["entities"] == sorted(
        ["RM_EDM_202606_Quarterly_GCHU", "RM_EDM_202606_Quarterly_CAEQ", "RM_EDM_202606_Quarterly_MWST"]
    )
    assert events[f"irp://cycles/{cycle.name}/rdm"]["entities"] == ["RM_RDM_202606_QEM_DEMO"]
