"""Entities that already exist (irp.existing) when Moody's has an outage part-way through:
the task retries, and its retry deletes only what the first try left."""

from __future__ import annotations

import pytest

from irp import batch as batches
from irp.constants import BatchType
from irp.existing import find_existing, rerun
from irp.moodys.errors import MoodysUnavailableError
from irp.moodys.hook import MoodysHook
from moodys.cycle import ANALYSIS, ANALYSIS_2, EDM, cycle_configs, run_cycle_until
from moodys_simulator.testing import RunningSimulator
from tests.store.conftest import insert_configuration


def test_an_outage_raises_and_a_retry_deletes_only_what_is_left(store, hook: MoodysHook, sim: RunningSimulator):
    run_cycle_until(hook, BatchType.GROUPING)  # both analyses exist in Moody's
    batch_id = batches.create_batch(
        BatchType.ANALYSIS, insert_configuration(store), cycle_configs(BatchType.ANALYSIS), store=store
    )
    found = find_existing(batch_id, hook, store=store)
    assert sorted(item.entity for item in found) == [f"{EDM}/{ANALYSIS}", f"{EDM}/{ANALYSIS_2}"]

    sim.admin.fault(method="GET", pathRegex="^/platform/riskdata/v1/analyses$", status=503, times=100)
    with pytest.raises(MoodysUnavailableError):
        find_existing(batch_id, hook, store=store)
    sim.admin.clear_faults()
    sim.admin.fault(method="DELETE", pathRegex="^/platform/riskdata/v1/analyses/", status=429, times=100, retryAfter=0)
    with pytest.raises(MoodysUnavailableError):
        rerun(batch_id, found, hook, store=store)
    sim.admin.clear_faults()

    assert hook.delete_analyses([(ANALYSIS, EDM)]) == []  # what the interrupted try had deleted
    assert rerun(batch_id, found, hook, store=store) == [f"{ANALYSIS} ({EDM}): Analysis not found in Moody's"]
    assert rerun(batch_id, found, hook, recheck=True, store=store) == []
    assert hook.api.find_analyses([ANALYSIS, ANALYSIS_2], EDM) == []
