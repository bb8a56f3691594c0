"""Addresses of the dashboard's pages and of the Airflow UI pages it links to.

Pure string building (standard library only), so Teams notifications and the plugin module can
use it anywhere without importing the web stack.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import quote, urlencode

#: Where the dashboard is mounted in the Airflow API server.
URL_PREFIX = "/irp"
#: Prefix of the JSON endpoints, inside the dashboard.
API_PREFIX = "/api"


class Route(StrEnum):
    """Route templates of the dashboard, relative to :data:`URL_PREFIX`."""

    CYCLES = "/"
    CYCLE = "/cycles/{cycle_name}"
    BATCH = "/cycles/{cycle_name}/batches/{batch_id}"
    JOB = "/jobs/{job_id}"
    REPAIR = "/repair"
    API_CYCLES = API_PREFIX + "/cycles"
    API_CYCLE = API_PREFIX + "/cycles/{cycle_name}"
    API_CYCLE_BATCHES = API_PREFIX + "/cycles/{cycle_name}/batches"
    API_CYCLE_REPAIRS = API_PREFIX + "/cycles/{cycle_name}/repairs"
    API_BATCH = API_PREFIX + "/batches/{batch_id}"
    API_BATCH_JOBS = API_PREFIX + "/batches/{batch_id}/jobs"
    API_JOB = API_PREFIX + "/jobs/{job_id}"


class AirflowRoute(StrEnum):
    """Pages of the Airflow 3.3 React UI (its router's paths), relative to the UI's root."""

    DAG = "/dags/{dag_id}"
    DAG_RUN = "/dags/{dag_id}/runs/{run_id}"
    TASK_GROUP = "/dags/{dag_id}/runs/{run_id}/tasks/group/{group_id}"
    TASK_INSTANCE = "/dags/{dag_id}/runs/{run_id}/tasks/{task_id}"
    MAPPED_TASK_INSTANCE = "/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/mapped/{map_index}"


class AirflowApi(StrEnum):
    """Endpoints of Airflow's public REST API, relative to the API server's root."""

    DAG_RUNS = "/api/v2/dags/{dag_id}/dagRuns"


def _segment(value: str | int) -> str:
    """One path segment: everything but unreserved characters is escaped (run ids hold ':' and '+')."""
    return quote(str(value), safe="")


def _path(route: StrEnum, statuses: list[str] | None = None, **values: str | int) -> str:
    path = route.format(**{key: _segment(value) for key, value in values.items()})
    return path + (f"?{urlencode({'status': statuses}, doseq=True)}" if statuses else "")


# -- dashboard pages, relative to the dashboard's root ----------------------------------------------
def cycles_path(statuses: list[str] | None = None) -> str:
    return _path(Route.CYCLES, statuses)


def cycle_path(cycle_name: str, statuses: list[str] | None = None) -> str:
    return _path(Route.CYCLE, statuses, cycle_name=cycle_name)


def batch_path(cycle_name: str, batch_id: int, statuses: list[str] | None = None) -> str:
    return _path(Route.BATCH, statuses, cycle_name=cycle_name, batch_id=batch_id)


def job_path(job_id: int) -> str:
    return _path(Route.JOB, job_id=job_id)


def repair_path(action: StrEnum, **target: str | int) -> str:
    """The dashboard's pre-filled repair form for one job (``job_id``), batch or cycle."""
    return f"{Route.REPAIR}?{urlencode({'action': action.value, **target})}"


def batch_url(base_url: str, cycle_name: str, batch_id: int) -> str:
    """The batch page for people outside the UI (Teams messages); ``base_url`` is the Airflow
    UI's address (``[irp] airflow_base_url``)."""
    return base_url.rstrip("/") + URL_PREFIX + batch_path(cycle_name, batch_id)


def cycle_url(base_url: str, cycle_name: str) -> str:
    """The batches page of a cycle, for people outside the UI."""
    return base_url.rstrip("/") + URL_PREFIX + cycle_path(cycle_name)


# -- Airflow UI pages ---------------------------------------------------------------------------------
def dag_path(dag_id: str) -> str:
    return _path(AirflowRoute.DAG, dag_id=dag_id)


def dag_run_path(dag_id: str, run_id: str) -> str:
    return _path(AirflowRoute.DAG_RUN, dag_id=dag_id, run_id=run_id)


def task_group_path(dag_id: str, run_id: str, group_id: str) -> str:
    return _path(AirflowRoute.TASK_GROUP, dag_id=dag_id, run_id=run_id, group_id=group_id)


def task_instance_path(dag_id: str, run_id: str, task_id: str, map_index: int | None = None) -> str:
    """A task instance's page; a mapped one's by its map index."""
    if map_index is None:
        return _path(AirflowRoute.TASK_INSTANCE, dag_id=dag_id, run_id=run_id, task_id=task_id)
    return _path(AirflowRoute.MAPPED_TASK_INSTANCE, dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index)


def dag_runs_api_path(dag_id: str) -> str:
    """Airflow's REST endpoint that triggers (POST) a DAG run."""
    return _path(AirflowApi.DAG_RUNS, dag_id=dag_id)
