"""Operator link from a job task to its job in Moody's.

The link is computed on the worker when the task defers and when it ends, from the URL the task
knows (its trigger hands it back on resumption), so it shows while the task is still waiting.
The URL comes from the Moody's connection's extra ``job_url_template`` (placeholders
``{base_url}``, ``{workflow_id}``, ``{batch_type}``, ``{job_id}``); by default it is the API's
workflow view of the job.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperatorLink

DEFAULT_JOB_URL_TEMPLATE = "{base_url}/riskmodeler/v1/workflows/{workflow_id}"
JOB_URL_TEMPLATE_EXTRA = "job_url_template"


def job_url(moodys_conn_id: str, *, workflow_id: str, batch_type: str, job_id: int) -> str:
    """The Moody's URL of a job, from the connection (no secret is read or shown)."""
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(moodys_conn_id)
    host = (conn.host or "").rstrip("/")
    base_url = host if "://" in host else f"{conn.schema or 'https'}://{host}"
    if conn.port and "://" not in host:
        base_url = f"{base_url}:{conn.port}"
    template = str(conn.extra_dejson.get(JOB_URL_TEMPLATE_EXTRA) or DEFAULT_JOB_URL_TEMPLATE)
    return template.format(base_url=base_url, workflow_id=workflow_id, batch_type=batch_type, job_id=job_id)


class MoodysJobLink(BaseOperatorLink):
    """ "Moody's job" button on a job task instance."""

    name = "Moody's job"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        """Computed on the worker when the task ends or defers, from the URL the task knows: set in
        ``execute``, handed back by the trigger on resumption, "" when there is none (a synchronous
        job, a submission that failed before reaching Moody's). No XCom is read: asking it for a key
        never pushed logs an ERROR ("XCom not found")."""
        return str(getattr(operator, "moodys_job_url", None) or "")
