"""Run the simulator in-process, on a real socket, for tests and benchmarks.

with running_simulator(mode="ticks") as sim:
    sim.base_url           # http://127.0.0.1:<free port>
    sim.admin.state()      # GET /_sim/state
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from moodys_simulator.app import create_app
from moodys_simulator.core import Simulator
from moodys_simulator.options import SimulatorOptions

STARTUP_TIMEOUT_SECONDS = 10.0


class Admin:
    """Client of the ``/_sim`` admin endpoints."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def _post(self, path: str, body: Any = None) -> Any:
        response = self.http.post(path, json=body if body is not None else {})
        response.raise_for_status()
        return response.json()

    def state(self) -> dict[str, Any]:
        response = self.http.get("/_sim/state")
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._post("/_sim/reset")

    def fault(self, **rule: Any) -> dict[str, Any]:
        return self._post("/_sim/faults", rule)

    def clear_faults(self) -> None:
        self.http.delete("/_sim/faults").raise_for_status()

    def job_outcome(self, **rule: Any) -> None:
        self._post("/_sim/job-outcomes", rule)

    def advance_job(self, job_id: int | str, by: float = 1) -> dict[str, Any]:
        """Move a job ``by`` phases (ticks mode) or seconds (time mode) forward."""
        return self._post(f"/_sim/jobs/{job_id}/advance", {"by": by})

    def clear_job_outcomes(self) -> None:
        self.http.delete("/_sim/job-outcomes").raise_for_status()

    def configure(self, **options: Any) -> None:
        self._post("/_sim/config", options)

    def map_portfolio(self, edm_name: str, portfolio_name: str, sub_portfolios: list[dict[str, Any]]) -> Any:
        body = {"edmName": edm_name, "portfolioName": portfolio_name, "subPortfolios": sub_portfolios}
        return self._post("/_sim/portfolio-mapping", body)

    def advance_clock(self, seconds: float) -> None:
        self._post("/_sim/clock/advance", {"seconds": seconds})

    def expire_tokens(self) -> None:
        self._post("/_sim/tokens/expire")

    def close(self) -> None:
        self.http.close()


@dataclass
class RunningSimulator:
    base_url: str
    port: int
    simulator: Simulator
    admin: Admin


@contextmanager
def running_simulator(**options: Any) -> Iterator[RunningSimulator]:
    """Start the simulator on 127.0.0.1 and a free port in a background thread; stop it on exit."""
    import uvicorn

    simulator = Simulator(SimulatorOptions(**options))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(simulator), log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"moodys-sim-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("The Moody's simulator did not start")
        time.sleep(0.01)
    base_url = f"http://127.0.0.1:{port}"
    admin = Admin(base_url)
    try:
        yield RunningSimulator(base_url, port, simulator, admin)
    finally:
        admin.close()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def simulator_process(*cli_args: str, port: int | None = None) -> Iterator[str]:
    """Run ``python -m moodys_simulator`` as a separate process (its own GIL); yields its base URL."""
    import subprocess
    import sys
    from pathlib import Path

    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moodys_simulator", "--port", str(port), *cli_args],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS * 2
        while True:
            try:
                httpx.get(f"{base_url}/_sim/state", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("The Moody's simulator process did not start") from None
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)
