"""Versioned SQL migrations of the store (``include/sql/migrations/NNNN_name.sql``).

``upgrade`` applies the pending files in order inside one transaction under an advisory lock,
so two processes migrating at once (a scheduler and a worker starting together) neither fail
nor apply anything twice. Applied files are recorded with a checksum: an edited migration that
was already applied is an error, not a silent drift.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from irp.exceptions import StoreError
from irp.store import Store, fetch_row

MIGRATION_FILE = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
_LOCK_NAMESPACE = 0x1A9  # first half of the advisory lock key; the schema name is the second


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    name: str
    checksum: str
    applied_ts: datetime


def migrations_folder() -> Path:
    from irp.settings import Settings

    return Path(Settings.load().sql_folder) / "migrations"


def discover(folder: Path | None = None) -> list[Migration]:
    """The migration files of ``folder``, ordered by version; gaps and duplicates are errors."""
    folder = folder or migrations_folder()
    if not folder.is_dir():
        raise StoreError(f"Migrations folder not found: {folder}")
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        match = MIGRATION_FILE.match(path.name)
        if not match:
            raise StoreError(f"Migration file {path.name} does not match NNNN_name.sql")
        found.append(Migration(int(match["version"]), match["name"], path.read_text(encoding="utf-8")))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise StoreError(
                f"Migration versions must be 1..n without gaps; found {migration.version} where {expected} was expected"
            )
    return found


_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS irp_schema_migration (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR(255) NOT NULL,
    checksum   CHAR(64) NOT NULL,
    applied_ts TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


def upgrade(store: Store, folder: Path | None = None) -> list[Migration]:
    """Apply the pending migrations; returns those applied (empty when already up to date)."""
    from psycopg import sql

    migrations = discover(folder)
    with store.transaction() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_NAMESPACE, store.schema))
        cursor.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(store.schema)))
        cursor.execute(_CREATE_LEDGER)
        cursor.execute("SELECT version, name, checksum FROM irp_schema_migration ORDER BY version")
        applied = {row["version"]: row for row in cursor.fetchall()}
        pending = []
        for migration in migrations:
            row = applied.pop(migration.version, None)
            if row is None:
                pending.append(migration)
            elif row["checksum"] != migration.checksum:
                raise StoreError(
                    f"Migration {migration.version:04d}_{migration.name} was changed after it "
                    f"was applied to schema {store.schema!r}; add a new migration instead"
                )
        if applied:
            raise StoreError(
                f"Schema {store.schema!r} has migrations this code does not know: "
                f"{sorted(applied)}; upgrade irp-airflow"
            )
        for migration in pending:
            cursor.execute(migration.sql.encode())
            cursor.execute(
                "INSERT INTO irp_schema_migration (version, name, checksum) VALUES (%s, %s, %s)",
                (migration.version, migration.name, migration.checksum),
            )
    return pending


def applied_migrations(store: Store) -> list[AppliedMigration]:
    """What the ledger records (empty for a schema never migrated)."""
    with store.transaction() as cursor:
        cursor.execute("SELECT to_regclass('irp_schema_migration') IS NOT NULL AS present")
        if not fetch_row(cursor)["present"]:
            return []
        cursor.execute("SELECT version, name, checksum, applied_ts FROM irp_schema_migration ORDER BY version")
        return [AppliedMigration(**row) for row in cursor.fetchall()]
