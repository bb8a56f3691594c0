"""The deployment tier: every test runs against a real Airflow deployment (see deployment.py), once
with LocalExecutor and once with CeleryExecutor, with the Moody's simulator, a store schema of its
own, the demo source warehouse and a recording Teams webhook.

Run it with ``pytest -m deployment``; ``pytest -m "not deployment"`` is the quick inner loop.
On failure the components' logs are copied under pytest's temporary folder and their tails printed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from irp import migrations
from irp.store import Store
from moodys_simulator.testing import running_simulator
from tests.conftest import PG_DSN, ROOT, new_schema_name
from tests.deployment.deployment import Deployment, Executor, Services, running_deployment
from tests.deployment.scenario import CYCLES, MINIMAL_WORKBOOK
from tests.support.webhook import webhook_receiver
from tools import make_sample_workbook

SAMPLE_WORKBOOK = ROOT / "include" / "workbooks" / "sample_cycle.xlsx"
API_KEY = "sim-key"
BATCH_TYPES = (
    "Data Extraction", "EDM Creation", "Portfolio Creation", "MRI Import", "Create Reinsurance Treaties",
    "EDM DB Upgrade", "GeoHaz", "Portfolio Mapping", "Analysis", "Grouping", "Grouping Rollup", "Export to RDM",
)  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/deployment/" in str(item.path):
            item.add_marker(pytest.mark.deployment)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    return report


_FAILED = pytest.StashKey[bool]()


def _declare(folder: Path, minimal: Path) -> None:
    quick = {"poll_interval": 1, "retries": 3, "retry_delay_seconds": 2}
    workbooks = {"sample": SAMPLE_WORKBOOK, "minimal": minimal}
    for name, (workbook, on_existing) in CYCLES.items():
        declaration = {
            "name": name,
            "workbook": str(workbooks[workbook]),
            "on_existing": on_existing,
            "batch_types": {batch_type: dict(quick) for batch_type in BATCH_TYPES},
        }
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(declaration))


def _connection(**fields: Any) -> str:
    return json.dumps(fields)


@pytest.fixture(scope="module", params=[Executor.LOCAL, Executor.CELERY], ids=["local", "celery"])
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Deployment, Services]]:
    executor: Executor = request.param
    home = tmp_path_factory.mktemp(f"airflow_{executor.name.lower()}")
    cycles, storage = home / "cycles", home / "storage"
    cycles.mkdir()
    _declare(cycles, make_sample_workbook.write_sample(home / MINIMAL_WORKBOOK, minimal=True))
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute((ROOT / "include" / "demo" / "source_dataset.sql").read_text().encode())
    schema = new_schema_name()
    store = Store.from_dsn(PG_DSN, schema)
    migrations.upgrade(store)
    postgres = _connection(conn_type="postgres", host="127.0.0.1", port=5432, login="postgres", schema="postgres")
    try:
        with (
            running_simulator(
                mode="time", queued_seconds=0.5, pending_seconds=0.5, running_seconds=2,
                seed_workbook=str(SAMPLE_WORKBOOK),
            ) as simulator,
            webhook_receiver() as teams,
        ):  # fmt: skip
            services = {
                "AIRFLOW__IRP__CYCLES_FOLDER": str(cycles),
                "AIRFLOW__IRP__STORE_SCHEMA": schema,
                "AIRFLOW__IRP__STORAGE_ROOT": str(storage),
                "AIRFLOW__IRP__POLL_INTERVAL": "1",
                "AIRFLOW_CONN_IRP_POSTGRES": postgres,
                "AIRFLOW_CONN_SOURCE_SQL": postgres,
                "AIRFLOW_CONN_DATABRIDGE": postgres,
                "AIRFLOW_CONN_MOODYS_DEFAULT": _connection(
                    conn_type="http",
                    host=simulator.base_url,
                    password=API_KEY,
                    extra={"resource_group_id": "rg-deployment"},
                ),
                "AIRFLOW_CONN_TEAMS_DEFAULT": _connection(conn_type="http", host=teams.url),
            }
            with running_deployment(home, executor, services) as running:
                yield running, Services(store, simulator, teams, storage)
    finally:
        store.close()
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def keep_logs(
    request: pytest.FixtureRequest, deployment: tuple[Deployment, Services], tmp_path: Path
) -> Iterator[None]:
    """On failure: copy every component's log beside the test and print their tails."""
    running, _ = deployment
    sizes = {role: (path.stat().st_size if path.exists() else 0) for role, path in running.logs().items()}
    yield
    if not request.node.stash.get(_FAILED, False):
        return
    kept = tmp_path / "deployment-logs"
    kept.mkdir(exist_ok=True)
    for role, path in running.logs().items():
        if path.exists():
            shutil.copyfile(path, kept / path.name)
            tail = path.read_bytes()[sizes[role] :][-3000:].decode(errors="replace")
            print(f"\n===== {role} (this test's part, tail) =====\n{tail}")
    if running.notes:
        print("\n".join(["===== actions", *running.notes]))
    print(f"\nlogs kept in {kept} (task logs under {running.home / 'logs'})")
