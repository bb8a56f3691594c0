"""The simulator itself, over HTTP: auth and headers, filters, time-based progression, reference
data seeded from the sample workbook, and the one-command start."""

from __future__ import annotations

import json
import socket
import time
import uuid

import httpx
import pytest

from moodys.cycle import API_KEY, RESOURCE_GROUP
from moodys_simulator.testing import RunningSimulator, running_simulator, simulator_process
from tests.conftest import REFERENCE_WORKBOOK, shared_file

HEADERS = {"Authorization": API_KEY, "x-rms-resource-group-id": RESOURCE_GROUP}


@pytest.fixture
def http(sim: RunningSimulator) -> httpx.Client:
    with httpx.Client(base_url=sim.base_url, headers=HEADERS) as client:
        yield client


def create_edm(http: httpx.Client, name: str) -> str:
    set_location = http.post("/platform/riskdata/v1/exposuresets", json={"exposureSetName": name}).headers["location"]
    set_id = set_location.rsplit("/", 1)[-1]
    response = http.post(
        f"/platform/riskdata/v1/exposuresets/{set_id}/exposures", json={"exposureName": name, "serverId": 88094}
    )
    assert response.status_code == 202
    return response.headers["location"]


def test_locations_are_absolute(http: httpx.Client, sim: RunningSimulator) -> None:
    location = create_edm(http, "EDM_A")
    assert location.startswith(f"{sim.base_url}/platform/riskdata/v1/jobs/")
    assert location.rsplit("/", 1)[-1].isdigit()


def test_resource_group_header_is_required(http: httpx.Client) -> None:
    response = http.get("/platform/riskdata/v1/dataservers", headers={"x-rms-resource-group-id": ""})
    assert response.status_code == 400
    assert response.json()["code"] == "MISSING_RESOURCE_GROUP"


def test_errors_carry_code_message_and_log_id(http: httpx.Client) -> None:
    body = http.get("/platform/riskdata/v1/exposures", headers={"Authorization": "wrong"}).json()
    assert set(body) == {"code", "message", "logId"}


def test_filter_grammar(http: httpx.Client) -> None:
    for name in ("EDM_A", "EDM_B", "OTHER"):
        create_edm(http, name)
    jobs = http.get("/platform/riskdata/v1/jobs", params={"limit": 100}).json()
    ids = [job["jobId"] for job in jobs]
    filtered = http.get("/platform/riskdata/v1/jobs", params={"filter": f'jobId IN ("{ids[0]}", "{ids[2]}")'}).json()
    assert [job["jobId"] for job in filtered] == [ids[0], ids[2]]
    assert http.get("/platform/riskdata/v1/jobs", params={"filter": "nope = 1"}).status_code == 400
    sets = http.get(
        "/platform/riskdata/v1/exposuresets",
        params={"filter": 'exposureSetName LIKE "EDM_*" OR exposureSetName = OTHER'},
    )
    assert [row["exposureSetName"] for row in sets.json()] == ["EDM_A", "EDM_B", "OTHER"]
    servers = http.get("/platform/riskdata/v1/dataservers", params={"filter": "SERVERNAME = 'databridge-1'"}).json()
    assert [server["serverId"] for server in servers] == [88094]


def test_overlong_query_is_431(http: httpx.Client) -> None:
    response = http.get("/platform/riskdata/v1/exposures", params={"filter": "x" * 5000})
    assert response.status_code == 431


def test_pagination_counts_records(http: httpx.Client) -> None:
    for number in range(5):
        http.post("/platform/riskdata/v1/exposuresets", json={"exposureSetName": f"S{number}"})
    page = http.get("/platform/riskdata/v1/exposuresets", params={"limit": 2, "offset": 2}).json()
    assert [row["exposureSetName"] for row in page] == ["S2", "S3"]


def test_time_mode_progresses_with_the_clock(sim: RunningSimulator, http: httpx.Client) -> None:
    sim.admin.configure(mode="time", queued_seconds=10, pending_seconds=10, running_seconds=20)
    job_path = create_edm(http, "EDM_T").removeprefix(sim.base_url)
    seen = [http.get(job_path).json()["status"]]
    for _ in range(4):
        sim.admin.advance_clock(10)
        seen.append(http.get(job_path).json()["status"])
    assert seen == ["QUEUED", "PENDING", "RUNNING", "RUNNING", "FINISHED"]
    names = [edm["exposureName"] for edm in sim.admin.state()["edms"]]
    assert names == ["EDM_T"]


def test_side_effects_apply_only_on_finished(sim: RunningSimulator, http: httpx.Client) -> None:
    sim.admin.job_outcome(kind="riskdata", nameRegex="^DOOMED", outcome="FAILED", atProgress=40, message="disk full")
    job_path = create_edm(http, "DOOMED_EDM").removeprefix(sim.base_url)
    statuses = [http.get(job_path).json() for _ in range(6)]
    assert statuses[-1]["status"] == "FAILED"
    assert statuses[-1]["progress"] == 40
    assert statuses[-1]["details"]["summary"] == "disk full"
    assert sim.admin.state()["edms"] == []


def test_workflow_view_renders_any_job(http: httpx.Client, sim: RunningSimulator) -> None:
    job_id = create_edm(http, "EDM_W").rsplit("/", 1)[-1]
    workflow = http.get(f"/riskmodeler/v1/workflows/{job_id}").json()
    assert workflow["id"] == int(job_id)
    assert {"jobs", "summary", "output", "messages", "progress"} <= set(workflow)
    batch = http.get("/riskmodeler/v1/workflows", params={"ids": job_id}).json()
    assert batch["totalMatchCount"] == 1


