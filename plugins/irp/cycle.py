"""Cycles: the top-level unit of work (e.g. ``2026-Q1``), one Airflow DAG each."""

from __future__ import annotations

import re

from irp.constants import CycleStatus
from irp.exceptions import IrpError
from irp.records import Cycle, columns
from irp.store import Store, fetch_row, resolve

CYCLE_NAME = re.compile(r"^[A-Za-z0-9_-]{3,255}$")


class CycleError(IrpError):
    """A cycle name is invalid, or the cycle is missing or archived."""


def validate_cycle_name(name: object) -> str:
    """Cycle names become DAG ids and folder names: 3-255 of ``A-Z a-z 0-9 _ -``."""
    if not isinstance(name, str) or not CYCLE_NAME.fullmatch(name):
        raise CycleError(f"Invalid cycle name {name!r}: use 3 to 255 characters among A-Z a-z 0-9 _ -")
    return name


def ensure_cycle(name: str, *, store: Store | None = None) -> Cycle:
    """The cycle named ``name``, created ACTIVE when it does not exist yet."""
    validate_cycle_name(name)
    with resolve(store).transaction() as cursor:
        cursor.execute("INSERT INTO irp_cycle (cycle_name) VALUES (%s) ON CONFLICT (cycle_name) DO NOTHING", (name,))
        cursor.execute(f"SELECT {columns(Cycle)} FROM irp_cycle WHERE cycle_name = %s", (name,))
        return Cycle(**fetch_row(cursor))


def read_cycle(name: str, *, store: Store | None = None) -> Cycle:
    with resolve(store).transaction() as cursor:
        cursor.execute(f"SELECT {columns(Cycle)} FROM irp_cycle WHERE cycle_name = %s", (name,))
        row = cursor.fetchone()
    if row is None:
        raise CycleError(f"Cycle {name!r} not found")
    return Cycle(**row)


def archive_cycle(name: str, *, store: Store | None = None) -> Cycle:
    """Archive a cycle: its batches can no longer be submitted. Archiving twice is a no-op."""
    with resolve(store).transaction() as cursor:
        cursor.execute(
            "UPDATE irp_cycle SET status = %s, archived_ts = now() WHERE cycle_name = %s AND status = %s",
            (CycleStatus.ARCHIVED.value, name, CycleStatus.ACTIVE.value),
        )
    return read_cycle(name, store=store)
