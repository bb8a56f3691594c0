"""A batch's look-ups answered once: a prepare-like hook validates and rehearses the batch's
submissions (each up to its first write), and a job task's hook that starts from a job's answers
sends only its writes; what is not found is asked again, and a delete forgets everything."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from irp.constants import BatchType
from irp.moodys.api import ApiPath
from irp.moodys.errors import MoodysUnavailableError
from irp.moodys.hook import MoodysHook
from irp.moodys.references import Kind, References
from moodys.cycle import (
    ANALYSIS,
    EDM,
    FAST_RETRIES,
    INSTALLATION,
    cycle_configs,
    run_cycle_until,
)
from moodys_simulator.testing import RunningSimulator
from tests.support.specs import spec

#: Look-ups that may end in a create: never answered from references.
LOOK_UP_TO_CREATE = {f"GET {ApiPath.TAGS}", f"GET {ApiPath.EXPOSURE_SETS}"}


def routes(sim: RunningSimulator) -> Counter[str]:
    return Counter(sim.admin.state()["apiRoutes"])


def reads(delta: Counter[str]) -> dict[str, int]:
    return {route: n for route, n in delta.items() if route.startswith("GET") and route not in LOOK_UP_TO_CREATE}


@pytest.fixture
def job_hook(hook: MoodysHook, data_dir: Path) -> Iterator[MoodysHook]:
    """A second hook, as a job task has: it shares nothing with the prepare's but the connection."""
    moodys = MoodysHook(moodys_conn_id="moodys_default", retry_policy=FAST_RETRIES, data_directory=data_dir)
    yield moodys
    moodys.close()


