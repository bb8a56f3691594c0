"""Fixtures of the Moody's client tests: one simulator per session on a real socket (ticks mode:
every status read advances a job one phase), reset before each test, and a MoodysHook on an
``AIRFLOW_CONN_MOODYS_DEFAULT`` JSON connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from irp.moodys.hook import MoodysHook
from moodys.cycle import (
    ACCOUNTS_CSV,
    ACCOUNTS_FILE,
    API_KEY,
    CONN_ENV,
    FAST_RETRIES,
    LOCATIONS_CSV,
    LOCATIONS_FILE,
    USER,
    connection_json,
)
from moodys_simulator.testing import RunningSimulator, running_simulator


@pytest.fixture(scope="session")
def simulator() -> Iterator[RunningSimulator]:
    with running_simulator(mode="ticks", api_keys=(API_KEY,), users=(USER,)) as running:
        yield running


@pytest.fixture
def sim(simulator: RunningSimulator) -> RunningSimulator:
    simulator.admin.reset()
    simulator.admin.configure(mode="ticks", ticks_per_phase=1, failure_rates={}, latency_ms=0.0)
    return simulator


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / ACCOUNTS_FILE).write_text(ACCOUNTS_CSV)
    (tmp_path / LOCATIONS_FILE).write_text(LOCATIONS_CSV)
    return tmp_path


@pytest.fixture
def hook(sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Iterator[MoodysHook]:
    monkeypatch.setenv(CONN_ENV, connection_json(sim))
    moodys = MoodysHook(moodys_conn_id="moodys_default", retry_policy=FAST_RETRIES, data_directory=data_dir)
    yield moodys
    moodys.close()
