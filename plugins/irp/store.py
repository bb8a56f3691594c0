"""The batch/job store: Postgres connections, transactions and per-batch locking.

Every operation of :mod:`irp.batch`, :mod:`irp.job` and :mod:`irp.recon` runs in one
transaction of a :class:`Store`. Each thread gets its own connection, so mapped tasks and
test threads never share one; ``search_path`` pins the store's schema.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from irp.exceptions import StoreError

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import RowFactory

    from irp.settings import Settings

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

Connector = Callable[[], "psycopg.Connection[Any]"]
Row = TypeVar("Row")


def validate_schema_name(schema: str) -> str:
    """Schema names reach SQL as identifiers: accept plain lower-case names only."""
    if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema):
        raise StoreError(f"Invalid store schema {schema!r}: use lower-case letters, digits and '_'.")
    return schema


class Store:
    """Access to the irp tables of one schema."""

    def __init__(self, connect: Connector, schema: str = "irp") -> None:
        self._connect = connect
        self.schema = validate_schema_name(schema)
        self._local = threading.local()
        self._connections: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()

    @classmethod
    def from_dsn(cls, dsn: str, schema: str = "irp") -> Store:
        """A store on a libpq connection string (tests, benchmarks, the CLI's ``--dsn``)."""
        import psycopg

        return cls(lambda: psycopg.connect(dsn), schema)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Store:
        """A store on the Airflow connection ``[irp] store_conn_id``, through PostgresHook."""
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        from irp.settings import Settings

        settings = settings or Settings.load()
        hook = PostgresHook(postgres_conn_id=settings.store_conn_id)

        def connect() -> psycopg.Connection[Any]:
            import psycopg

            conn = hook.get_conn()
            if not isinstance(conn, psycopg.Connection):  # psycopg2: PostgresHook without SQLAlchemy 2
                raise StoreError("The irp store needs psycopg 3 (install psycopg[binary]).")
            return conn

        return cls(connect, settings.store_schema)

    def _connection(self) -> psycopg.Connection[Any]:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            from psycopg import sql

            try:
                conn = self._connect()
            except StoreError:
                raise
            except Exception as exc:  # the driver's message names host and database, never the password
                raise StoreError(f"Cannot connect to the irp store: {exc}") from exc
            conn.autocommit = True
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def transaction(self, row_factory: RowFactory[Any] | None = None) -> Iterator[psycopg.Cursor[Any]]:
        """Yield a cursor inside one transaction; commit on success.

        Rows are dicts unless ``row_factory`` says otherwise: ``args_row(Record)`` builds records
        straight from the row tuples, without a dict per row (10,000-job reads).
        """
        from psycopg.rows import dict_row

        conn = self._connection()
        with conn.transaction(), conn.cursor(row_factory=row_factory or dict_row) as cursor:
            yield cursor

    @contextmanager
    def advisory_lock(self, namespace: int, key: int) -> Iterator[None]:
        """Hold a session-level advisory lock, outside any transaction, until the block ends.

        For work that waits on the network (a Moody's call): no transaction stays open meanwhile,
        and a crashed process releases the lock with its connection. Transactions taking
        ``pg_advisory_xact_lock(namespace, key)`` wait for it.
        """
        conn = self._connection()
        conn.execute("SELECT pg_advisory_lock(%s, %s)", (namespace, key))
        try:
            yield
        finally:
            if not conn.closed and not conn.broken:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", (namespace, key))

    def close(self) -> None:
        """Close every connection this store opened (all threads)."""
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()


def lock_batch(cursor: psycopg.Cursor[Any], batch_id: int, *, exclusive: bool) -> dict[str, Any] | None:
    """Lock a batch row for the rest of the transaction; its id and status, None when it does not exist.

    Recon and resubmission take the exclusive lock, job updates the shared one (always the batch
    before the job), so a recon never reads a half-applied set of job updates and no update slips in
    between its read and its write.
    """
    mode = "UPDATE" if exclusive else "SHARE"
    cursor.execute(f"SELECT id, status FROM irp_batch WHERE id = %s FOR {mode}", (batch_id,))
    return cursor.fetchone()


def fetch_row(cursor: psycopg.Cursor[Row]) -> Row:
    """The row of a query that always returns one (RETURNING, an aggregate, a row read under lock)."""
    row = cursor.fetchone()
    if row is None:
        raise StoreError("The store returned no row where one was expected")
    return row


@cache
def _store_for(conn_id: str, schema: str) -> Store:
    from irp.settings import Settings

    return Store.from_settings(Settings(store_conn_id=conn_id, store_schema=schema))


def default_store() -> Store:
    """The store configured in Airflow (``[irp] store_conn_id`` / ``store_schema``), one per
    process and configuration, so its connections are reused across operations."""
    from airflow.sdk import conf

    from irp.settings import SECTION, Settings

    return _store_for(
        conf.get(SECTION, "store_conn_id", fallback=Settings.store_conn_id),
        conf.get(SECTION, "store_schema", fallback=Settings.store_schema),
    )


def resolve(store: Store | None) -> Store:
    return store if store is not None else default_store()
