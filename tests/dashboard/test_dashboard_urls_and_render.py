"""The dashboard's pure parts: addresses, HTML escaping and formatting, and a light plugin import."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from irp.constants import BatchStatus, JobStatus
from irp.dashboard import render, urls
from irp.repair import RepairRecord
from irp.repair_request import RepairAction, RepairOrigin, RepairTarget
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


def test_task_instance_and_repair_paths() -> None:
    assert urls.task_instance_path("irp_cycle__Q4", RUN_ID, "analysis.job", 3) == (
        "/dags/irp_cycle__Q4/runs/scheduled__2026-11-28T09%3A00%3A00%2B00%3A00/tasks/analysis.job/mapped/3"
    )
    assert urls.task_instance_path("d", "r", "export_to_rdm.seed") == "/dags/d/runs/r/tasks/export_to_rdm.seed"
    assert urls.repair_path(RepairAction.SKIP_JOB, job_id=42) == "/repair?action=skip_job&job_id=42"
    assert urls.repair_path(RepairAction.ARCHIVE_CYCLE, cycle="2026 Q4&x") == (
        "/repair?action=archive_cycle&cycle=2026+Q4%26x"
    )
    assert urls.dag_runs_api_path("irp_repair") == "/api/v2/dags/irp_repair/dagRuns"


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
    names = {"{dag_id}": ":dagId", "{run_id}": ":runId", "{group_id}": ":groupId", "{task_id}": ":taskId",
             "{map_index}": ":mapIndex"}  # fmt: skip
    for route in urls.AirflowRoute:
        pattern = route.value.lstrip("/")
        for name, parameter in names.items():
            pattern = pattern.replace(name, parameter)
        assert f"path:`{pattern}`" in bundle


def test_repairs_are_listed_with_who_when_why_and_the_run() -> None:
    record = RepairRecord(
        1, RepairAction.RESUBMIT_WITH_CHANGES, "c-1", 3, 7, 9, 11, 12, "rate was <wrong>", "ana",
        RepairOrigin.AIRFLOW, "irp_repair", RUN_ID, {"Event Rate": "x"}, {}, datetime(2026, 11, 28, 9, 5, tzinfo=UTC),
    )  # fmt: skip
    html = render.repairs_table(render.Roots("/irp", ""), [record])
    assert "<td>ana</td>" in html
    assert "rate was &lt;wrong&gt;" in html
    assert "2026-11-28 09:05:00" in html
    assert '<a href="/irp/jobs/7">#7</a>' in html
    assert '→ job <a href="/irp/jobs/9">#9</a>' in html
    assert f'href="{urls.dag_run_path("irp_repair", RUN_ID)}" target="_top"' in html
    assert "No repairs." in render.repairs_table(render.Roots("/irp", ""), [])


def test_the_repair_form_keeps_hostile_values_out_of_its_script() -> None:
    hostile = '</script><script>alert("x")</script>'
    form = render.RepairForm(
        RepairAction.RESUBMIT_WITH_CHANGES, RepairTarget.JOB, 7, "job 7", "c-1", "/jobs/7", (("Job", "#7"),),
        {"Tag 1": hostile},
    )  # fmt: skip
    html = render.repair_page(render.Roots("/irp", ""), form)
    assert "<script>alert" not in html
    script = re.search(r'<script type="application/json" id="repair-conf">(.*?)</script>', html)
    assert script
    assert json.loads(script.group(1)) == {"action": "resubmit_with_changes", "job_id": 7,
                                           "parameters": {"Tag 1": hostile}, "reason": ""}  # fmt: skip
    assert 'data-api="/api/v2/dags/irp_repair/dagRuns"' in html
