"""``airflow api-server`` in a home of its own, for tests that need the real server.

SQLite metadata database (migrated by ``airflow db migrate``), SimpleAuthManager with the users of
``USERS`` (passwords we write), the project's plugins folder, the ``irp_repair`` DAG serialized into
the metadata database (so it can be triggered over the REST API; no scheduler runs it), and the irp
store connection pointing at the given schema.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import ROOT

USERNAME = "analyst"
ROLE = "viewer"  # the least privileged role: the dashboard is for every signed-in user
OPERATOR = "operator"  # SimpleAuthManager's "user" role may trigger DAGs: repairs
OUTSIDER = "outsider"  # signed in, but with no role: may read no DAG, so no cycle
USERS = {USERNAME: ROLE, OPERATOR: "user", OUTSIDER: ""}
REPAIR_DAG_FILE = ROOT / "dags" / "irp_repair.py"
STARTUP_TIMEOUT = 120.0
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"


@dataclass(frozen=True)
class ApiServer:
    base_url: str
    username: str
    password: str
    log: Path
    passwords: dict[str, str]

    def token(self, username: str | None = None) -> str:
        """A JWT from the server's login endpoint, as the REST API and the UI get one."""
        username = username or self.username
        response = httpx.post(
            f"{self.base_url}/auth/token", json={"username": username, "password": self.passwords[username]}
        )
        assert response.status_code == 201, response.text
        return response.json()["access_token"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(home: Path, schema: str, password_file: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{user}:{role}" for user, role in USERS.items()),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(password_file),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__IRP__STORE_SCHEMA": schema,
            "AIRFLOW_CONN_IRP_POSTGRES": json.dumps(
                {"conn_type": "postgres", "host": "127.0.0.1", "port": 5432, "login": "postgres", "schema": "postgres"}
            ),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "plugins"), str(ROOT)]),
        }
    )
    return env


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"airflow api-server exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{base_url}/api/v2/monitor/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"airflow api-server not healthy after {STARTUP_TIMEOUT} s:\n{log.read_text()[-4000:]}")


@contextmanager
def running_api_server(home: Path, schema: str) -> Iterator[ApiServer]:
    """Migrate the metadata database in ``home``, start the server on a free port, stop it after."""
    (home / "dags").mkdir()
    (home / "dags" / REPAIR_DAG_FILE.name).symlink_to(REPAIR_DAG_FILE)
    passwords = {user: secrets.token_urlsafe(12) for user in USERS}
    password_file = home / "simple_auth_manager_passwords.json"
    password_file.write_text(json.dumps(passwords))
    env = _server_env(home, schema, password_file)
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run([*airflow, "db", "migrate"], env=env, check=True, capture_output=True, cwd=home)
    subprocess.run([*airflow, "dags", "reserialize"], env=env, check=True, capture_output=True, cwd=home)
    port = free_port()
    log = home / "api-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*airflow, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env,
            cwd=home,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(process, base_url, log)
        yield ApiServer(base_url, USERNAME, passwords[USERNAME], log, passwords)
    finally:  # the server's own session: uvicorn and anything it forked
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
