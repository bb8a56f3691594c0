"""SQL templates in ``include/sql/<kind>/<cycle dir>/`` and how cycle values reach them.

Workbook values never become SQL text: they are bound parameters, or — when they pick a
template file or a folder — validated names that must match an existing file exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from irp.exceptions import JobError

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
FETCH_SIZE = 5_000


def safe_name(value: object, what: str) -> str:
    """A workbook value used to choose a file: letters, digits, ``_ . -`` only, no path."""
    text = str(value) if value is not None else ""
    if not SAFE_NAME.fullmatch(text) or ".." in text:
        raise JobError(f"{what} {value!r} cannot name a SQL template: use letters, digits, '_', '.', '-'")
    return text


def cycle_directory(root: Path, cycle_type: object) -> Path:
    """The template folder of a cycle type: ``test`` for any type containing "test", else the
    folder whose name equals the cycle type, compared case-insensitively."""
    if not isinstance(cycle_type, str) or not cycle_type.strip():
        raise JobError("A cycle type is required to choose the SQL templates")
    wanted = "test" if "test" in cycle_type.lower() else cycle_type.lower()
    folders = {p.name.lower(): p for p in root.iterdir() if p.is_dir()} if root.is_dir() else {}
    if wanted not in folders:
        raise JobError(
            f"No SQL template folder for cycle type {cycle_type!r} under {root} (available: {sorted(folders)})"
        )
    return folders[wanted]


@dataclass(frozen=True)
class ResultSet:
    columns: list[str]
    rows: Iterator[tuple[Any, ...]]


@contextmanager
def run_template(conn_id: str, path: Path, parameters: Mapping[str, Any]) -> Iterator[ResultSet]:
    """Run one template on a DB-API connection (any common-sql hook); yields its first result
    set, streamed. The template's text is used as is and the values are bound."""
    from airflow.sdk import BaseHook

    hook = BaseHook.get_connection(conn_id).get_hook()
    sql = path.read_text(encoding="utf-8")
    with closing(hook.get_conn()) as conn, closing(conn.cursor()) as cursor:
        cursor.execute(sql, dict(parameters))
        if cursor.description is None:
            raise JobError(f"SQL template {path.name} returned no result set")
        columns = [str(column[0]) for column in cursor.description]

        def rows() -> Iterator[tuple[Any, ...]]:
            while batch := cursor.fetchmany(FETCH_SIZE):
                yield from batch

        yield ResultSet(columns, rows())
