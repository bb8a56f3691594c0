"""Cycle declarations: one YAML file per cycle in ``[irp] cycles_folder``, one DAG each.

Reading a declaration touches only its small YAML file — never the database, the network or
the workbook — so DAG parsing stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from irp.batch_types import REGISTRY
from irp.constants import BatchType
from irp.cycle import CycleError, validate_cycle_name

DAG_ID_PREFIX = "irp_cycle__"


class OnExisting(StrEnum):
    """What a run does when entities it would create already exist in Moody's."""

    ASK = "ask"  # a human decides (Airflow human-in-the-loop)
    SKIP = "skip"  # keep them; their jobs are skipped
    RERUN = "rerun"  # delete them and run the jobs again


class Decision(StrEnum):
    """The options offered to the person deciding (also the HITL option labels)."""

    KEEP = "Keep existing (skip their jobs)"
    RERUN_ALL = "Delete and re-run all"
    RERUN_SELECTED = "Delete and re-run selected"


#: Batch types whose entities (analyses, groups, the RDM) may already exist in Moody's:
#: ``on_existing`` applies to them (their registry entries say how each is found and deleted).
ENTITIES_MAY_EXIST = frozenset(batch_type for batch_type, entry in REGISTRY.items() if entry.may_exist)


@dataclass(frozen=True)
class BatchTypeSettings:
    """Per-batch-type knobs of a cycle."""

    poll_interval: float | None = None  # seconds; default [irp] poll_interval
    retries: int = 2  # automatic retries of infrastructure failures (they re-attach, never resubmit)
    retry_delay: timedelta = timedelta(seconds=30)
    timeout: timedelta = timedelta(hours=24)  # how long to wait for one Moody's job
    #: How long a job task follows its Moody's job itself before deferring to the triggerer. Zero by
    #: default: a job that FINISHED ends its task in the triggerer, so deferring at once costs no
    #: second worker start; a job that ends otherwise resumes its task (see irp.triggers.job).
    defer_after: timedelta = timedelta(0)

    @classmethod
    def parse(cls, raw: object, where: str) -> BatchTypeSettings:
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise CycleError(f"{where}: expected a mapping of settings, got {type(raw).__name__}")
        unknown = set(raw) - {"poll_interval", "retries", "retry_delay_seconds", "timeout_hours", "defer_after_seconds"}
        if unknown:
            raise CycleError(f"{where}: unknown settings {sorted(unknown)}")
        try:
            poll = raw.get("poll_interval")
            settings = cls(
                poll_interval=None if poll is None else float(poll),
                retries=int(raw.get("retries", cls.retries)),
                retry_delay=timedelta(seconds=float(raw.get("retry_delay_seconds", 30))),
                timeout=timedelta(hours=float(raw.get("timeout_hours", 24))),
                defer_after=timedelta(seconds=float(raw.get("defer_after_seconds", cls.defer_after.total_seconds()))),
            )
        except (TypeError, ValueError) as exc:
            raise CycleError(f"{where}: {exc}") from None
        if settings.retries < 0 or settings.retry_delay.total_seconds() < 0 or settings.defer_after < timedelta(0):
            raise CycleError(f"{where}: retries, retry_delay_seconds and defer_after_seconds must be >= 0")
        if (settings.poll_interval is not None and settings.poll_interval <= 0) or settings.timeout <= timedelta(0):
            raise CycleError(f"{where}: poll_interval and timeout_hours must be > 0")
        return settings


@dataclass(frozen=True)
class CycleDeclaration:
    name: str
    workbook: str  # path (relative to the project root) or object-storage URL
    source: Path
    schedule: str | None = None
    description: str = ""
    on_existing: OnExisting = OnExisting.ASK
    tags: tuple[str, ...] = ()
    batch_types: dict[BatchType, BatchTypeSettings] = field(default_factory=dict)

    @property
    def dag_id(self) -> str:
        return DAG_ID_PREFIX + self.name

    def settings_for(self, batch_type: BatchType) -> BatchTypeSettings:
        return self.batch_types.get(batch_type) or BatchTypeSettings()


def _valid_schedule(schedule: str) -> bool:
    from croniter import croniter

    return schedule in _PRESETS or croniter.is_valid(schedule)


_PRESETS = {"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly"}
_KEYS = {"name", "workbook", "schedule", "description", "on_existing", "tags", "batch_types"}


def parse_declaration(raw: Any, source: Path) -> CycleDeclaration:
    """Validate one declaration; every error names the file and the key."""
    where = str(source)
    if not isinstance(raw, dict):
        raise CycleError(f"{where}: a cycle file holds a mapping (name, workbook, ...)")
    unknown = set(raw) - _KEYS
    if unknown:
        raise CycleError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    for key in ("name", "workbook"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise CycleError(f"{where}: '{key}' is required and must be text")
    try:
        name = validate_cycle_name(raw["name"])
        on_existing = OnExisting(raw.get("on_existing", OnExisting.ASK))
    except (CycleError, ValueError) as exc:
        raise CycleError(f"{where}: {exc}") from None
    schedule = raw.get("schedule")
    if schedule is not None and (not isinstance(schedule, str) or not _valid_schedule(schedule)):
        raise CycleError(f"{where}: 'schedule' must be a cron expression, a preset like '@daily', or null")
    batch_types: dict[BatchType, BatchTypeSettings] = {}
    for key, value in (raw.get("batch_types") or {}).items():
        try:
            batch_type = BatchType.parse(key)
        except ValueError as exc:
            raise CycleError(f"{where}: batch_types: {exc}") from None
        batch_types[batch_type] = BatchTypeSettings.parse(value, f"{where}: batch_types.{key}")
    return CycleDeclaration(
        name=name,
        workbook=raw["workbook"],
        source=source,
        schedule=schedule,
        description=str(raw.get("description") or ""),
        on_existing=on_existing,
        tags=tuple(str(tag) for tag in raw.get("tags") or ()),
        batch_types=batch_types,
    )


@dataclass(frozen=True)
class DeclarationError:
    """A cycle file that could not be read; its DAG shows the message instead of running."""

    source: Path
    message: str


def load_declarations(folder: Path) -> tuple[list[CycleDeclaration], list[DeclarationError]]:
    """Every ``*.yaml`` / ``*.yml`` cycle file of ``folder``, sorted by file name.

    A broken file (bad YAML, unknown key, duplicate cycle name) is reported, not raised, so one
    typo does not take every other cycle's DAG down with it.
    """
    import yaml

    declarations: list[CycleDeclaration] = []
    errors: list[DeclarationError] = []
    seen: dict[str, Path] = {}
    paths = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []
    for path in paths:
        try:
            declaration = parse_declaration(yaml.safe_load(path.read_text(encoding="utf-8")), path)
            if declaration.name in seen:
                raise CycleError(f"{path}: cycle {declaration.name!r} is already declared in {seen[declaration.name]}")
        except yaml.YAMLError as exc:
            errors.append(DeclarationError(path, f"{path}: not valid YAML: {exc}"))
        except CycleError as exc:
            errors.append(DeclarationError(path, str(exc)))
        else:
            seen[declaration.name] = path
            declarations.append(declaration)
    return declarations, errors
