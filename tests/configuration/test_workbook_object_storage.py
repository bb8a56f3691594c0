"""Workbooks on object storage: a cycle file's ``workbook: s3://…`` is read through Airflow's
``ObjectStoragePath``, here with the ``memory://`` and ``file://`` filesystems."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from irp.configuration import Rule, WorkbookReadError, load_configuration, validate_workbook


@pytest.fixture
def memory_workbook(sample_path: Path) -> str:
    from airflow.sdk import ObjectStoragePath

    target = ObjectStoragePath(f"memory://irp-test-{uuid.uuid4().hex[:8]}/cycles/wb.xlsx")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(sample_path.read_bytes())
    return str(target)


def test_a_workbook_in_object_storage_is_loaded(store: Any, memory_workbook: str, sample_path: Path) -> None:
    result = load_configuration("2026-Q1", memory_workbook, store=store)

    assert result.created
    with store.transaction() as cursor:
        cursor.execute("SELECT configuration_file_name, content_sha256, status FROM irp_configuration")
        (row,) = cursor.fetchall()
    assert row["configuration_file_name"] == memory_workbook
    assert row["status"] == "VALID"
    local = load_configuration("2026-Q1", sample_path, store=store)  # the same bytes: the same configuration
    assert (local.created, local.configuration_id) == (False, result.configuration_id)


def test_a_file_url_is_read_like_the_local_path(store: Any, sample_path: Path) -> None:
    result = load_configuration("2026-Q1", sample_path.resolve().as_uri(), store=store)
    assert result.created
    assert validate_workbook(sample_path.resolve().as_uri()).valid


def test_a_missing_object_is_reported_with_its_url(store: Any, memory_workbook: str) -> None:
    missing = memory_workbook.replace("wb.xlsx", "missing.xlsx")
    with pytest.raises(WorkbookReadError) as error:
        load_configuration("2026-Q1", missing, store=store)
    assert (error.value.rule, str(error.value)) == (Rule.FILE_NOT_FOUND, f"Configuration file not found: {missing}")
    with store.transaction() as cursor:
        cursor.execute("SELECT count(*) AS n FROM irp_cycle")
        assert cursor.fetchone()["n"] == 0


def test_an_unknown_scheme_is_an_unreadable_workbook(store: Any) -> None:
    with pytest.raises(WorkbookReadError) as error:
        load_configuration("2026-Q1", "nosuchscheme://bucket/wb.xlsx", store=store)
    assert error.value.rule is Rule.UNREADABLE_WORKBOOK
    assert str(error.value).startswith("Failed to read Excel file nosuchscheme://bucket/wb.xlsx: ")
