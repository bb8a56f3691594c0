"""A real Airflow deployment for tests: each component a process of its own, driven over REST.

``api-server``, ``scheduler``, ``dag-processor``, ``triggerer`` (and, with CeleryExecutor, two
``celery worker`` processes on the machine's Redis) share one Postgres metadata database created
for the deployment, the project's ``dags/`` and ``plugins/``, and a cycles folder of the test's
own. Tests talk to Airflow only through ``/api/v2`` with a JWT, as the UI does; components are
stopped, killed and restarted by pid.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx
import psycopg

from irp.store import Store
from moodys_simulator.testing import RunningSimulator
from tests.conftest import PG_DSN, ROOT
from tests.dashboard.server import SIMPLE_AUTH_MANAGER, free_port
from tests.support.webhook import WebhookReceiver

STARTUP_TIMEOUT = 180.0
USERNAME = "operator"
REDIS_URL = os.environ.get("IRP_TEST_REDIS", "redis://127.0.0.1:6379")
PG_HOST = "postgres@127.0.0.1:5432"
TERMINAL_RUN_STATES = frozenset({"success", "failed"})
#: Task instance states in which nothing will happen without a person or a retry delay.
SETTLED_TI_STATES = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})


class Executor(StrEnum):
    LOCAL = "LocalExecutor"
    CELERY = "CeleryExecutor"


class Role(StrEnum):
    """Airflow components this harness runs; workers only with CeleryExecutor."""

    API_SERVER = "api-server"
    SCHEDULER = "scheduler"
    DAG_PROCESSOR = "dag-processor"
    TRIGGERER = "triggerer"
    WORKER_1 = "worker-1"
    WORKER_2 = "worker-2"


@dataclass
class Services:
    """What the deployment talks to besides Airflow: the store, Moody's, Teams, cycle storage."""

    store: Store
    simulator: RunningSimulator
    teams: WebhookReceiver
    storage: Path


