"""A person repairs a job from the dashboard in a real headless Chromium: the job page's link opens
the filled-in repair form, and its button has Airflow create the ``irp_repair`` run as them.

Screenshots of the form and of Airflow's own trigger form of ``irp_repair`` are kept in pytest's
tmp dir; with ``IRP_SCREENSHOTS=<folder>`` (``bash scripts/screenshots.sh``) they are copied there
for the README. Tests never write tracked files by themselves.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from irp.constants import BatchType, JobStatus
from irp.repair_request import REPAIR_DAG_ID
from tests.dashboard.browser import Browser, chromium, find_chromium
from tests.dashboard.demo import DemoCycle
from tests.dashboard.server import OPERATOR, ApiServer

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not found: install Debian's chromium package (scripts/test.sh does)"
)
SCREENSHOTS = os.environ.get("IRP_SCREENSHOTS")
SCREENSHOT_WIDTH = 1280
REASON = "The quarter's event rate was wrong in the workbook"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    assert CHROMIUM is not None
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    with chromium(CHROMIUM, profile) as running:
        yield running


def keep(path: Path) -> None:
    png = path.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(png[16:20], "big") == SCREENSHOT_WIDTH
    if SCREENSHOTS:
        shutil.copyfile(path, Path(SCREENSHOTS) / path.name)


def test_the_job_page_opens_the_filled_in_form_and_its_button_triggers_the_repair(
    browser: Browser, api_server: ApiServer, demo: DemoCycle, tmp_path: Path
) -> None:
    token = api_server.token(OPERATOR)
    browser.set_cookie("_token", token, api_server.base_url)
    failed = next(job for job in demo.jobs[BatchType.ANALYSIS] if job.status is JobStatus.FAILED)
    page = browser.new_page()
    page.goto(f"{api_server.base_url}/irp/jobs/{failed.id}")
    page.evaluate("document.querySelector('a[data-repair-action=resubmit_with_changes]').click()")
    page.wait_for("document.getElementById('repair-form') && document.readyState === 'complete'")
    parameters = json.loads(page.evaluate("document.getElementById('parameters').value"))
    assert parameters["Analysis Name"] == parameters["Analysis Name"].strip() != ""
    assert parameters["Event Rate"] != "RMS 2025 Stochastic Event Rates"

    page.evaluate(
        "const p = document.getElementById('parameters');"
        "const v = JSON.parse(p.value); v['Event Rate'] = 'RMS 2025 Stochastic Event Rates';"
        "p.value = JSON.stringify(v, null, 2);"
    )
    page.type_into("#reason", REASON)
    page.screenshot(tmp_path / "repair-form.png", SCREENSHOT_WIDTH)
    keep(tmp_path / "repair-form.png")

    page.evaluate("document.querySelector('#repair-form button[type=submit]').click()")
    page.wait_for(f"location.pathname.startsWith('/dags/{REPAIR_DAG_ID}/runs/')")
    run_id = page.evaluate("decodeURIComponent(location.pathname.split('/runs/')[1].split('/')[0])")
    with httpx.Client(base_url=api_server.base_url, headers={"Authorization": f"Bearer {token}"}) as api:
        run = api.get(f"/api/v2/dags/{REPAIR_DAG_ID}/dagRuns/{run_id}").json()
    assert run["triggering_user_name"] == OPERATOR
    assert run["conf"]["action"] == "resubmit_with_changes"
    assert run["conf"]["job_id"] == failed.id
    assert run["conf"]["reason"] == REASON
    assert run["conf"]["parameters"] == {**parameters, "Event Rate": "RMS 2025 Stochastic Event Rates"}


def test_airflow_renders_the_repair_params_as_its_trigger_form(
    browser: Browser, api_server: ApiServer, tmp_path: Path
) -> None:
    browser.set_cookie("_token", api_server.token(OPERATOR), api_server.base_url)
    page = browser.new_page()
    page.goto(f"{api_server.base_url}/dags/{REPAIR_DAG_ID}")
    page.wait_for("document.querySelector('[data-testid=trigger-dag-button]')")
    page.evaluate("document.querySelector('[data-testid=trigger-dag-button]').click()")
    page.wait_for(f"document.body.innerText.includes('Trigger Dag - {REPAIR_DAG_ID}')")
    page.wait_for("document.body.innerText.includes('kept with the repair')")  # the last param's description
    text = page.evaluate("document.body.innerText")
    for title in ("Action", "Job id", "Batch id", "Cycle", "New parameters", "Reason", "This field is required"):
        assert title in text
    # The dialog scrolls inside the window: a window as tall as the form shows all of it.
    page.send("Emulation.setDeviceMetricsOverride", width=SCREENSHOT_WIDTH, height=1500, deviceScaleFactor=1,
              mobile=False)  # fmt: skip
    page.wait_for("document.querySelector('.monaco-editor .view-lines')")  # the JSON editor of "New parameters"
    shot = page.send("Page.captureScreenshot", format="png")["data"]
    (tmp_path / "repair-trigger-form.png").write_bytes(base64.b64decode(shot))
    keep(tmp_path / "repair-trigger-form.png")
