from __future__ import annotations

import json

import psycopg
import pytest

from tests.conftest import PG_DSN, ROOT


@pytest.fixture(scope="session")
def source_dataset() -> None:
    """The demo's source warehouse (schema irp_source), loaded once."""
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute((ROOT / "include" / "demo" / "source_dataset.sql").read_text().encode())


@pytest.fixture
def source_conn(monkeypatch, source_dataset) -> str:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SOURCE_TEST",
        json.dumps(
            {"conn_type": "postgres", "host": "127.0.0.1", "port": 5432, "login": "postgres", "schema": "postgres"}
        ),
    )
    return "source_test"
