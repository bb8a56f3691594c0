"""Who may see and repair what, through a real ``airflow api-server`` and its SimpleAuthManager:
a user with no role may read no cycle DAG (403), a viewer reads but may not trigger ``irp_repair``,
a "user" gets the repair links and a pre-filled form whose run Airflow creates as them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape

import httpx
import pytest

from irp.constants import BatchType, JobStatus
from irp.repair_request import REPAIR_DAG_ID
from tests.dashboard.demo import DEMO_CYCLE, DemoCycle
from tests.dashboard.server import OPERATOR, OUTSIDER, USERNAME, ApiServer

CYCLE_ROUTES = [
    f"/irp/api/cycles/{DEMO_CYCLE}",
    f"/irp/api/cycles/{DEMO_CYCLE}/batches",
    f"/irp/api/cycles/{DEMO_CYCLE}/repairs",
    "/irp/api/batches/{batch}",
    "/irp/api/batches/{batch}/jobs",
    "/irp/api/jobs/{job}",
]
PAGES = [f"/irp/cycles/{DEMO_CYCLE}", f"/irp/cycles/{DEMO_CYCLE}/batches/{{batch}}", "/irp/jobs/{job}"]
TRIGGER = f"/api/v2/dags/{REPAIR_DAG_ID}/dagRuns"


@pytest.fixture
def signed_in(api_server: ApiServer) -> Iterator[dict[str, httpx.Client]]:
    """A browser per user: the UI's ``_token`` cookie, as after signing in to Airflow."""
    clients = {
        user: httpx.Client(base_url=api_server.base_url, cookies={"_token": api_server.token(user)})
        for user in (USERNAME, OPERATOR, OUTSIDER)
    }
    yield clients
    for client in clients.values():
        client.close()


def job_of(demo: DemoCycle, status: JobStatus) -> int:
    return next(job.id for job in demo.jobs[BatchType.ANALYSIS] if job.status is status and not job.skipped)


def repair_actions(html: str) -> list[str]:
    return re.findall(r'data-repair-action="([a-z_]+)"', html)


def ids(demo: DemoCycle) -> dict[str, int]:
    return {"batch": demo.batch_ids[BatchType.ANALYSIS], "job": job_of(demo, JobStatus.FAILED)}


def test_a_user_without_read_access_to_the_cycle_dag_is_refused(
    signed_in: dict[str, httpx.Client], demo: DemoCycle
) -> None:
    outsider = signed_in[OUTSIDER]
    assert outsider.get("/irp/api/cycles").json() == []  # the cycle is not listed
    assert "data-cycle=" not in outsider.get("/irp/").text
    for route in CYCLE_ROUTES:
        response = outsider.get(route.format(**ids(demo)))
        assert response.status_code == 403, route
        assert response.json() == {"detail": f"You may not read the DAG {demo.dag_id}, so not cycle {DEMO_CYCLE!r}"}
    for route in PAGES:
        response = outsider.get(route.format(**ids(demo)), follow_redirects=False)
        assert response.status_code == 403, route  # a page saying why, not a detour through the login
        assert "data-forbidden" in response.text
        assert "GCHU" not in response.text
    assert outsider.get("/irp/api/batches/999999").status_code == 404
    viewer = signed_in[USERNAME]
    assert [c["cycle_name"] for c in viewer.get("/irp/api/cycles").json()] == [DEMO_CYCLE]
    for route in CYCLE_ROUTES:
        assert viewer.get(route.format(**ids(demo))).status_code == 200, route


def test_a_viewer_gets_no_repair_links_and_may_not_trigger_repairs(
    signed_in: dict[str, httpx.Client], demo: DemoCycle
) -> None:
    viewer = signed_in[USERNAME]
    failed = job_of(demo, JobStatus.FAILED)
    for route in PAGES:
        page = viewer.get(route.format(**ids(demo)))
        assert page.status_code == 200
        assert repair_actions(page.text) == []
    response = viewer.get("/irp/repair", params={"action": "skip_job", "job_id": failed})
    assert response.status_code == 403
    assert f"You may not trigger the DAG {REPAIR_DAG_ID}" in unescape(response.text)
    conf = {"action": "skip_job", "job_id": failed, "reason": "not mine to do"}
    assert viewer.post(TRIGGER, json={"logical_date": None, "conf": conf}).status_code == 403  # Airflow's own check


def test_an_operator_gets_repair_links_and_a_filled_in_form_that_triggers_irp_repair(
    signed_in: dict[str, httpx.Client], demo: DemoCycle
) -> None:
    operator = signed_in[OPERATOR]
    failed, running = job_of(demo, JobStatus.FAILED), job_of(demo, JobStatus.RUNNING)
    batch = demo.batch_ids[BatchType.ANALYSIS]
    assert repair_actions(operator.get(f"/irp/jobs/{failed}").text) == ["resubmit_with_changes", "skip_job"]
    assert repair_actions(operator.get(f"/irp/jobs/{running}").text) == ["cancel_job"]
    replaced, _ = demo.resubmitted
    assert repair_actions(operator.get(f"/irp/jobs/{replaced}").text) == []  # its replacement is the one to repair
    assert repair_actions(operator.get(f"/irp/cycles/{DEMO_CYCLE}/batches/{batch}").text) == ["cancel_batch"]
    assert repair_actions(operator.get(f"/irp/cycles/{DEMO_CYCLE}").text) == ["archive_cycle"]

    link = re.search(
        r'data-repair-action="resubmit_with_changes" href="([^"]+)"', operator.get(f"/irp/jobs/{failed}").text
    )
    assert link
    form = operator.get(unescape(link.group(1)))
    assert form.status_code == 200
    configuration = operator.get(f"/irp/api/jobs/{failed}").json()["configuration"]
    conf = json.loads(re.search(r'<script type="application/json" id="repair-conf">(.*?)</script>', form.text).group(1))
    assert conf == {"action": "resubmit_with_changes", "job_id": failed, "parameters": configuration, "reason": ""}
    textarea = re.search(r'<textarea id="parameters"[^>]*>(.*?)</textarea>', form.text, re.S).group(1)
    assert json.loads(unescape(textarea)) == configuration
    assert f'data-api="{TRIGGER}"' in form.text

    # What the form's button sends: the run, created by Airflow as the signed-in operator.
    conf = {**conf, "parameters": {**configuration, "Tag 2": "rerun"}, "reason": "rerun with a tag"}
    created = operator.post(TRIGGER, json={"logical_date": None, "conf": conf, "note": "Resubmit with changes"})
    assert created.status_code == 200, created.text
    run = operator.get(f"{TRIGGER}/{created.json()['dag_run_id']}").json()
    assert (run["conf"], run["triggering_user_name"], run["note"]) == (conf, OPERATOR, "Resubmit with changes")


def test_the_repair_page_needs_its_target(signed_in: dict[str, httpx.Client], demo: DemoCycle) -> None:
    operator = signed_in[OPERATOR]
    assert operator.get("/irp/repair", params={"action": "skip_job"}).status_code == 404
    assert operator.get("/irp/repair", params={"action": "skip_job", "job_id": 999999}).status_code == 404
    assert operator.get("/irp/repair", params={"action": "nonsense", "job_id": 1}).status_code == 422
    outsider = signed_in[OUTSIDER]
    assert outsider.get("/irp/repair", params={"action": "skip_job", "job_id": 1}).status_code == 403
