from __future__ import annotations

import shutil
import threading
from pathlib import Path

import psycopg
import pytest

from irp import migrations
from irp.exceptions import StoreError
from irp.store import Store
from tests.conftest import PG_DSN, new_schema_name

TABLES = {
    "irp_cycle",
    "irp_configuration",
    "irp_batch",
    "irp_job_configuration",
    "irp_job",
    "irp_job_tracking_log",
    "irp_batch_recon_log",
    "irp_schema_migration",
}


@pytest.fixture
def empty_schema():
    schema = new_schema_name()
    yield schema
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def tables(schema: str) -> set[str]:
    with psycopg.connect(PG_DSN) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)).fetchall()
    return {row[0] for row in rows}


def test_upgrade_creates_every_table_and_records_versions(empty_schema):
    store = Store.from_dsn(PG_DSN, empty_schema)
    applied = migrations.upgrade(store)
    assert [m.version for m in applied] == [m.version for m in migrations.discover()]
    assert tables(empty_schema) >= TABLES
    ledger = migrations.applied_migrations(store)
    assert [(m.version, m.checksum) for m in ledger] == [(m.version, m.checksum) for m in applied]


def test_upgrade_twice_applies_nothing_the_second_time(empty_schema):
    store = Store.from_dsn(PG_DSN, empty_schema)
    assert migrations.upgrade(store)
    assert migrations.upgrade(store) == []
    assert len(migrations.applied_migrations(store)) == len(migrations.discover())


def test_concurrent_upgrades_apply_each_migration_once(empty_schema):
    results: list[object] = []

    def run() -> None:
        store = Store.from_dsn(PG_DSN, empty_schema)
        try:
            results.append(len(migrations.upgrade(store)))
        except Exception as exc:  # collected and asserted below
            results.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0] * 5 + [len(migrations.discover())]


def test_cli_upgrade_is_idempotent(empty_schema):
    from irp.__main__ import main

    assert main(["db", "upgrade", "--dsn", PG_DSN, "--schema", empty_schema]) == 0
    assert main(["db", "upgrade", "--dsn", PG_DSN, "--schema", empty_schema]) == 0
    assert tables(empty_schema) >= TABLES


def test_changed_applied_migration_is_refused(empty_schema, tmp_path: Path):
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.migrations_folder(), folder)
    store = Store.from_dsn(PG_DSN, empty_schema)
    migrations.upgrade(store, folder)
    first = sorted(folder.glob("0001_*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(StoreError, match="was changed after it was applied"):
        migrations.upgrade(store, folder)


def test_badly_named_or_gapped_migrations_are_refused(tmp_path: Path):
    (tmp_path / "0001_a.sql").write_text("SELECT 1")
    (tmp_path / "0003_c.sql").write_text("SELECT 1")
    with pytest.raises(StoreError, match="without gaps"):
        migrations.discover(tmp_path)
    (tmp_path / "2_b.sql").write_text("SELECT 1")
    with pytest.raises(StoreError, match="does not match"):
        migrations.discover(tmp_path)


@pytest.mark.parametrize("schema", ["", "Irp", "irp; drop table x", "1abc", "a" * 64])
def test_invalid_schema_names_are_refused(schema):
    with pytest.raises(StoreError, match="Invalid store schema"):
        Store.from_dsn(PG_DSN, schema)
