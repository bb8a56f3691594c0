"""The dashboard through a real ``airflow api-server``: authentication, JSON data, HTML pages."""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from irp import job as jobs
from irp.constants import BatchStatus, BatchType, JobStatus
from irp.labels import job_label
from irp.store import Store
from tests.dashboard.demo import DEMO_CYCLE, RUN_ID, SUBMISSION_ERROR, DemoCycle
from tests.dashboard.server import ApiServer

CYCLE_PAGE = f"/irp/cycles/{DEMO_CYCLE}"
DATA_ROUTES = [
    "/irp/api/cycles",
    f"/irp/api/cycles/{DEMO_CYCLE}",
    f"/irp/api/cycles/{DEMO_CYCLE}/batches",
    "/irp/api/batches/1",
    "/irp/api/batches/1/jobs",
    "/irp/api/jobs/1",
]
PAGE_ROUTES = ["/irp/", CYCLE_PAGE, f"{CYCLE_PAGE}/batches/1", "/irp/jobs/1"]


def live_counts(demo: DemoCycle, batch_type: BatchType) -> dict[str, int]:
    return dict(Counter(job.status.value for job in demo.jobs[batch_type] if not job.skipped))


# -- authentication -----------------------------------------------------------------------------------
@pytest.mark.parametrize("route", DATA_ROUTES)
def test_data_needs_a_signed_in_user(anonymous: httpx.Client, route: str) -> None:
    response = anonymous.get(route)
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


