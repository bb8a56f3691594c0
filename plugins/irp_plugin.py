"""The irp Airflow plugin: the batch dashboard in the API server and in the UI's navigation.

Airflow imports this file in every component; it imports only the plugin base class and the
dashboard's lazy ASGI wrapper (the FastAPI app is built on its first request).
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from irp.dashboard.asgi import dashboard_app
from irp.dashboard.urls import URL_PREFIX, cycles_path

DASHBOARD_NAME = "IRP batches"


class IrpPlugin(AirflowPlugin):
    name = "irp"
    fastapi_apps = [{"app": dashboard_app, "url_prefix": URL_PREFIX, "name": DASHBOARD_NAME}]  # noqa: RUF012
    external_views = [  # noqa: RUF012
        {
            "name": DASHBOARD_NAME,
            "href": URL_PREFIX + cycles_path(),
            "destination": "nav",
            "category": "browse",
            "url_route": "irp-batches",
        }
    ]