def test_reference_data_is_seeded_from_the_workbook() -> None:
    workbook = shared_file(REFERENCE_WORKBOOK)
    with (
        running_simulator(seed_workbook=str(workbook), api_keys=(API_KEY,)) as sim,
        httpx.Client(base_url=sim.base_url, headers=HEADERS) as http,
    ):
        profiles = http.get("/analysis-settings/modelprofiles", params={"name": "DLM CBHU v23"}).json()
        assert profiles["count"] == 1
        assert http.get("/analysis-settings/outputprofiles", params={"name": "HAZARD_Analysis "}).json()
        profile = profiles["items"][0]
        where = (
            f'eventRateSchemeName="RMS 17.0 NA   Stochastic Event Rates" AND perilCode="{profile["perilCode"]}"'
            f' AND modelRegionCode="{profile["modelRegionCode"]}"'
        )
        schemes = http.get("/data-store/referencetables/eventratescheme", params={"where": where}).json()
        assert schemes["count"] == 1
        assert http.get("/data-store/referenceTables/SimulationSet", params={"where": "isActive=true"}).json()["count"]


def test_defaults_work_without_a_workbook(http: httpx.Client) -> None:
    assert http.get("/analysis-settings/modelprofiles", params={"name": "DLM USFL (85% SS) v23"}).json()["count"] == 1
    currency = http.get("/data-store/referencetables/currency", params={"where": 'currencyName="US Dollar"'}).json()
    assert currency["items"][0]["currencyCode"] == "USD"


def test_one_command_start() -> None:
    with simulator_process() as base_url:
        response = httpx.get(
            f"{base_url}/platform/riskdata/v1/dataservers",
            headers={"Authorization": "sim-key", "x-rms-resource-group-id": "rg"},
        )
    assert [server["serverName"] for server in response.json()] == ["databridge-1", "sql-instance-1"]


def test_admin_can_advance_one_job(http: httpx.Client, sim: RunningSimulator) -> None:
    job_id = create_edm(http, "EDM_ADV").rsplit("/", 1)[-1]
    advanced = sim.admin.http.post(f"/_sim/jobs/{job_id}/advance", json={"by": 4}).json()
    assert advanced["status"] == "FINISHED"
    assert [edm["exposureName"] for edm in sim.admin.state()["edms"]] == ["EDM_ADV"]


def test_failure_probability_per_kind(http: httpx.Client, sim: RunningSimulator) -> None:
    sim.admin.configure(failure_rates={"riskdata": 1.0})
    failed = create_edm(http, "EDM_F").removeprefix(sim.base_url)
    sim.admin.configure(failure_rates={"model": 1.0})
    finished = create_edm(http, "EDM_OK").removeprefix(sim.base_url)
    assert [http.get(failed).json()["status"] for _ in range(5)][-1] == "FAILED"
    assert [http.get(finished).json()["status"] for _ in range(5)][-1] == "FINISHED"


def test_latency_injection(http: httpx.Client, sim: RunningSimulator) -> None:
    sim.admin.configure(latency_ms=150)
    start = time.perf_counter()
    http.get("/platform/riskdata/v1/dataservers")
    assert time.perf_counter() - start >= 0.15


def test_a_post_whose_client_went_away_is_processed_and_its_key_replays(
    http: httpx.Client, sim: RunningSimulator
) -> None:
    """Issue 9, defect 2: a task runner killed while its POST is in flight. The request is still
    processed to its end (like the real service), so the same key replays its answer: one job."""
    name = "EDM_CLIENT_GONE"
    set_id = http.post("/platform/riskdata/v1/exposuresets", json={"exposureSetName": name}).headers["location"]
    path = f"/platform/riskdata/v1/exposuresets/{set_id.rsplit('/', 1)[-1]}/exposures"
    key = str(uuid.uuid4())
    body = json.dumps({"exposureName": name, "serverId": 88094}).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {API_KEY}\r\n"
        f"x-rms-resource-group-id: {RESOURCE_GROUP}\r\nX-RMS-RequestId: {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    sim.admin.fault(method="POST", pathRegex="/exposures$", delayMs=500, times=1)
    with socket.create_connection(("127.0.0.1", sim.port)) as client:
        client.sendall(head.encode() + body)
        deadline = time.monotonic() + 5
        while key not in sim.admin.state()["submissions"]:
            assert time.monotonic() < deadline, "the simulator never received the request"
            time.sleep(0.01)
    # The client is gone before the answer. Ask again with the same key until it is no longer in progress.
    deadline = time.monotonic() + 5
    while (replay := http.post(path, json=json.loads(body), headers={"X-RMS-RequestId": key})).status_code == 409:
        assert time.monotonic() < deadline, "the key stayed 'still processing'"
        time.sleep(0.05)
    assert replay.status_code == 202
    assert replay.headers["x-sim-replayed"] == "true"
    (job,) = [job for job in sim.admin.state()["jobs"] if job["name"] == name]
    assert replay.headers["location"].endswith(f"/{job['jobId']}")
    assert sim.admin.state()["submissions"][key]["state"] == "done"


def test_a_fault_window_answers_every_matching_request_for_its_seconds(
    sim: RunningSimulator, http: httpx.Client
) -> None:
    sim.admin.fault(pathRegex="^/platform/riskdata/v1/exposures$", status=429, retryAfter=1, forSeconds=0.5)
    during = [http.get("/platform/riskdata/v1/exposures").status_code for _ in range(5)]
    assert during == [429] * 5  # not a count: every request inside the window
    time.sleep(0.6)
    assert http.get("/platform/riskdata/v1/exposures").status_code == 200
    [rule] = sim.admin.state()["faults"]
    assert (rule["hits"], rule["forSeconds"]) == (5, 0.5)
