"""The DAG file builds one DAG per cycle file, fast, without touching the database or Moody's."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import yaml

from irp.constants import BatchType
from tests.conftest import ROOT


@pytest.fixture
def cycles_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cycles"
    folder.mkdir()
    monkeypatch.setenv("AIRFLOW__IRP__CYCLES_FOLDER", str(folder))
    # Unreachable services: parsing must not need any of them.
    monkeypatch.setenv("AIRFLOW_CONN_IRP_POSTGRES", '{"conn_type": "postgres", "host": "127.0.0.1", "port": 1}')
    monkeypatch.setenv("AIRFLOW_CONN_MOODYS_DEFAULT", '{"conn_type": "http", "host": "http://127.0.0.1:1"}')
    return folder


def write_cycle(folder, name, **extra):
    body = {"name": name, "workbook": "does/not/exist.xlsx", **extra}
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(body))


def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def test_one_dag_per_cycle_file(cycles_folder):
    write_cycle(cycles_folder, "2026-Q1", schedule="0 2 1 */3 *")
    write_cycle(cycles_folder, "2026-Q2", on_existing="skip", batch_types={"Analysis": {"poll_interval": 60}})
    bag = dagbag()
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == ["irp_cycle__2026-Q1", "irp_cycle__2026-Q2", "irp_repair"]
    dag = bag.dags["irp_cycle__2026-Q1"]
    dag.check_cycle()
    groups = [bt.slug for bt in BatchType]
    # One task per batch type besides its jobs (the first loads the workbook, Export to RDM's runs
    # the seed job), one mapped task per job, the verdict.
    expected = {"cycle_result"}
    expected |= {f"{group}.{task}" for group in groups for task in ("prepare", "job")}
    assert {t.task_id for t in dag.tasks} == expected
    assert all(dag.get_task(f"{group}.job").is_mapped for group in groups)
    assert dag.params["on_existing"] == "ask"
    assert bag.dags["irp_cycle__2026-Q2"].params["on_existing"] == "skip"


def test_parsing_is_fast_and_needs_no_services(cycles_folder):
    for quarter in range(1, 5):
        write_cycle(cycles_folder, f"2026-Q{quarter}")
    code = (
        "import time, sys; sys.path.insert(0, 'plugins'); from airflow.dag_processing.dagbag import DagBag; "
        "t = time.perf_counter(); bag = DagBag(dag_folder='dags'); "
        "print(len(bag.dags), len(bag.import_errors), time.perf_counter() - t)"
    )
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    dags, errors, parse_seconds = out.stdout.split()[-3:]
    assert (int(dags), int(errors)) == (5, 0)  # and irp_repair
    # Recorded, not asserted against a machine-dependent bound: see bench/ for timings.
    print(f"4 cycle DAGs parsed in {float(parse_seconds):.2f}s (process {time.perf_counter() - started:.1f}s)")


def test_a_broken_cycle_file_becomes_a_failing_dag_and_spares_the_others(cycles_folder):
    write_cycle(cycles_folder, "2026-Q1")
    (cycles_folder / "typo.yaml").write_text("name: 2026-Q9\nworkbok: x.xlsx\n")
    (cycles_folder / "bad-yaml.yml").write_text("name: [unclosed\n")
    bag = dagbag()
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == [
        "irp_cycle__2026-Q1", "irp_cycle__broken__bad-yaml", "irp_cycle__broken__typo", "irp_repair",
    ]  # fmt: skip
    broken = bag.dags["irp_cycle__broken__typo"]
    assert "unknown keys ['workbok']" in broken.description


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "x", "workbook": "w.xlsx"}, "Invalid cycle name 'x'"),
        ({"name": "2026-Q1"}, "'workbook' is required"),
        ({"name": "2026-Q1", "workbook": "w", "on_existing": "maybe"}, "'maybe' is not a valid OnExisting"),
        ({"name": "2026-Q1", "workbook": "w", "batch_types": {"Analysys": {}}}, "Unknown batch_type 'Analysys'"),
        (
            {"name": "2026-Q1", "workbook": "w", "batch_types": {"Analysis": {"retries": -1}}},
            "retries, retry_delay_seconds and defer_after_seconds must be >= 0",
        ),
        ({"name": "2026-Q1", "workbook": "w", "schedule": 5}, "'schedule' must be a cron expression"),
        ({"name": "2026-Q1", "workbook": "w", "schedule": "every tuesday"}, "'schedule' must be a cron expression"),
        (
            {"name": "2026-Q1", "workbook": "w", "batch_types": {"GeoHaz": {"timeout_hours": 0}}},
            "timeout_hours must be > 0",
        ),
        (
            {"name": "2026-Q1", "workbook": "w", "batch_types": {"GeoHaz": {"timeout_hours": -1}}},
            "timeout_hours must be > 0",
        ),
    ],
)
def test_declaration_errors_name_the_file_and_key(tmp_path, body, message):
    from irp.cycles import load_declarations

    (tmp_path / "c.yaml").write_text(yaml.safe_dump(body))
    declarations, errors = load_declarations(tmp_path)
    assert declarations == []
    assert len(errors) == 1
    assert message in errors[0].message
    assert str(tmp_path / "c.yaml") in errors[0].message


def test_duplicate_cycle_names_are_reported(tmp_path):
    from irp.cycles import load_declarations

    for stem in ("a", "b"):
        (tmp_path / f"{stem}.yaml").write_text("name: 2026-Q1\nworkbook: w.xlsx\n")
    declarations, errors = load_declarations(tmp_path)
    assert [d.name for d in declarations] == ["2026-Q1"]
    assert "already declared" in errors[0].message
