"""A real Airflow API server serving the dashboard plugin over a store holding a demo cycle."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import psycopg
import pytest

from irp import migrations
from irp.store import Store
from tests.conftest import PG_DSN, new_schema_name
from tests.dashboard.demo import DEMO_CYCLE, DemoCycle, build_demo_cycle, demo_services
from tests.dashboard.server import ApiServer, running_api_server


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, DemoCycle]]:
    """A store in a schema of its own holding the demo cycle (shared by the session's server), run
    through the real job backends against the Moody's simulator, which stops once the demo is built."""
    schema = new_schema_name()
    store = Store.from_dsn(PG_DSN, schema)
    migrations.upgrade(store)
    try:
        with demo_services(store, tmp_path_factory.mktemp("demo_storage")) as simulator:
            demo = build_demo_cycle(store, DEMO_CYCLE, simulator)
        yield store, demo
    finally:
        store.close()
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def demo(demo_store: tuple[Store, DemoCycle]) -> DemoCycle:
    return demo_store[1]


@pytest.fixture(scope="session")
def api_server(demo_store: tuple[Store, DemoCycle], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    store, _ = demo_store
    with running_api_server(tmp_path_factory.mktemp("airflow_api_server"), store.schema) as server:
        yield server


@pytest.fixture(scope="session")
def token(api_server: ApiServer) -> str:
    return api_server.token()


@pytest.fixture
def client(api_server: ApiServer, token: str) -> Iterator[httpx.Client]:
    """An HTTP client signed in with a bearer token, as REST API clients are."""
    with httpx.Client(base_url=api_server.base_url, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


@pytest.fixture
def anonymous(api_server: ApiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_server.base_url) as client:
        yield client
