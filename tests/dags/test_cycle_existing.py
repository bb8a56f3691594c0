"""Entities that already exist in Moody's: keep them (skip their jobs) or delete and re-run them."""

from __future__ import annotations

from irp import batch as batches
from irp import job as jobs
from irp.constants import BatchStatus, JobStatus
from irp.existing import KEPT_REASON
from irp.reports import cycle_batches
from tests.support.airflow_runs import task_states


def batch_of(cycle, batch_type):
    return next(b for b in cycle_batches(cycle.name, store=cycle.store) if b.batch_type.value == batch_type)


def jobs_by_name(cycle, batch_type, field):
    batch = batch_of(cycle, batch_type)
    found: dict[str, list] = {}
    for job in batches.get_batch_jobs(batch.batch_id, store=cycle.store):
        name = jobs.get_job_config(job.id, store=cycle.store).job_configuration_data[field]
        found.setdefault(name, []).append(job)
    return found


def moodys_jobs(cycle, kind):
    return [j for j in cycle.simulator.admin.state()["jobs"] if j["kind"] == kind]


def test_skip_keeps_existing_analyses_and_completes(cycle):
    assert cycle.run().state == "success"
    (caeq,) = jobs_by_name(cycle, "Analysis", "Analysis Name")["CAEQ"]
    reopened = jobs.resubmit_job(caeq.id, store=cycle.store)  # a job to run whose analysis exists
    run = cycle.run(on_existing="skip")
    assert run.state == "success"
    kept = jobs.read_job(reopened, store=cycle.store)
    assert kept.skipped
    assert kept.status is JobStatus.INITIATED
    assert jobs.get_job_config(reopened, store=cycle.store).skipped_reason_txt.startswith(KEPT_REASON)
    assert batch_of(cycle, "Analysis").status is BatchStatus.COMPLETED
    assert len([j for j in moodys_jobs(cycle, "model") if j["name"] == "CAEQ"]) == 1  # nothing re-run


def test_rerun_deletes_and_runs_again(cycle):
    """Jobs still to run whose analysis exists: the analysis is deleted and the job runs; what the
    cycle already finished is its own work and is left alone."""
    assert cycle.run().state == "success"
    analyses = jobs_by_name(cycle, "Analysis", "Analysis Name")
    reopened = {name: jobs.resubmit_job(analyses[name][0].id, store=cycle.store) for name in ("CAEQ", "MWST_Low_Frq")}
    before = {
        a["analysisName"]: a["analysisId"] for a in cycle.simulator.admin.state()["analyses"] if not a.get("isGroup")
    }
    run = cycle.run(on_existing="rerun")
    assert run.state == "success"
    assert {b.status for b in cycle_batches(cycle.name, store=cycle.store)} == {BatchStatus.COMPLETED}
    for job_id in reopened.values():
        assert jobs.read_job(job_id, store=cycle.store).status is JobStatus.FINISHED
    after = {
        a["analysisName"]: a["analysisId"] for a in cycle.simulator.admin.state()["analyses"] if not a.get("isGroup")
    }
    assert set(after) == set(before)
    assert {name for name in before if before[name] != after[name]} == set(reopened)  # deleted and created again
    assert len(moodys_jobs(cycle, "model")) == 9 + len(reopened)
    assert len(moodys_jobs(cycle, "export")) == 15  # the finished export was not redone


def test_a_rerun_that_fails_stops_at_the_failed_batch(cycle):
    """A second run of a cycle whose Analysis fails: later batch types are not reconciled as done
    from the first run's jobs, and the run fails."""
    assert cycle.run().state == "success"
    (caeq,) = jobs_by_name(cycle, "Analysis", "Analysis Name")["CAEQ"]
    jobs.resubmit_job(caeq.id, store=cycle.store)
    cycle.simulator.admin.job_outcome(kind="model", nameRegex="^CAEQ$", outcome="FAILED")
    run = cycle.run(on_existing="rerun")
    assert run.state == "failed"
    states = task_states(run)
    assert "failed" in {state for (task, _), state in states.items() if task == "analysis.job"}
    assert states[("grouping.prepare", -1)] == "upstream_failed"  # not red
    assert states[("export_to_rdm.prepare", -1)] == "upstream_failed"
    assert states[("cycle_result", -1)] == "failed"
    assert batch_of(cycle, "Analysis").status is BatchStatus.FAILED
    assert len(moodys_jobs(cycle, "export")) == 15  # nothing exported again


def test_ask_lets_a_person_choose_which_existing_entities_to_rerun(cycle):
    """on_existing=ask: the run waits in Airflow's human-in-the-loop form; the analyst picks one
    analysis to delete and re-run, keeps the others, and keeps the existing groups and RDM."""
    from irp.existing import Decision
    from tests.support.hitl import human_answers

    assert cycle.run().state == "success"
    analyses = jobs_by_name(cycle, "Analysis", "Analysis Name")
    (caeq,) = analyses["CAEQ"]
    (mwst,) = analyses["MWST_High_Frq"]
    reopened = {name: jobs.resubmit_job(job.id, store=cycle.store) for name, job in (("CAEQ", caeq), ("MWST", mwst))}
    caeq_entity = f"{jobs.get_job_config(caeq.id, store=cycle.store).job_configuration_data['Database']}/CAEQ"

    def answer(task_id, detail):
        if task_id == "analysis.prepare":
            return [Decision.RERUN_SELECTED.value], {"rerun": [caeq_entity]}
        return [Decision.KEEP.value], {}

    with human_answers(cycle.dag_id, answer) as person:
        run = cycle.run(on_existing="ask")
    assert person.errors == []
    # Only Analysis has jobs to run whose entities exist; finished groups and the RDM are the cycle's own.
    assert [task for task, _, _ in person.answered] == ["analysis.prepare"]
    assert run.state == "success"
    assert jobs.read_job(reopened["CAEQ"], store=cycle.store).status is JobStatus.FINISHED  # re-run
    kept = jobs.read_job(reopened["MWST"], store=cycle.store)
    assert kept.skipped
    assert kept.status is JobStatus.INITIATED
    model = moodys_jobs(cycle, "model")
    assert len([j for j in model if j["name"] == "CAEQ"]) == 2
    assert len([j for j in model if j["name"] == "MWST_High_Frq"]) == 1
    assert batch_of(cycle, "Analysis").status is BatchStatus.COMPLETED
