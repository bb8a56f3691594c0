"""``load_configuration``: a cycle with more jobs of one batch type than Airflow maps a task over
fails before anything is created, naming the batch type and the setting; the image's setting
covers a cycle of ten times the users' workbook."""

from __future__ import annotations

import re
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from irp.constants import BatchType
from irp.operators.batch import check_map_length, load_configuration
from tests.conftest import ROOT
from tests.deployment.scenario import SAMPLE_JOBS

SAMPLE_WORKBOOK = ROOT / "include" / "workbooks" / "sample_cycle.xlsx"
#: Copies of the sample in the ten-times benchmark cycle (bench/deployment.py --scale 76: 4,636 jobs).
TEN_TIMES = 76


def test_a_batch_type_over_max_map_length_fails_the_load_before_anything_is_created(
    airflow_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__MAX_MAP_LENGTH", "9")  # the sample's Export to RDM has 15 jobs
    with pytest.raises(AirflowFailException) as error:
        load_configuration("2026-Q1", str(SAMPLE_WORKBOOK))
    assert "[core] max_map_length = 9" in str(error.value)
    assert "Export to RDM: 15 jobs" in str(error.value)
    assert "Analysis" not in str(error.value)  # 9 jobs: within the limit
    with airflow_store.transaction() as cursor:
        cursor.execute("SELECT count(*) AS n FROM irp_batch")
        assert cursor.fetchone()["n"] == 0


def test_within_max_map_length_the_batches_are_created(airflow_store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__MAX_MAP_LENGTH", "15")
    batch_ids = load_configuration("2026-Q1", str(SAMPLE_WORKBOOK))
    assert set(batch_ids) == {batch_type.value for batch_type in BatchType}


def test_the_image_maps_a_cycle_of_ten_times_the_users_workbook(monkeypatch: pytest.MonkeyPatch) -> None:
    (setting,) = re.findall(r"AIRFLOW__CORE__MAX_MAP_LENGTH=(\d+)", (ROOT / "Dockerfile").read_text())
    monkeypatch.setenv("AIRFLOW__CORE__MAX_MAP_LENGTH", setting)
    ten_times = {batch_type: count * TEN_TIMES for batch_type, count in SAMPLE_JOBS.items()}
    assert max(ten_times.values()) > 1024  # Airflow's default would refuse it
    check_map_length(ten_times)
