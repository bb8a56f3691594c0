"""``load_configuration`` against a real Postgres store (the ``store`` fixture of tests/conftest.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from irp.configuration import InvalidConfigurationError, Rule, WorkbookReadError, load_configuration
from irp.exceptions import ConfigurationError


def rows(store: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    with store.transaction() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def count(store: Any, table: str) -> int:
    return rows(store, f"SELECT count(*) AS n FROM {table}")[0]["n"]


def test_valid_workbook_creates_cycle_and_valid_configuration(store: Any, sample_path: Path) -> None:
    result = load_configuration("2026-Q2", sample_path, store=store)

    assert result.created is True
    assert result.replaced_configuration_id is None
    (cycle,) = rows(store, "SELECT id, cycle_name, status FROM irp_cycle")
    assert (cycle["id"], cycle["cycle_name"], cycle["status"]) == (result.cycle_id, "2026-Q2", "ACTIVE")
    (configuration,) = rows(store, "SELECT * FROM irp_configuration")
    assert configuration["id"] == result.configuration_id
    assert configuration["status"] == "VALID"
    assert configuration["configuration_file_name"] == str(sample_path.resolve())
    assert configuration["content_sha256"] == result.content_sha256
    assert len(result.content_sha256) == 64
    data = configuration["configuration_data"]
    assert data["Metadata"]["Export RDM Name"] == "RM_RDM_202606_QEM_DEMO"
    assert data["GeoHaz Thresholds"][0]["% of Grand Total"] == 55.0
    assert configuration["file_last_updated_ts"] is not None


def test_reloading_the_same_workbook_returns_the_existing_configuration(store: Any, sample_path: Path) -> None:
    first = load_configuration("2026-Q2", sample_path, store=store)
    again = load_configuration("2026-Q2", sample_path, store=store)

    assert again.created is False
    assert again.configuration_id == first.configuration_id
    assert count(store, "irp_configuration") == 1


def test_a_changed_workbook_is_a_new_configuration_replacing_the_old(
    store: Any, sample_path: Path, mutate: Callable[[Any], Path]
) -> None:
    first = load_configuration("2026-Q2", sample_path, store=store)
    changed = mutate(lambda workbook: workbook["Metadata"].__setitem__("B12", "Annual"))

    second = load_configuration("2026-Q2", changed, store=store)

    assert second.created is True
    assert second.replaced_configuration_id == first.configuration_id
    assert second.content_sha256 != first.content_sha256
    assert second.cycle_id == first.cycle_id
    history = rows(
        store, "SELECT id, configuration_data->'Metadata'->>'Cycle Type' AS t FROM irp_configuration ORDER BY id"
    )
    assert [(row["id"], row["t"]) for row in history] == [
        (first.configuration_id, "Quarterly"),
        (second.configuration_id, "Annual"),
    ]


def test_same_content_under_another_name_is_unchanged(store: Any, sample_path: Path, tmp_path: Path) -> None:
    first = load_configuration("2026-Q2", sample_path, store=store)
    copy = Path(shutil.copy(sample_path, tmp_path / "renamed.xlsx"))

    assert load_configuration("2026-Q2", copy, store=store).configuration_id == first.configuration_id


def test_invalid_workbook_writes_nothing(store: Any, mutate: Callable[[Any], Path]) -> None:
    def break_it(workbook: Any) -> None:
        workbook["Databases"]["B3"] = "n"
        workbook["Groupings"]["B2"] = "INVALID ITEM"

    with pytest.raises(InvalidConfigurationError) as raised:
        load_configuration("2026-Q2", mutate(break_it), store=store)

    assert isinstance(raised.value, ConfigurationError)
    assert [(e.sheet, e.cell, e.rule) for e in raised.value.errors] == [
        ("Databases", "B3", Rule.PATTERN),
        ("Groupings", "B2", Rule.UNDEFINED_GROUP_ITEM),
    ]
    assert "Databases!B3:" in str(raised.value)
    assert count(store, "irp_cycle") == 0
    assert count(store, "irp_configuration") == 0


def test_invalid_reload_keeps_the_current_configuration(
    store: Any, sample_path: Path, mutate: Callable[[Any], Path]
) -> None:
    first = load_configuration("2026-Q2", sample_path, store=store)

    with pytest.raises(InvalidConfigurationError):
        load_configuration("2026-Q2", mutate(lambda workbook: workbook.remove(workbook["Groupings"])), store=store)

    assert [row["id"] for row in rows(store, "SELECT id FROM irp_configuration")] == [first.configuration_id]


def test_missing_file_writes_nothing(store: Any, tmp_path: Path) -> None:
    with pytest.raises(WorkbookReadError):
        load_configuration("2026-Q2", tmp_path / "absent.xlsx", store=store)
    assert count(store, "irp_cycle") == 0


def test_archived_cycle_is_refused(store: Any, sample_path: Path) -> None:
    load_configuration("2026-Q1", sample_path, store=store)
    with store.transaction() as cursor:
        cursor.execute("UPDATE irp_cycle SET status = 'ARCHIVED', archived_ts = now()")

    with pytest.raises(ConfigurationError, match="ARCHIVED"):
        load_configuration("2026-Q1", sample_path, store=store)


def test_replacing_a_configuration_with_batches_is_refused(
    store: Any, sample_path: Path, mutate: Callable[[Any], Path]
) -> None:
    first = load_configuration("2026-Q2", sample_path, store=store)
    with store.transaction() as cursor:
        cursor.execute(
            "INSERT INTO irp_batch (configuration_id, batch_type) VALUES (%s, 'EDM Creation')",
            (first.configuration_id,),
        )
    changed = mutate(lambda workbook: workbook["Metadata"].__setitem__("B12", "Annual"))

    with pytest.raises(ConfigurationError, match=r"1 batch\(es\) have been created"):
        load_configuration("2026-Q2", changed, store=store)
    assert count(store, "irp_configuration") == 1
    # The unchanged workbook is still accepted (idempotent retry of the load task).
    assert load_configuration("2026-Q2", sample_path, store=store).created is False


@pytest.mark.parametrize("name", ["", "  ", "Q1", "2026 Q1"])
def test_invalid_cycle_name_is_refused_before_anything_is_written(store: Any, sample_path: Path, name: str) -> None:
    from irp.cycle import CycleError

    with pytest.raises(CycleError, match="Invalid cycle name"):
        load_configuration(name, sample_path, store=store)
    assert count(store, "irp_cycle") == 0