@dataclass
class Component:
    role: Role
    argv: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class RestClient:
    """``/api/v2`` with a JWT from ``/auth/token``, renewed when it expires."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self.username = username
        self.password = password
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self._token = ""

    def token(self) -> str:
        response = self.http.post("/auth/token", json={"username": self.username, "password": self.password})
        response.raise_for_status()
        return str(response.json()["access_token"])

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for _ in range(2):
            if not self._token:
                self._token = self.token()
            response = self.http.request(
                method, f"/api/v2{path}", headers={"Authorization": f"Bearer {self._token}"}, **kwargs
            )
            if response.status_code != 401:
                return response
            self._token = ""
        return response

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def close(self) -> None:
        self.http.close()


@dataclass
class Deployment:
    """A running deployment. ``services`` are the connections and ``[irp]`` settings it was given."""

    executor: Executor
    home: Path
    env: dict[str, str]
    components: dict[Role, Component]
    api: RestClient
    metadata_db: str
    notes: list[str] = field(default_factory=list)

    # -- components ---------------------------------------------------------------------------------
    def start(self, role: Role) -> None:
        component = self.components[role]
        assert not component.alive(), f"{role} is already running"
        with component.log.open("ab") as out:
            component.process = subprocess.Popen(
                component.argv, env=self.env, cwd=self.home, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def kill(self, role: Role, sig: signal.Signals = signal.SIGKILL) -> None:
        """Signal the component's whole process group (its forked workers too), as a crash would."""
        component = self.components[role]
        assert component.process is not None
        with suppress(ProcessLookupError):
            os.killpg(component.pid, sig)
        with suppress(subprocess.TimeoutExpired):
            component.process.wait(timeout=60)
        self.notes.append(f"{time.strftime('%H:%M:%S')} {sig.name} {role}")

    def restart(self, role: Role) -> None:
        if self.components[role].alive():
            self.kill(role)
        self.start(role)

    def stop(self) -> None:
        for component in reversed(self.components.values()):
            if component.alive():
                assert component.process is not None
                with suppress(ProcessLookupError):
                    os.killpg(component.pid, signal.SIGTERM)
        for component in self.components.values():
            if component.process is not None:
                try:
                    component.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    with suppress(ProcessLookupError):
                        os.killpg(component.pid, signal.SIGKILL)
                    component.process.wait()

    def cpu_seconds(self) -> float:
        """CPU time so far of every component and its descendants (reaped ones through their
        parents' children times)."""
        import psutil

        total = 0.0
        for component in self.components.values():
            if not component.alive():
                continue
            try:
                root = psutil.Process(component.pid)
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            for process in processes:
                try:
                    times = process.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                total += times.user + times.system + times.children_user + times.children_system
        return total

    def memory(self, role: Role) -> int:
        """Resident memory in bytes of the component and its descendants now."""
        import psutil

        root = psutil.Process(self.components[role].pid)
        total = 0
        for process in [root, *root.children(recursive=True)]:
            with suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
        return total

    def logs(self) -> dict[Role, Path]:
        return {role: component.log for role, component in self.components.items()}

    # -- DAGs and runs --------------------------------------------------------------------------------
    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while self.api.request("GET", f"/dags/{dag_id}").status_code != 200:
            assert time.monotonic() < deadline, f"DAG {dag_id} not parsed after {timeout} s ({self.import_errors()})"
            time.sleep(1)
        self.api.call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def import_errors(self) -> Any:
        return self.api.call("GET", "/importErrors")

    def trigger(self, dag_id: str, conf: Mapping[str, Any] | None = None) -> str:
        run_id = f"manual__{uuid.uuid4().hex[:12]}"
        body = {"dag_run_id": run_id, "logical_date": None, "conf": dict(conf or {})}
        return str(self.api.call("POST", f"/dags/{dag_id}/dagRuns", json=body)["dag_run_id"])

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self.api.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = self.api.call(
                "GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 100, "offset": len(items)}
            )
            items.extend(page["task_instances"])
            if len(items) >= page["total_entries"] or not page["task_instances"]:
                return items

    def wait_until(
        self,
        what: str,
        check: Callable[[], bool],
        timeout: float,
        every: float = 2.0,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
            if on_wait is not None:
                on_wait()
            time.sleep(every)

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 900) -> str:
        """Wait until the run ends; return its state."""
        state: list[str] = []

        def ended() -> bool:
            state[:] = [self.run_state(dag_id, run_id)]
            return state[0] in TERMINAL_RUN_STATES

        self.wait_until(f"{dag_id} {run_id} to end", ended, timeout)
        return state[0]

    def wait_for_tasks(
        self,
        dag_id: str,
        run_id: str,
        predicate: Callable[[list[dict[str, Any]]], bool],
        what: str,
        timeout: float = 600,
    ) -> list[dict[str, Any]]:
        seen: list[list[dict[str, Any]]] = [[]]

        def check() -> bool:
            seen[0] = self.task_instances(dag_id, run_id)
            return predicate(seen[0])

        self.wait_until(what, check, timeout, every=1.0)
        return seen[0]

    def clear(self, dag_id: str, run_id: str, task_instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """What a person does in the grid: clear these task instances with everything downstream of
        them, whatever its state (later groups may have been skipped); a mapped one by its index."""
        task_ids = [
            [ti["task_id"], ti["map_index"]] if ti["map_index"] >= 0 else ti["task_id"] for ti in task_instances
        ]
        body = {"dry_run": False, "dag_run_id": run_id, "task_ids": task_ids, "only_failed": False,
                "include_downstream": True, "reset_dag_runs": True}  # fmt: skip
        return list(self.api.call("POST", f"/dags/{dag_id}/clearTaskInstances", json=body)["task_instances"])

    def mark(self, dag_id: str, run_id: str, task_id: str, map_index: int, state: str) -> Any:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
        if map_index >= 0:
            path += f"/{map_index}"
        return self.api.call("PATCH", path, json={"new_state": state})


def _database(name: str, create: bool) -> None:
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
        else:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _redis_database() -> int:
    """A Redis database number of this deployment's own (1-15), flushed, so parallel runs never share a queue."""
    import redis

    client = redis.Redis.from_url(f"{REDIS_URL}/0")
    try:
        for _ in range(64):
            number = 1 + secrets.randbelow(15)
            if client.set(f"irp-test-redis-db-{number}", os.getpid(), nx=True, ex=3600):
                redis.Redis.from_url(f"{REDIS_URL}/{number}").flushdb()
                return number
    finally:
        client.close()
    raise RuntimeError("no free Redis database for the Celery broker")


def _release_redis_database(number: int) -> None:
    import redis

    client = redis.Redis.from_url(f"{REDIS_URL}/0")
    try:
        client.delete(f"irp-test-redis-db-{number}")
        redis.Redis.from_url(f"{REDIS_URL}/{number}").flushdb()
    finally:
        client.close()


def airflow_env(
    home: Path,
    executor: Executor,
    metadata_db: str,
    api_port: int,
    password_file: Path,
    services: Mapping[str, str],
    project: Path = ROOT,
) -> dict[str, str]:
    """The configuration every component gets (the same, as in a real multi-machine deployment).

    ``project`` is the checkout whose ``dags/`` and ``plugins/`` run (another revision's, to
    benchmark it against this one)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    venv_bin = str(Path(sys.executable).parent)
    env.update(
        {
            "PATH": f"{venv_bin}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONPATH": os.pathsep.join([str(project / "plugins"), str(project)]),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{PG_HOST}/{metadata_db}",
            "AIRFLOW__CORE__EXECUTOR": executor.value,
            "AIRFLOW__CORE__DAGS_FOLDER": str(project / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(project / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__CORE__MAX_MAP_LENGTH": "20000",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USERNAME}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(password_file),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "60",
            # What the image sets (Dockerfile; README "Airflow settings"): the next batch type starts sooner.
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.25",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            **services,
        }
    )
    return env


def _components(home: Path, executor: Executor, api_port: int) -> dict[Role, Component]:
    airflow = [sys.executable, "-m", "airflow"]
    argv: dict[Role, list[str]] = {
        Role.API_SERVER: [*airflow, "api-server", "--host", "127.0.0.1", "--port", str(api_port), "--workers", "1"],
        Role.SCHEDULER: [*airflow, "scheduler"],
        Role.DAG_PROCESSOR: [*airflow, "dag-processor"],
        Role.TRIGGERER: [*airflow, "triggerer"],
    }
    if executor is Executor.CELERY:
        for role in (Role.WORKER_1, Role.WORKER_2):
            argv[role] = [
                *airflow, "celery", "worker", "--concurrency", "4", "--celery-hostname", f"{role.value}@%h",
                "--skip-serve-logs",
            ]  # fmt: skip
    return {role: Component(role, args, home / f"{role.value}.log") for role, args in argv.items()}


def _wait_healthy(deployment: Deployment) -> None:
    api = deployment.components[Role.API_SERVER]

    def healthy() -> bool:
        for component in deployment.components.values():
            if not component.alive():
                raise RuntimeError(f"{component.role} exited:\n{component.log.read_text()[-4000:]}")
        try:
            health = httpx.get(f"{deployment.api.base_url}/api/v2/monitor/health", timeout=5).json()
        except (httpx.HTTPError, ValueError):
            return False
        return all(
            (health.get(part) or {}).get("status") == "healthy" for part in ("metadatabase", "scheduler", "triggerer")
        )

    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not healthy():
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"the deployment is not healthy after {STARTUP_TIMEOUT} s:\n{api.log.read_text()[-4000:]}"
            )
        time.sleep(1)


@contextmanager
def running_deployment(
    home: Path, executor: Executor, services: Mapping[str, str], project: Path = ROOT
) -> Iterator[Deployment]:
    """Migrate a metadata database of its own, start every component, and stop them all after."""
    metadata_db = f"irp_airflow_{uuid.uuid4().hex[:10]}"
    _database(metadata_db, create=True)
    redis_db = _redis_database() if executor is Executor.CELERY else None
    password = secrets.token_urlsafe(12)
    password_file = home / "passwords.json"
    password_file.write_text(json.dumps({USERNAME: password}))
    api_port = free_port()
    extra = dict(services)
    if redis_db is not None:
        extra["AIRFLOW__CELERY__BROKER_URL"] = f"{REDIS_URL}/{redis_db}"
        extra["AIRFLOW__CELERY__RESULT_BACKEND"] = f"db+postgresql://{PG_HOST}/{metadata_db}"
    env = airflow_env(home, executor, metadata_db, api_port, password_file, extra, project)
    api = RestClient(f"http://127.0.0.1:{api_port}", USERNAME, password)
    deployment = Deployment(executor, home, env, _components(home, executor, api_port), api, metadata_db)
    try:
        airflow = [sys.executable, "-m", "airflow"]
        for step in (
            ["db", "migrate"],
            ["pools", "set", "moodys_api", "8", "Concurrent Moody's submissions"],
        ):
            with (home / "setup.log").open("ab") as out:
                subprocess.run([*airflow, *step], env=env, cwd=home, stdout=out, stderr=subprocess.STDOUT, check=True)
        for role in deployment.components:
            deployment.start(role)
        _wait_healthy(deployment)
        yield deployment
    finally:
        deployment.stop()
        api.close()
        if redis_db is not None:
            _release_redis_database(redis_db)
        _database(metadata_db, create=False)