def prepare(hook: MoodysHook, batch_type: BatchType, configs: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """What a batch's prepare does: validate, then rehearse, on one hook with references."""
    hook.references = References()
    jobs = {job_id: spec(batch_type, config) for job_id, config in enumerate(configs, start=1)}
    assert not [m for m in hook.validate_entities(batch_type, list(jobs.values())) if m.blocking]
    return hook.rehearse_submissions(batch_type, jobs)


@pytest.mark.parametrize(
    "batch_type",
    [BatchType.PORTFOLIO_CREATION, BatchType.MRI_IMPORT, BatchType.GEOHAZ, BatchType.ANALYSIS, BatchType.GROUPING],
)
def test_a_job_that_starts_from_its_answers_sends_only_writes(
    sim: RunningSimulator, hook: MoodysHook, job_hook: MoodysHook, batch_type: BatchType
) -> None:
    run_cycle_until(hook, batch_type)
    configs = cycle_configs(batch_type)
    answers = prepare(hook, batch_type, configs)
    assert answers[1], "the rehearsal found the job's look-ups"
    job_hook.use_references(answers[1])
    before = routes(sim)
    result = job_hook.submit_job(batch_type, 9001, spec(batch_type, configs[0]), installation_id=INSTALLATION)
    sent = routes(sim) - before
    assert result.workflow_id
    assert reads(sent) == {}, f"looked up again: {reads(sent)}"
    assert any(not route.startswith("GET") for route in sent)


def test_the_answers_give_the_same_request_as_looking_up(
    sim: RunningSimulator, hook: MoodysHook, job_hook: MoodysHook
) -> None:
    run_cycle_until(hook, BatchType.ANALYSIS)
    first, second = cycle_configs(BatchType.ANALYSIS)
    answers = prepare(hook, BatchType.ANALYSIS, [first, second])
    job_hook.use_references(answers[1])
    with_answers = job_hook.submit_job(
        BatchType.ANALYSIS, 9001, spec(BatchType.ANALYSIS, first), installation_id=INSTALLATION
    )
    job_hook.references = None
    looked_up = job_hook.submit_job(
        BatchType.ANALYSIS, 9002, spec(BatchType.ANALYSIS, second), installation_id=INSTALLATION
    )
    ours, theirs = with_answers.request["http_request_body"], looked_up.request["http_request_body"]
    assert ours["resourceUri"] == theirs["resourceUri"]
    for field in ("modelProfileId", "outputProfileId", "treatyIds", "currency"):
        assert ours["settings"][field] == theirs["settings"][field], field


def test_each_job_gets_only_the_answers_its_look_ups_used(hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.GROUPING_ROLLUP)
    answers = prepare(hook, BatchType.GROUPING_ROLLUP, cycle_configs(BatchType.GROUPING_ROLLUP))
    kinds = {name.split('"')[1] for name in answers[1]}
    assert {Kind.GROUP, Kind.ANALYSIS, Kind.ANALYSIS_REGIONS, Kind.CURRENCY_VINTAGES} <= kinds
    assert not kinds & {Kind.EDM, Kind.PORTFOLIO}  # validation's, not this job's


def test_a_batch_looks_each_thing_up_once(sim: RunningSimulator, hook: MoodysHook) -> None:
    """Two analyses on the same EDM, portfolio and profiles: validation's searches answer the
    rehearsal, which asks Moody's only for what validation did not look at (the currency)."""
    run_cycle_until(hook, BatchType.ANALYSIS)
    hook.references = References()
    jobs = {n: spec(BatchType.ANALYSIS, config) for n, config in enumerate(cycle_configs(BatchType.ANALYSIS), 1)}
    hook.validate_entities(BatchType.ANALYSIS, list(jobs.values()))
    before = routes(sim)
    hook.rehearse_submissions(BatchType.ANALYSIS, jobs)
    assert reads(routes(sim) - before) == {f"GET {ApiPath.CURRENCY_VINTAGES}": 1}


def test_not_found_is_asked_again(sim: RunningSimulator, hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.ANALYSIS)
    api = MoodysHook(moodys_conn_id="moodys_default", retry_policy=FAST_RETRIES, references=References()).api
    assert api.find_analyses([ANALYSIS], EDM) == []
    before = routes(sim)
    assert api.find_analyses([ANALYSIS], EDM) == []
    assert sum((routes(sim) - before).values()) == 1
    api.edm(EDM)
    before = routes(sim)
    api.edm(EDM)
    assert routes(sim) == before, "what exists is answered from the references"


def test_a_delete_forgets_what_was_found(hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.GROUPING)
    hook.references = References()
    assert hook.api.find_analyses([ANALYSIS], EDM)
    assert len(hook.references)
    assert hook.delete_analyses([(ANALYSIS, EDM)]) == []
    assert len(hook.references) == 0
    assert hook.api.find_analyses([ANALYSIS], EDM) == []  # asked again: gone


def test_an_outage_during_the_rehearsal_is_raised(sim: RunningSimulator, hook: MoodysHook) -> None:
    run_cycle_until(hook, BatchType.GROUPING)
    hook.references = References()
    sim.admin.fault(method="GET", pathRegex="^/platform/riskdata/v1/analyses", status=503, times=100)
    with pytest.raises(MoodysUnavailableError):
        hook.rehearse_submissions(
            BatchType.GROUPING, {1: spec(BatchType.GROUPING, cycle_configs(BatchType.GROUPING)[0])}
        )


@pytest.mark.parametrize("batch_type", [BatchType.EDM_CREATION, BatchType.EXPORT_TO_RDM])
def test_a_rehearsal_sends_no_write(sim: RunningSimulator, hook: MoodysHook, batch_type: BatchType) -> None:
    run_cycle_until(hook, batch_type)
    hook.references = References()
    jobs = {n: spec(batch_type, config) for n, config in enumerate(cycle_configs(batch_type), 1)}
    before = routes(sim)
    hook.rehearse_submissions(batch_type, jobs)
    sent = routes(sim) - before
    assert sent
    assert all(route.startswith("GET") for route in sent), sent
    assert f"GET {ApiPath.EXPOSURE_SETS}" not in sent  # looking up to create is part of the write
