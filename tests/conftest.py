"""Shared fixtures: a real Postgres store in a schema of its own for every test."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PG_DSN = os.environ.get("IRP_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REFERENCE_WORKBOOK = SHARED / "reference" / "valid_excel_configuration.xlsx"
#: Set by .ci/run when ../shared is beside the clone: then a test that needs it must not skip.
REQUIRE_SHARED = os.environ.get("IRP_REQUIRE_SHARED") == "1"

# Airflow reads its configuration at import: point it at a throwaway home first.
_airflow_home = tempfile.mkdtemp(prefix="irp_test_airflow_")
os.environ.setdefault("AIRFLOW_HOME", _airflow_home)
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(ROOT / "plugins"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")


def shared_file(path: Path) -> Path:
    """``path`` under ../shared, or skip: a user's clone has no ../shared beside it.

    Where CI has ../shared (``IRP_REQUIRE_SHARED=1``), a missing file fails instead, so the
    compatibility tests cannot pass by skipping.
    """
    if not path.is_file():
        reason = f"needs ../shared: {path} is not on this machine"
        if REQUIRE_SHARED:
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def new_schema_name() -> str:
    return f"irp_test_{uuid.uuid4().hex[:12]}"


@contextmanager
def migrated_store() -> Iterator[Any]:
    """A migrated store in a fresh schema, dropped afterwards."""
    import psycopg

    from irp import migrations
    from irp.store import Store

    schema = new_schema_name()
    store = Store.from_dsn(PG_DSN, schema)
    migrations.upgrade(store)
    try:
        yield store
    finally:
        store.close()
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def store() -> Iterator[Any]:
    """A migrated store in a fresh schema, dropped afterwards."""
    with migrated_store() as migrated:
        yield migrated
