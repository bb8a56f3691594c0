"""Transport behaviour against the simulator: auth, errors, retries, idempotency, secrets."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from pathlib import Path

import pytest

from irp.constants import BatchType, JobStatus
from irp.moodys.api import ApiPath
from irp.moodys.errors import MoodysApiError, MoodysAuthError, MoodysConnectionConfigError
from irp.moodys.hook import MoodysHook
from irp.moodys.jobs import Step
from irp.moodys.protocol import SubmissionOutcomeUnknown
from irp.moodys.retry import RetryPolicy
from moodys.cycle import (
    API_KEY,
    CONN_ENV,
    EDM,
    FAST_RETRIES,
    INSTALLATION,
    USER,
    connection_json,
    cycle_configs,
    key,
    poll_to_terminal,
)
from moodys_simulator.testing import RunningSimulator
from tests.support.specs import spec

EDM_CONFIG = cycle_configs(BatchType.EDM_CREATION)[0]
EDM_POST = r"^/platform/riskdata/v1/exposuresets/\d+/exposures$"


def make_hook(sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch, **conn: object) -> MoodysHook:
    monkeypatch.setenv(CONN_ENV, connection_json(sim, **conn))
    return MoodysHook(moodys_conn_id="moodys_default", retry_policy=FAST_RETRIES)


def moodys_jobs(sim: RunningSimulator) -> list[dict[str, object]]:
    return sim.admin.state()["jobs"]


def test_wrong_api_key_is_a_401_auth_error(sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    hook = make_hook(sim, monkeypatch, password="not-the-key-123")
    with pytest.raises(MoodysAuthError) as caught:
        hook.api.find_server()
    assert caught.value.status == 401
    assert caught.value.method == "GET"
    assert caught.value.path == ApiPath.DATASERVERS
    assert "Invalid or missing credentials" in str(caught.value)
    assert "not-the-key-123" not in str(caught.value)


def test_missing_resource_group_is_a_connection_error(sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    hook = make_hook(sim, monkeypatch, extra={})
    with pytest.raises(MoodysConnectionConfigError, match="resource_group_id"):
        hook.api.find_server()


def test_unknown_job_is_a_404_with_the_server_message(hook: MoodysHook) -> None:
    with pytest.raises(MoodysApiError) as caught:
        hook.get_job_status(BatchType.ANALYSIS, "99999999")
    assert caught.value.status == 404
    assert caught.value.path == "/platform/model/v1/jobs/99999999"
    assert caught.value.server_message == "Invalid job id"


def test_job_ids_are_not_interchangeable_between_platform_endpoints(hook: MoodysHook) -> None:
    result = hook.submit_job(
        BatchType.EDM_CREATION, 1, spec(BatchType.EDM_CREATION, EDM_CONFIG), installation_id=INSTALLATION
    )
    with pytest.raises(MoodysApiError) as caught:
        hook.get_job_status(BatchType.GEOHAZ, result.workflow_id)
    assert caught.value.not_found


def test_a_429_storm_is_ridden_out_with_backoff(hook: MoodysHook, sim: RunningSimulator) -> None:
    sim.admin.fault(method="GET", pathRegex="^/platform/riskdata/v1/dataservers$", status=429, times=5, retryAfter=0)
    assert hook.api.server_id() == 88094
    assert hook.client.counter.calls == 6
    (fault,) = sim.admin.state()["faults"]
    assert fault["hits"] == 5


def test_a_429_storm_longer_than_the_budget_fails_with_429(hook: MoodysHook, sim: RunningSimulator) -> None:
    sim.admin.fault(method="GET", pathRegex="dataservers", status=429, times=50, retryAfter=0)
    with pytest.raises(MoodysApiError) as caught:
        hook.api.find_server()
    assert caught.value.status == 429
    assert caught.value.transient
    assert hook.client.counter.calls == FAST_RETRIES.max_retries + 1


def test_retry_after_is_honoured(sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setenv(CONN_ENV, connection_json(sim))
    hook = MoodysHook(moodys_conn_id="moodys_default", retry_policy=RetryPolicy(backoff_factor=0.001))
    hook.client.sleep = sleeps.append
    sim.admin.fault(method="GET", pathRegex="dataservers", status=429, times=2, retryAfter=7)
    hook.api.find_server()
    assert sleeps == [7.0, 7.0]


def test_5xx_on_submission_is_retried_without_a_duplicate_job(hook: MoodysHook, sim: RunningSimulator) -> None:
    sim.admin.fault(method="POST", pathRegex=EDM_POST, status=503, times=2)
    result = hook.submit_job(
        BatchType.EDM_CREATION, 1, spec(BatchType.EDM_CREATION, EDM_CONFIG), installation_id=INSTALLATION
    )
    assert result.workflow_id.isdigit()
    assert len(moodys_jobs(sim)) == 1


def test_persistent_5xx_raises_with_method_path_and_status(hook: MoodysHook, sim: RunningSimulator) -> None:
    body = {"code": "UNAVAILABLE", "message": "maintenance window"}
    sim.admin.fault(method="GET", pathRegex="exposures$", status=500, times=50, body=body)
    with pytest.raises(MoodysApiError) as caught:
        hook.api.edm(EDM)
    assert str(caught.value) == (
        "Moody's API GET /platform/riskdata/v1/exposures failed (HTTP 500): maintenance window"
    )


def test_commit_then_drop_then_retry_creates_exactly_one_job(hook: MoodysHook, sim: RunningSimulator) -> None:
    sim.admin.fault(method="POST", pathRegex=EDM_POST, dropConnection=True, afterCommit=True, times=1)
    result = hook.submit_job(
        BatchType.EDM_CREATION, 1, spec(BatchType.EDM_CREATION, EDM_CONFIG), installation_id=INSTALLATION
    )
    state = sim.admin.state()
    assert [job["jobId"] for job in state["jobs"]] == [int(result.workflow_id)]
    assert state["submissions"][key(1, Step.EDM)]["replays"] == 1
    assert poll_to_terminal(hook, BatchType.EDM_CREATION, result.workflow_id)[-1] is JobStatus.FINISHED
    assert len(hook.api.find_edms([EDM])) == 1


def test_task_retry_after_a_lost_answer_reattaches_to_the_same_job(
    hook: MoodysHook, sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim.admin.fault(method="POST", pathRegex=EDM_POST, dropConnection=True, afterCommit=True, times=10)
    with pytest.raises(SubmissionOutcomeUnknown) as caught:
        hook.submit_job(
            BatchType.EDM_CREATION, 1, spec(BatchType.EDM_CREATION, EDM_CONFIG), installation_id=INSTALLATION
        )
    assert isinstance(caught.value.__cause__, MoodysApiError)
    assert caught.value.__cause__.status is None
    sim.admin.clear_faults()
    retried = make_hook(sim, monkeypatch).submit_job(
        BatchType.EDM_CREATION, 1, spec(BatchType.EDM_CREATION, EDM_CONFIG), installation_id=INSTALLATION
    )
    assert [job["jobId"] for job in moodys_jobs(sim)] == [int(retried.workflow_id)]


def test_409_still_processing_is_waited_out(
    hook: MoodysHook, sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="irp.moodys.transport")
    sim.admin.fault(method="POST", pathRegex=EDM_POST, delayMs=400, times=1)
    results: dict[str, str] = {}
    first = threading.Thread(
        target=lambda: results.update(
            first=hook.submit_job(
                BatchType.EDM_CREATION, 1, spec(BatchType.EDM_CREATION, EDM_CONFIG), installation_id=INSTALLATION
            ).workflow_id
        )
    )
    first.start()
    other = make_hook(sim, monkeypatch)
    while key(1, Step.EDM) not in sim.admin.state()["submissions"]:
        pass
    results["second"] = other.submit_job(
        BatchType.EDM_CREATION, 1, spec(BatchType.EDM_CREATION, EDM_CONFIG), installation_id=INSTALLATION
    ).workflow_id
    first.join()
    assert results["first"] == results["second"]
    assert len(moodys_jobs(sim)) == 1
    assert "-> 409; wait_still_processing" in caplog.text


def test_bearer_login_and_refresh_on_401(sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant, user, password = USER
    hook = make_hook(
        sim, monkeypatch, login=user, password=password, extra={"resource_group_id": "rg", "tenant_name": tenant}
    )
    assert hook.api.server_id() == 88094
    sim.admin.expire_tokens()
    assert hook.api.server_id() == 88094
    assert hook.client.counter.calls == 5  # login, call, 401, re-login, call


def test_bearer_with_a_wrong_password_fails_login(sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant, user, _ = USER
    hook = make_hook(
        sim,
        monkeypatch,
        login=user,
        password="wrong-password-42",
        extra={"resource_group_id": "rg", "tenant_name": tenant},
    )
    with pytest.raises(MoodysAuthError) as caught:
        hook.api.find_server()
    assert caught.value.path == "/sml/auth/v1/login/implicit"
    assert "wrong-password-42" not in str(caught.value)


def test_connection_refused_is_an_error_without_status(monkeypatch: pytest.MonkeyPatch, sim: RunningSimulator) -> None:
    monkeypatch.setenv(CONN_ENV, connection_json(sim, port=1))
    hook = MoodysHook(moodys_conn_id="moodys_default", retry_policy=RetryPolicy(max_retries=1, backoff_factor=0.001))
    with pytest.raises(MoodysApiError) as caught:
        hook.api.find_server()
    assert caught.value.status is None
    assert "no response" in str(caught.value)


def test_long_name_lists_are_chunked_under_the_header_limit(hook: MoodysHook, sim: RunningSimulator) -> None:
    names = [f"RM_EDM_202511_Quarterly_{'X' * 150}_{number}" for number in range(60)]
    assert hook.api.find_edms(names) == {}
    assert hook.client.counter.calls >= 3


def test_secrets_never_reach_logs_or_errors(
    sim: RunningSimulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    tenant, user, password = USER
    secrets = [API_KEY, password]
    hook = make_hook(sim, monkeypatch)
    sim.admin.fault(method="GET", pathRegex="dataservers", status=429, times=2, retryAfter=0)
    hook.submit_job(BatchType.EDM_CREATION, 1, spec(BatchType.EDM_CREATION, EDM_CONFIG), installation_id=INSTALLATION)
    bearer = make_hook(
        sim, monkeypatch, login=user, password=password, extra={"resource_group_id": "rg", "tenant_name": tenant}
    )
    bearer.api.find_server()
    token = bearer.client.tokens.secrets()[-1]
    secrets.append(token)
    sim.admin.fault(method="GET", pathRegex="exposures$", status=500, times=50, body={"message": f"echo {token}"})
    with pytest.raises(MoodysApiError) as caught:
        bearer.api.edm(EDM)
    result = hook.submit_job(
        BatchType.EDM_CREATION, 2, spec(BatchType.EDM_CREATION, EDM_CONFIG), installation_id=INSTALLATION
    )
    captured = capsys.readouterr()
    texts = [caplog.text, captured.out, captured.err, str(caught.value), repr(caught.value), repr(hook.client.config)]
    texts.append(json.dumps([result.request, result.response]))
    assert "***" in str(caught.value)
    for secret in secrets:
        for text in texts:
            assert secret not in text


def test_async_polls_ride_out_429_and_relogin(sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant, user, password = USER
    hook = make_hook(
        sim, monkeypatch, login=user, password=password, extra={"resource_group_id": "rg", "tenant_name": tenant}
    )
    workflow_id = hook.submit_job(
        BatchType.EDM_CREATION, 1, spec(BatchType.EDM_CREATION, EDM_CONFIG), installation_id=INSTALLATION
    ).workflow_id

    async def poll_twice() -> list[JobStatus]:
        async with hook:
            first = await hook.aget_job_status(BatchType.EDM_CREATION, workflow_id)
            sim.admin.expire_tokens()
            sim.admin.fault(method="GET", pathRegex="^/platform/riskdata/v1/jobs/", status=429, times=3, retryAfter=0)
            second = await hook.aget_job_status(BatchType.EDM_CREATION, workflow_id)
            client = await hook.aclient()
            assert client.counter.calls == 8  # login, poll, 401, re-login, 3 x 429, poll
            return [first.status, second.status]

    assert asyncio.run(poll_twice()) == [JobStatus.QUEUED, JobStatus.PENDING]
