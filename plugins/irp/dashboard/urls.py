"""Addresses of the dashboard's pages and of the Airflow UI pages it links to.

Pure string building (no imports beyond the standard library), so Teams notifications and the
plugin module can use it anywhere.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

#: Where the dashboard is mounted in the Airflow API server.
URL_PREFIX = "/irp"
#: Prefix of the JSON endpoints, inside the dashboard.
API_PREFIX = "/api"


def _segment(value: str | int) -> str:
    """One path segment: everything but unreserved characters is escaped (run ids hold ':' and '+')."""
    return quote(str(value), safe="")


def _join(root: str, path: str) -> str:
    return root.rstrip("/") + path


# -- dashboard pages, relative to the dashboard's root ----------------------------------------------
def cycles_path() -> str:
    return "/"


def cycle_path(cycle_name: str, statuses: list[str] | None = None) -> str:
    query = f"?{urlencode({'status': statuses}, doseq=True)}" if statuses else ""
    return f"/cycles/{_segment(cycle_name)}{query}"


def batch_path(cycle_name: str, batch_id: int, statuses: list[str] | None = None) -> str:
    query = f"?{urlencode({'status': statuses}, doseq=True)}" if statuses else ""
    return f"/cycles/{_segment(cycle_name)}/batches/{batch_id}{query}"


def job_path(job_id: int) -> str:
    return f"/jobs/{job_id}"


def batch_url(base_url: str, cycle_name: str, batch_id: int) -> str:
    """The batch page for people outside the UI (Teams messages): ``base_url`` is the Airflow
    UI's address (``[irp] airflow_base_url``)."""
    return _join(base_url, URL_PREFIX + batch_path(cycle_name, batch_id))


def cycle_url(base_url: str, cycle_name: str) -> str:
    """The batches page of a cycle, for people outside the UI."""
    return _join(base_url, URL_PREFIX + cycle_path(cycle_name))


# -- Airflow UI pages (routes of the 3.3 React UI) ----------------------------------------------------
def dag_run_path(dag_id: str, run_id: str) -> str:
    return f"/dags/{_segment(dag_id)}/runs/{_segment(run_id)}"


def task_group_path(dag_id: str, run_id: str, group_id: str) -> str:
    return f"{dag_run_path(dag_id, run_id)}/tasks/group/{_segment(group_id)}"


def dag_path(dag_id: str) -> str:
    return f"/dags/{_segment(dag_id)}"
