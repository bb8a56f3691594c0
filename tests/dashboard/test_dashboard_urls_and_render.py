"""The dashboard's pure parts: addresses, HTML escaping and formatting, and a light plugin import."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from irp.constants import BatchStatus, JobStatus
from irp.dashboard import render, urls
from tests.conftest import ROOT

RUN_ID = "scheduled__2026-11-28T09:00:00+00:00"


def test_batch_url_for_teams_messages() -> None:
    assert urls.batch_url("https://airflow.example.com/", "2026-Q4", 42) == (
        "https://airflow.example.com/irp/cycles/2026-Q4/batches/42"
    )
    assert urls.cycle_url("http://localhost:8080", "2026-Q4") == "http://localhost:8080/irp/cycles/2026-Q4"


def test_airflow_ui_paths_quote_run_ids() -> None:
    run = "/runs/scheduled__2026-11-28T09%3A00%3A00%2B00%3A00"
    assert urls.dag_run_path("irp_cycle__2026-Q4", RUN_ID) == f"/dags/irp_cycle__2026-Q4{run}"
    assert urls.task_group_path("irp_cycle__2026-Q4", RUN_ID, "analysis") == (
        f"/dags/irp_cycle__2026-Q4{run}/tasks/group/analysis"
    )


def test_page_paths_carry_status_filters() -> None:
    assert urls.cycles_path() == "/"
    assert urls.cycle_path("c-1", ["FAILED", "ERROR"]) == "/cycles/c-1?status=FAILED&status=ERROR"
    assert urls.batch_path("c-1", 7, ["RUNNING"]) == "/cycles/c-1/batches/7?status=RUNNING"
    assert urls.job_path(9) == "/jobs/9"


def test_every_status_has_a_tone() -> None:
    for status in [*BatchStatus, *JobStatus]:
        assert status in render.TONES
    assert sorted(render.BAR_ORDER) == sorted(render.Tone)


def test_pills_and_links_escape_their_text() -> None:
    hostile = '"><script>alert(1)</script>'
    assert "<script>" not in render.pill(hostile)
    assert "&lt;script&gt;" in render.pill(hostile)
    html = render.link('/x?a=1&b="2"', render.esc("<b>"), top=True)
    assert html == '<a href="/x?a=1&amp;b=&quot;2&quot;" target="_top">&lt;b&gt;</a>'


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(7, "7s"), (65, "1m 05s"), (3 * 3600 + 4 * 60, "3h 04m"), (26 * 3600, "1d 2h")],
)
def test_durations(seconds: int, text: str) -> None:
    start = datetime(2026, 11, 28, tzinfo=UTC)
    assert render.format_duration(start, start + timedelta(seconds=seconds)) == text


def test_progress_bar_shows_the_finished_share() -> None:
    bar = render.progress_bar({"FINISHED": 3, "RUNNING": 1}, 3, 4)
    assert 'aria-valuenow="75"' in bar
    assert "3 / 4 finished" in bar
    assert 'class="seg tone-success" style="width:75.00%"' in bar
    assert "0 / 0 finished" in render.progress_bar({}, 0, 0)


def test_the_plugin_module_imports_no_web_stack() -> None:
    """Every Airflow component imports the plugin: it must not pull FastAPI or Airflow's API security in."""
    probe = (
        "import sys; import airflow.plugins_manager; import irp_plugin; "
        "assert irp_plugin.IrpPlugin.fastapi_apps[0]['url_prefix'] == '/irp'; "
        "print(sorted(m for m in ('fastapi', 'airflow.api_fastapi.core_api.security', 'irp.dashboard.app', "
        "'irp.dashboard.queries', 'psycopg') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT / "plugins", capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_airflow_routes_exist_in_the_installed_ui() -> None:
    """The links follow the React UI's router; an Airflow upgrade that moves a page fails here."""
    import airflow

    bundle = "".join(
        p.read_text(errors="ignore") for p in (Path(airflow.__file__).parent / "ui" / "dist").rglob("*.js")
    )
    for route in urls.AirflowRoute:
        pattern = route.value.lstrip("/").replace("{dag_id}", ":dagId").replace("{run_id}", ":runId")
        assert f"path:`{pattern.replace('{group_id}', ':groupId')}`" in bundle
