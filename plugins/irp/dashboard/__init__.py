"""The batch dashboard: an Airflow plugin page showing cycles, batches and jobs from the store.

Airflow imports the plugin in every component, so importing this package (and
:mod:`irp.dashboard.urls`, :mod:`irp.dashboard.asgi`) costs nothing: FastAPI, Airflow's
security module and the store are imported when the API server serves the first request.
"""
