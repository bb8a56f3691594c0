"""How failures look in a real run (issue 9): a rate-limit window is retried, a failed batch paints
only its own group, and a wait a person stops reconciles to CANCELLED."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path
from typing import Any

import pytest

from irp import batch as batches
from irp import job as jobs
from irp.constants import BatchStatus, JobStatus
from irp.reports import cycle_batches
from tests.dags.conftest import SAMPLE_WORKBOOK
from tests.support.airflow_runs import clear_and_resume, failed_with_downstream, task_states

FAILING_ANALYSIS = "GCHU_Inland_NT"
FAILING_GROUP = "202606_CAEQ_Group"
ROLLUPS = ("202606_LT_All_Group", "202606_NT_All_Group")
LATER_GROUPS = ("grouping.", "grouping_rollup.", "export_to_rdm.")
#: The hook's own attempts at one request (1 + 5 retries): a longer burst reaches the task.
HOOK_ATTEMPTS = 6


def statuses(cycle: Any) -> dict[str, Any]:
    return {b.batch_type.value: b for b in cycle_batches(cycle.name, store=cycle.store)}


def analysis_job(cycle: Any, name: str) -> Any:
    for job in batches.get_batch_jobs(statuses(cycle)["Analysis"].batch_id, store=cycle.store):
        if jobs.get_job_config(job.id, store=cycle.store).job_configuration_data["Analysis Name"] == name:
            return job
    raise AssertionError(name)


def not_ok(run: Any) -> dict[tuple[str, int], str | None]:
    return {k: v for k, v in task_states(run).items() if v not in ("success", "skipped")}


def test_a_rate_limit_window_on_validation_is_retried_and_the_cycle_completes(cycle):
    """429s (Retry-After 1) and 503s longer than the hook's retries on the validation look-ups: the
    prepare tasks fail retryably, their automatic retry passes, and nothing reaches Teams."""
    admin = cycle.simulator.admin
    burst = HOOK_ATTEMPTS + 2
    # EDM Creation's validation is the first to look EDMs up; Analysis's the first to read profiles.
    admin.fault(method="GET", pathRegex="^/platform/riskdata/v1/exposures$", status=429, retryAfter=1, times=burst)
    admin.fault(method="GET", pathRegex="^/analysis-settings/modelprofiles$", status=503, retryAfter=1, times=burst)
    run = cycle.run()
    assert run.state == "success", not_ok(run)
    tries = {ti.task_id: ti.try_number for ti in run.get_task_instances() if ti.task_id.endswith(".prepare")}
    assert tries["edm_creation.prepare"] == 2
    assert tries["analysis.prepare"] == 2
    assert {t for t, n in tries.items() if n > 1} == {"edm_creation.prepare", "analysis.prepare"}
    assert [fault["hits"] for fault in admin.state()["faults"]] == [burst, burst]
    assert {b.status for b in statuses(cycle).values()} == {BatchStatus.COMPLETED}
    assert cycle.teams.messages == []  # an outage is not a validation failure


def test_a_failed_batch_paints_only_its_own_group(cycle):
    """Analysis fails: its failed job task is the only red one in the groups, the last Analysis job
    to end reconciles the batch and notifies; every later group ends upstream_failed (none failed),
    and the run fails through its last task, cycle_result."""
    cycle.simulator.admin.job_outcome(kind="model", nameRegex=f"^{FAILING_ANALYSIS}$", outcome="FAILED")
    run = cycle.run()
    assert run.state == "failed"
    states = task_states(run)
    assert {task for (task, _), state in states.items() if state == "failed"} == {
        "analysis.job", "cycle_result",
    }  # fmt: skip
    later = {key: state for key, state in states.items() if key[0].startswith(LATER_GROUPS)}
    assert later
    assert set(later.values()) <= {"upstream_failed", "skipped"}, later
    assert states[("grouping.prepare", -1)] == "upstream_failed"
    assert states[("export_to_rdm.prepare", -1)] == "upstream_failed"
    earlier = {k: v for k, v in states.items() if not k[0].startswith((*LATER_GROUPS, "analysis.", "cycle_result"))}
    assert set(earlier.values()) <= {"success", "skipped"}, earlier
    found = statuses(cycle)
    assert found["Analysis"].status is BatchStatus.FAILED
    assert found["Grouping"].status is BatchStatus.INITIATED
    assert cycle.teams.titles() == [f"✗ [{cycle.name}] Batch Failed: Analysis"]


@pytest.fixture
def workbook_without_rollups(tmp_path: Path) -> Path:
    """The sample without its two rollup groups: the cycle needs no Grouping Rollup batch."""
    from openpyxl import load_workbook

    book = load_workbook(SAMPLE_WORKBOOK)
    for sheet_name, column in (("Groupings", "Group_Name"), ("Products and Perils", "Analysis Name")):
        sheet = book[sheet_name]
        index = [cell.value for cell in sheet[1]].index(column) + 1
        for row in range(sheet.max_row, 1, -1):
            if sheet.cell(row, index).value in ROLLUPS:
                sheet.delete_rows(row)
    path = tmp_path / "no_rollups.xlsx"
    book.save(path)
    return path


def test_a_batch_type_the_workbook_does_not_need_passes_on_only_what_completed(cycle, workbook_without_rollups):
    """No rollup groups: after a failed Grouping, Grouping Rollup (not needed) must not let Export
    to RDM start; once Grouping is repaired, it lets Export run and the cycle completes."""
    cycle.declare(workbook_without_rollups)
    cycle.simulator.admin.job_outcome(kind="grouping", nameRegex=f"^{FAILING_GROUP}$", outcome="FAILED")
    run = cycle.run()
    assert run.state == "failed"
    states = task_states(run)
    assert "failed" in {state for (task, _), state in states.items() if task == "grouping.job"}
    assert states[("grouping_rollup.prepare", -1)] == "upstream_failed"  # not needed, and Grouping did not complete
    assert states[("export_to_rdm.prepare", -1)] == "upstream_failed"
    assert "Export to RDM" not in {t.split(": ")[-1] for t in cycle.teams.titles()}
    assert statuses(cycle)["Export to RDM"].status is BatchStatus.INITIATED
    assert [j for j in cycle.simulator.admin.state()["jobs"] if j["kind"] == "export"] == []

    cycle.simulator.admin.clear_job_outcomes()
    dag = cycle.dag()
    run = clear_and_resume(dag, run, failed_with_downstream(dag, run))
    assert run.state == "success", not_ok(run)
    states = task_states(run)
    assert states[("grouping_rollup.prepare", -1)] == "success"
    # It lists no job: its job task is skipped by the scheduler, never run.
    assert {key for key in states if key[0].startswith("grouping_rollup.")} == {
        ("grouping_rollup.prepare", -1), ("grouping_rollup.job", -1),
    }  # fmt: skip
    assert states[("grouping_rollup.job", -1)] == "skipped"
    assert states[("cycle_result", -1)] == "success"
    found = statuses(cycle)
    assert "Grouping Rollup" not in found
    assert {b.status for b in found.values()} == {BatchStatus.COMPLETED}


def test_a_stopped_wait_reconciles_to_cancelled_not_stalled(cycle):
    """A person marks a deferred wait failed: the triggerer's on_kill cancels the Moody's job, which
    passes through CANCEL_REQUESTED and CANCELLING; recon follows it to CANCELLED and Teams says
    "Batch Cancelled", not "Batch Stalled"."""
    admin = cycle.simulator.admin
    admin.job_outcome(kind="model", nameRegex=f"^{FAILING_ANALYSIS}$", outcome="FAILED")
    run = cycle.run()
    assert run.state == "failed"
    (failed_wait,) = [ti for ti in run.get_task_instances() if ti.task_id == "analysis.job" and ti.state == "failed"]
    admin.clear_job_outcomes()
    admin.job_outcome(kind="model", nameRegex=f"^{FAILING_ANALYSIS}$", outcome="STALL")  # runs until stopped

    def person_stops_the_wait(dag_run: Any, held: dict[tuple[str, int], Any]) -> None:
        """What the UI's "mark failed" and then the triggerer do."""
        from airflow.utils.state import TaskInstanceState

        (key,) = held
        waiting = jobs.latest_job(analysis_job(cycle, FAILING_ANALYSIS).id, store=cycle.store)
        assert waiting.status.in_progress  # SUBMITTED: a job task no longer polls a job it just submitted
        dag_run.dag.set_task_instance_state(
            task_id=key[0], map_indexes=[key[1]], run_id=dag_run.run_id, state=TaskInstanceState.FAILED
        )
        # A slow cancellation in Moody's (2 s in CANCEL_REQUESTED, 2 s in CANCELLING): recon must
        # follow it to the end instead of reporting what it sees first.
        options = cycle.simulator.simulator.options
        running_seconds = options.running_seconds
        admin.configure(running_seconds=4.0)
        try:
            asyncio.run(trigger_of(held[key]).on_kill())
        finally:
            admin.configure(running_seconds=running_seconds)

    dag = cycle.dag()
    run = clear_and_resume(
        dag,
        run,
        select=failed_with_downstream(dag, run),  # the UI's "Clear" on the failed job task
        hold=lambda ti: (ti.task_id, ti.map_index) == (failed_wait.task_id, failed_wait.map_index),
        stuck=person_stops_the_wait,
    )
    assert run.state == "failed"
    stopped = jobs.latest_job(analysis_job(cycle, FAILING_ANALYSIS).id, store=cycle.store)
    assert stopped.status is JobStatus.CANCELLED
    moodys = [j for j in admin.state()["jobs"] if j["kind"] == "model" and j["name"] == FAILING_ANALYSIS]
    assert [j["status"] for j in moodys] == ["FAILED", "CANCELLED"]
    assert statuses(cycle)["Analysis"].status is BatchStatus.CANCELLED
    assert cycle.teams.titles()[0].endswith(f"[{cycle.name}] Batch Failed: Analysis")
    (second,) = cycle.teams.titles()[1:]
    assert second.endswith(f"[{cycle.name}] Batch Cancelled: Analysis")
    states = task_states(run)
    assert states[("cycle_result", -1)] == "failed"
    assert states[("grouping.prepare", -1)] == "upstream_failed"