@pytest.mark.parametrize("route", DATA_ROUTES)
def test_a_forged_token_is_refused(anonymous: httpx.Client, route: str) -> None:
    response = anonymous.get(route, headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 403
    assert DEMO_CYCLE not in response.text


@pytest.mark.parametrize("route", PAGE_ROUTES)
def test_pages_send_a_browser_to_airflow_login_and_back(anonymous: httpx.Client, route: str) -> None:
    response = anonymous.get(route, params={"status": "ACTIVE"} if route == CYCLE_PAGE else None)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/auth/login"
    expected_next = route + ("?status=ACTIVE" if route == CYCLE_PAGE else "")
    assert parse_qs(location.query)["next"] == [expected_next]
    assert DEMO_CYCLE not in response.text


@pytest.mark.parametrize("route", ["/irp/openapi.json", "/irp/docs", "/irp/redoc"])
def test_no_schema_or_docs_page_is_served_outside_the_routes(anonymous: httpx.Client, route: str) -> None:
    assert anonymous.get(route).status_code == 404


def test_the_ui_session_cookie_is_accepted(api_server: ApiServer, token: str) -> None:
    """The Airflow UI keeps its JWT in the ``_token`` cookie; a signed-in user's browser sends it."""
    with httpx.Client(base_url=api_server.base_url, cookies={"_token": token}) as browser:
        assert browser.get("/irp/api/cycles").status_code == 200
        page = browser.get(CYCLE_PAGE)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


def test_the_plugin_is_registered_with_a_navigation_entry(client: httpx.Client) -> None:
    response = client.get("/api/v2/plugins")
    assert response.status_code == 200, response.text
    plugin = next(p for p in response.json()["plugins"] if p["name"] == "irp")
    assert [(app["url_prefix"], app["name"]) for app in plugin["fastapi_apps"]] == [("/irp", "IRP batches")]
    [view] = plugin["external_views"]
    assert (view["destination"], view["href"]) == ("nav", "/irp/")


# -- JSON -----------------------------------------------------------------------------------------------
def test_cycles(client: httpx.Client, demo: DemoCycle) -> None:
    [cycle] = [c for c in client.get("/irp/api/cycles").json() if c["cycle_name"] == DEMO_CYCLE]
    assert cycle["status"] == "ACTIVE"
    assert cycle["dag_id"] == demo.dag_id
    assert cycle["batch_counts"] == dict(Counter(status.value for status in demo.statuses.values()))
    live = [job for batch_jobs in demo.jobs.values() for job in batch_jobs if not job.skipped]
    assert cycle["total_jobs"] == len(live)
    assert cycle["finished_jobs"] == sum(job.status is JobStatus.FINISHED for job in live)
    assert client.get("/irp/api/cycles", params={"status": "ARCHIVED"}).json() == []
    assert client.get(f"/irp/api/cycles/{DEMO_CYCLE}").json() == cycle


def test_cycle_batches(client: httpx.Client, demo: DemoCycle) -> None:
    overviews = client.get(f"/irp/api/cycles/{DEMO_CYCLE}/batches").json()
    assert [o["batch"]["batch_type"] for o in overviews] == [bt.value for bt in BatchType if bt in demo.batch_ids]
    for overview in overviews:
        batch_type = BatchType(overview["batch"]["batch_type"])
        batch = overview["batch"]
        assert batch["batch_id"] == demo.batch_ids[batch_type]
        assert batch["status"] == demo.statuses[batch_type]
        assert batch["job_counts"] == live_counts(demo, batch_type)
        assert overview["total_jobs"] == sum(live_counts(demo, batch_type).values())
        assert overview["links"]["page"] == f"{CYCLE_PAGE}/batches/{batch['batch_id']}"
    by_type = {BatchType(o["batch"]["batch_type"]): o for o in overviews}
    mri = by_type[BatchType.MRI_IMPORT]
    assert [entry["result"] for entry in mri["recon_history"]] == ["COMPLETED", "FAILED"]  # newest first
    assert mri["recon_count"] == 2
    assert mri["progress_percent"] == 100.0
    assert mri["batch"]["skipped_jobs"] == 1
    run = "/runs/manual__2026-11-28T09%3A00%3A00%2B00%3A00"
    assert mri["links"]["dag_run"] == f"/dags/{demo.dag_id}{run}"
    assert mri["links"]["task_group"] == f"/dags/{demo.dag_id}{run}/tasks/group/mri_import"
    assert by_type[BatchType.EXPORT_TO_RDM]["links"]["dag_run"] is None
    assert by_type[BatchType.EXPORT_TO_RDM]["recon_history"] == []
    analysis = by_type[BatchType.ANALYSIS]
    assert analysis["finished_jobs"] == live_counts(demo, BatchType.ANALYSIS)["FINISHED"]
    assert 0 < analysis["progress_percent"] < 100

    filtered = client.get(f"/irp/api/cycles/{DEMO_CYCLE}/batches", params={"status": ["ACTIVE", "INITIATED"]}).json()
    assert {o["batch"]["status"] for o in filtered} == {"ACTIVE", "INITIATED"}
    assert len(filtered) == sum(s in (BatchStatus.ACTIVE, BatchStatus.INITIATED) for s in demo.statuses.values())


def test_batch_jobs(client: httpx.Client, demo: DemoCycle, demo_store: tuple[Store, DemoCycle]) -> None:
    store, _ = demo_store
    batch_id = demo.batch_ids[BatchType.ANALYSIS]
    detail = client.get(f"/irp/api/batches/{batch_id}/jobs").json()
    assert detail["overview"]["batch"]["batch_id"] == batch_id
    assert detail["matching_jobs"] == len(demo.jobs[BatchType.ANALYSIS])
    rows = {row["job_id"]: row for row in detail["jobs"]}
    for job in demo.jobs[BatchType.ANALYSIS]:
        row = rows[job.id]
        config = jobs.get_job_config(job.id, store=store).job_configuration_data
        assert row["entity"] == job_label(BatchType.ANALYSIS, job.id, config) == config["Analysis Name"]
        assert (row["status"], row["moodys_workflow_id"], row["attempt"]) == (job.status, job.moodys_workflow_id, 1)
    error = rows[demo.error_job_id]
    assert (error["status"], error["last_error"], error["moodys_workflow_id"]) == ("ERROR", SUBMISSION_ERROR, None)
    running = [row for row in detail["jobs"] if row["status"] == "RUNNING"]
    assert running
    assert all(0 < row["progress"] < 100 for row in running)

    only_running = client.get(f"/irp/api/batches/{batch_id}/jobs", params={"status": "RUNNING"}).json()
    assert [row["job_id"] for row in only_running["jobs"]] == [row["job_id"] for row in running]
    limited = client.get(f"/irp/api/batches/{batch_id}/jobs", params={"limit": 2}).json()
    assert (len(limited["jobs"]), limited["matching_jobs"]) == (2, len(demo.jobs[BatchType.ANALYSIS]))


def test_resubmission_chain(client: httpx.Client, demo: DemoCycle) -> None:
    original, replacement = demo.resubmitted
    rows = {
        r["job_id"]: r
        for r in client.get(f"/irp/api/batches/{demo.batch_ids[BatchType.MRI_IMPORT]}/jobs").json()["jobs"]
    }
    assert (rows[original]["attempt"], rows[original]["replaced_by_job_id"], rows[original]["skipped"]) == (
        1,
        replacement,
        True,
    )
    assert (rows[original]["status"], rows[replacement]["status"]) == ("FAILED", "FINISHED")
    assert (rows[replacement]["attempt"], rows[replacement]["parent_job_id"]) == (2, original)
    assert rows[replacement]["entity"] == rows[original]["entity"]

    detail = client.get(f"/irp/api/jobs/{replacement}").json()
    assert [row["job_id"] for row in detail["chain"]] == [original, replacement]
    assert [entry["job_status"] for entry in detail["tracking"]] == ["SUBMITTED", "QUEUED", "RUNNING", "FINISHED"]
    assert detail["tracking"][-1]["tracking_data"]["progress"] == 100
    assert detail["cycle_name"] == DEMO_CYCLE
    assert detail["batch_links"]["page"] == f"{CYCLE_PAGE}/batches/{demo.batch_ids[BatchType.MRI_IMPORT]}"
    assert detail["configuration"]["Portfolio"] == detail["job"]["entity"]
    assert client.get(f"/irp/api/jobs/{original}").json()["chain"] == detail["chain"]


@pytest.mark.parametrize(
    ("route", "params"),
    [
        ("/irp/api/cycles/no-such-cycle", None),
        ("/irp/api/cycles/no-such-cycle/batches", None),
        ("/irp/api/batches/999999", None),
        ("/irp/api/batches/999999/jobs", None),
        ("/irp/api/jobs/999999", None),
    ],
)
def test_unknown_things_are_not_found(client: httpx.Client, route: str, params: dict | None) -> None:
    response = client.get(route, params=params)
    assert response.status_code == 404
    assert "not found" in response.json()["detail"]


def test_bad_filters_are_rejected(client: httpx.Client, demo: DemoCycle) -> None:
    batch_id = demo.batch_ids[BatchType.ANALYSIS]
    assert client.get(f"/irp/api/batches/{batch_id}/jobs", params={"status": "DONE"}).status_code == 422
    assert client.get(f"/irp/api/batches/{batch_id}/jobs", params={"limit": 0}).status_code == 422


# -- HTML -----------------------------------------------------------------------------------------------
def test_batches_page(client: httpx.Client, demo: DemoCycle) -> None:
    response = client.get(CYCLE_PAGE)
    assert response.status_code == 200
    html = response.text
    for batch_type, batch_id in demo.batch_ids.items():
        row = html.split(f'<tr data-batch-id="{batch_id}"', 1)[1].split("</tr>", 1)[0]
        assert f'data-status="{demo.statuses[batch_type]}"' in row
        finished = live_counts(demo, batch_type).get("FINISHED", 0)
        assert f"{finished} / {sum(live_counts(demo, batch_type).values())} finished" in row
    run_link = f'href="/dags/{demo.dag_id}/runs/{RUN_ID.replace(":", "%3A").replace("+", "%2B")}" target="_top"'
    assert run_link in html
    assert 'data-refresh="15"' in html

    active = client.get(CYCLE_PAGE, params={"status": "ACTIVE"}).text
    assert active.count("<tr data-batch-id=") == 1
    assert f'data-batch-id="{demo.batch_ids[BatchType.ANALYSIS]}"' in active


def test_batch_page_escapes_what_it_shows(client: httpx.Client, demo: DemoCycle) -> None:
    html = client.get(f"{CYCLE_PAGE}/batches/{demo.batch_ids[BatchType.ANALYSIS]}").text
    assert "&lt;profile&gt; &#x27;DLM 2026&#x27; is not licensed &amp; cannot be used" in html
    assert "<profile>" not in html
    for job in demo.jobs[BatchType.ANALYSIS]:
        assert f'<tr data-job-id="{job.id}" data-status="{job.status}"' in html
    failed = client.get(f"{CYCLE_PAGE}/batches/{demo.batch_ids[BatchType.ANALYSIS]}", params={"status": "FAILED"})
    assert failed.text.count("<tr data-job-id=") == 1


def test_pages_of_unknown_or_mismatched_things_are_not_found(client: httpx.Client, demo: DemoCycle) -> None:
    assert client.get("/irp/cycles/no-such-cycle").status_code == 404
    assert client.get(f"{CYCLE_PAGE}/batches/999999").status_code == 404
    other = client.get(f"/irp/cycles/other-cycle/batches/{demo.batch_ids[BatchType.ANALYSIS]}")
    assert other.status_code == 404
    assert "Not found" in other.text
    assert client.get("/irp/jobs/999999").status_code == 404


def test_job_page(client: httpx.Client, demo: DemoCycle) -> None:
    original, replacement = demo.resubmitted
    html = client.get(f"/irp/jobs/{replacement}").text
    assert "Resubmission chain" in html
    assert f'href="/irp/jobs/{original}"' in html
    assert "Tracking log (4 polls, newest first)" in html
    assert f'href="{CYCLE_PAGE}/batches/{demo.batch_ids[BatchType.MRI_IMPORT]}"' in html
