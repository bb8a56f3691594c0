"""Loading a workbook into the store as a cycle's configuration (spec §2.2 V-30…V-32).

The workbook is validated before anything is written, so an invalid workbook leaves no trace.
The bytes that are validated are the bytes that are hashed and stored, so a file saved while
it is being loaded cannot slip through half-checked. Each change of the workbook becomes a new
configuration row (the previous rows stay as the history of the cycle); reloading an unchanged
workbook is a no-op that returns the existing row, which makes the load task safe to retry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from irp.configuration.issues import ValidationIssue
from irp.configuration.reader import is_url, modified_time, read_bytes
from irp.configuration.validation import InvalidConfigurationError, validate_content
from irp.constants import ConfigurationStatus, CycleStatus
from irp.cycle import validate_cycle_name
from irp.exceptions import ConfigurationError
from irp.repair_request import REPAIR_DAG_ID

if TYPE_CHECKING:
    from irp.store import Store


@dataclass(frozen=True)
class LoadResult:
    """What a load did. ``created`` is False when the same workbook was already loaded;
    ``replaced_configuration_id`` is the cycle's previous configuration when a changed
    workbook replaced it."""

    cycle_id: int
    configuration_id: int
    created: bool
    replaced_configuration_id: int | None
    content_sha256: str
    warnings: tuple[ValidationIssue, ...] = ()


def load_configuration(cycle_name: str, path: str | Path, *, store: Store | None = None) -> LoadResult:
    """Validate the workbook at ``path`` (a local path, or an object-storage URL such as
    ``s3://bucket/wb.xlsx``) and store it as the configuration of ``cycle_name``.

    Creates the cycle (ACTIVE) when it does not exist. Raises, writing nothing: CycleError for an
    invalid cycle name; WorkbookReadError for a missing or unreadable file;
    InvalidConfigurationError for an invalid workbook; ConfigurationError when the cycle is
    archived or batches were already created from its current configuration (the cycle must then
    be archived and a new one started, V-31).
    """
    from psycopg.types.json import Jsonb

    from irp.store import fetch_row, resolve

    validate_cycle_name(cycle_name)
    source = str(path) if is_url(path) else str(Path(path).resolve())
    content = read_bytes(source)
    report = validate_content(content, source=source)
    if not report.valid:
        raise InvalidConfigurationError(source, report.errors)
    digest = hashlib.sha256(content).hexdigest()
    modified = modified_time(source) or datetime.now(UTC)
    with resolve(store).transaction() as cursor:
        cursor.execute(
            "INSERT INTO irp_cycle (cycle_name, status) VALUES (%s, %s) ON CONFLICT (cycle_name) DO NOTHING",
            (cycle_name, CycleStatus.ACTIVE.value),
        )
        cursor.execute("SELECT id, status FROM irp_cycle WHERE cycle_name = %s FOR UPDATE", (cycle_name,))
        cycle = fetch_row(cursor)
        if cycle["status"] != CycleStatus.ACTIVE:
            raise ConfigurationError(
                f"Cycle {cycle_name!r} is {cycle['status']}; configurations are loaded into an active cycle only"
            )
        cursor.execute(
            "SELECT id, content_sha256 FROM irp_configuration WHERE cycle_id = %s ORDER BY id DESC LIMIT 1",
            (cycle["id"],),
        )
        current = cursor.fetchone()
        if current is not None and current["content_sha256"] == digest:
            return LoadResult(cycle["id"], current["id"], False, None, digest, report.warnings)
        if current is not None:
            cursor.execute("SELECT count(*) AS batches FROM irp_batch WHERE configuration_id = %s", (current["id"],))
            batches = fetch_row(cursor)["batches"]
            if batches:
                raise ConfigurationError(
                    f"Cannot replace configuration {current['id']} of cycle {cycle_name!r}: {batches} "
                    f"batch(es) have been created from it; archive the cycle and create a new one for the "
                    f"edited workbook. Archive it with the DAG {REPAIR_DAG_ID} (action 'Archive cycle') or "
                    f"`python -m irp cycle archive {cycle_name} --reason '...'`, then declare a new cycle file."
                )
        cursor.execute(
            "INSERT INTO irp_configuration (cycle_id, configuration_file_name, configuration_data, status, "
            "file_last_updated_ts, content_sha256) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (cycle["id"], source, Jsonb(report.document), ConfigurationStatus.VALID.value, modified, digest),
        )
        configuration_id = fetch_row(cursor)["id"]
    return LoadResult(
        cycle["id"],
        configuration_id,
        True,
        None if current is None else current["id"],
        digest,
        report.warnings,
    )
