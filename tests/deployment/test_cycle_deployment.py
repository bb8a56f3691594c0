"""The sample cycle on a real deployment, under the faults a quarter-end brings."""

from __future__ import annotations

import pytest

from tests.deployment.deployment import Deployment, Services
from tests.deployment.scenario import CycleRun

pytestmark = pytest.mark.usefixtures("keep_logs")


def test_happy_path(deployment: tuple[Deployment, Services]) -> None:
    run = CycleRun(*deployment, "dep-happy")
    run.start()
    assert run.wait() == "success"
    run.assert_completed()
    states = {ti["state"] for ti in run.tasks()}
    assert states <= {"success", "skipped"}
    assert all(ti["try_number"] == 1 for ti in run.tasks())  # no retries
    assert run.teams_titles() == []