# -- driving a run whose wait stays deferred ---------------------------------------------------------
def trigger_of(defer: Any) -> Any:
    """The trigger a deferred task handed over, built the way the triggerer builds it."""
    from airflow.sdk.serde import deserialize

    module, _, name = defer.classpath.rpartition(".")
    return getattr(importlib.import_module(module), name)(**deserialize(defer.trigger_kwargs))


def test_a_failed_seed_job_fails_export_prepare_and_clearing_it_resubmits_the_seed(cycle):
    """Export to RDM's seed job (it creates the RDM) runs in the batch type's prepare task: when it
    fails, that task is the red one and the other exports never start; clearing it resubmits the
    seed — without asking about or deleting the RDM again — and the cycle completes."""
    cycle.simulator.admin.job_outcome(kind="export", nameRegex=".*", outcome="FAILED")
    run = cycle.run()
    assert run.state == "failed"
    states = task_states(run)
    assert {task for (task, _), state in states.items() if state == "failed"} == {
        "export_to_rdm.prepare", "cycle_result",
    }  # fmt: skip
    assert states[("export_to_rdm.job", -1)] == "upstream_failed"
    exports = [j for j in cycle.simulator.admin.state()["jobs"] if j["kind"] == "export"]
    assert len(exports) == 1  # the seed only
    # Its other jobs never ran: the verdict finds the batch open and tells Teams it stalled.
    assert statuses(cycle)["Export to RDM"].status is BatchStatus.ACTIVE
    (title,) = cycle.teams.titles()
    assert title.endswith(f"[{cycle.name}] Batch Stalled: Export to RDM")

    cycle.simulator.admin.clear_job_outcomes()
    dag = cycle.dag()
    run = clear_and_resume(dag, run, failed_with_downstream(dag, run))
    assert run.state == "success", not_ok(run)
    exports = [j for j in cycle.simulator.admin.state()["jobs"] if j["kind"] == "export"]
    assert len(exports) == 16  # the failed seed, its resubmission, the 14 others
    export_jobs = batches.get_batch_jobs(statuses(cycle)["Export to RDM"].batch_id, store=cycle.store)
    (seed,) = [j for j in export_jobs if j.parent_job_id is not None]
    assert seed.status is JobStatus.FINISHED
    assert jobs.read_job(seed.parent_job_id, store=cycle.store).status is JobStatus.FAILED
    assert {b.status for b in statuses(cycle).values()} == {BatchStatus.COMPLETED}
