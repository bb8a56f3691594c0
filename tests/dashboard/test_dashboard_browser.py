"""A real headless Chromium signs in through Airflow's login page and reads the dashboard.

The screenshot of the demo cycle's batches page is kept in pytest's tmp dir; with
``IRP_SCREENSHOTS=<folder>`` (``bash scripts/screenshots.sh`` sets it to ``docs/``) it is also copied
there for the README. Tests never write tracked files by themselves.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from irp.constants import BatchType
from tests.dashboard.browser import Browser, Page, chromium, find_chromium
from tests.dashboard.demo import DEMO_CYCLE, DemoCycle
from tests.dashboard.server import ApiServer

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not found: install Debian's chromium package (scripts/test.sh does)"
)
#: Where README screenshots go when asked for (scripts/screenshots.sh); unset in test runs.
SCREENSHOTS = os.environ.get("IRP_SCREENSHOTS")
SCREENSHOT_WIDTH = 1440
CYCLE_PAGE = f"/irp/cycles/{DEMO_CYCLE}"

# What the batches page shows per batch row: type, status pill, progress label.
_BATCH_ROWS = """[...document.querySelectorAll('tr[data-batch-id]')].map(row => [
    row.dataset.batchType,
    row.querySelector('.pill').dataset.status,
    row.querySelector('.progress .label').textContent])"""
_JOB_ROWS = """[...document.querySelectorAll('tr[data-job-id]')].map(row => [
    Number(row.dataset.jobId), row.querySelector('.pill').textContent])"""


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    assert CHROMIUM is not None
    profile = tmp_path / "chromium-profile"  # a new profile: no cookie from another test
    profile.mkdir()
    with chromium(CHROMIUM, profile) as browser:
        yield browser


def sign_in(page: Page, api_server: ApiServer) -> None:
    """Fill in Airflow's login form as a person does; the UI stores the JWT in the ``_token`` cookie."""
    page.wait_for("document.querySelector('input[name=password]')")
    page.type_into("input[name=username]", api_server.username)
    page.type_into("input[name=password]", api_server.password)
    page.wait_for("!document.querySelector('button[type=submit]').disabled")
    page.evaluate("document.querySelector('button[type=submit]').click()")


def expected_progress(demo: DemoCycle, batch_type: BatchType) -> str:
    live = [job for job in demo.jobs[batch_type] if not job.skipped]
    return f"{Counter(job.status.value for job in live)['FINISHED']} / {len(live)} finished"


def test_a_browser_signs_in_and_sees_the_batches_of_the_demo_cycle(
    browser: Browser, api_server: ApiServer, demo: DemoCycle, tmp_path: Path
) -> None:
    page = browser.new_page()
    landed = urlsplit(page.goto(api_server.base_url + CYCLE_PAGE))
    assert landed.path == "/auth/login"  # not signed in: Airflow's login, which comes back here
    assert parse_qs(landed.query)["next"] == [CYCLE_PAGE]

    sign_in(page, api_server)
    page.wait_for(f"location.pathname === {CYCLE_PAGE!r} && document.querySelector('tr[data-batch-id]')")
    assert page.evaluate("document.cookie").startswith("_token=")

    rows = page.evaluate(_BATCH_ROWS)
    assert rows == [
        [batch_type.value, demo.statuses[batch_type].value, expected_progress(demo, batch_type)]
        for batch_type in BatchType
        if batch_type in demo.batch_ids
    ]
    assert {status for _, status, _ in rows} == {"COMPLETED", "ACTIVE", "INITIATED"}
    assert page.evaluate("document.getElementById('refresh-toggle').textContent") == "Pause"  # the script ran

    page.screenshot(tmp_path / "dashboard.png", SCREENSHOT_WIDTH)
    png = (tmp_path / "dashboard.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(png[16:20], "big") == SCREENSHOT_WIDTH
    assert 20_000 < len(png) < 1_000_000
    if SCREENSHOTS:
        shutil.copyfile(tmp_path / "dashboard.png", Path(SCREENSHOTS) / "dashboard.png")


def test_the_ui_cookie_opens_the_batch_page_and_its_filters(
    browser: Browser, api_server: ApiServer, demo: DemoCycle
) -> None:
    browser.set_cookie("_token", api_server.token(), api_server.base_url)
    page = browser.new_page()
    analysis = demo.batch_ids[BatchType.ANALYSIS]
    assert urlsplit(page.goto(f"{api_server.base_url}{CYCLE_PAGE}/batches/{analysis}")).path.endswith(f"/{analysis}")
    expected = [[job.id, job.status.value] for job in demo.jobs[BatchType.ANALYSIS]]
    assert sorted(page.evaluate(_JOB_ROWS)) == sorted(expected)

    page.evaluate(
        "[...document.querySelectorAll('nav.filters a')].find(a => a.textContent.startsWith('RUNNING')).click()"
    )
    page.wait_for("location.search === '?status=RUNNING' && document.readyState === 'complete'")
    assert sorted(page.evaluate(_JOB_ROWS)) == sorted(row for row in expected if row[1] == "RUNNING")

    browser.clear_cookies()
    assert urlsplit(page.goto(f"{api_server.base_url}{CYCLE_PAGE}")).path == "/auth/login"


def test_the_navigation_entry_shows_the_dashboard_inside_the_airflow_ui(
    browser: Browser, api_server: ApiServer, tmp_path: Path
) -> None:
    browser.set_cookie("_token", api_server.token(), api_server.base_url)
    page = browser.new_page()
    page.goto(f"{api_server.base_url}/plugin/irp-batches")  # where the UI's "Browse › IRP batches" leads
    page.wait_for("document.querySelector('iframe')?.contentDocument?.querySelector('tr[data-cycle]')")
    assert urlsplit(page.evaluate("document.querySelector('iframe').src")).path == "/irp/"
    frame = "document.querySelector('iframe').contentDocument"
    assert page.evaluate(f"{frame}.title") == "Cycles · IRP batches"
    assert page.evaluate(f"[...{frame}.querySelectorAll('tr[data-cycle]')].map(row => row.dataset.cycle)") == [
        DEMO_CYCLE
    ]
    page.screenshot(tmp_path / "dashboard-in-airflow.png", SCREENSHOT_WIDTH)
