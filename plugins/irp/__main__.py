"""Command line of the irp package.

``python -m irp db upgrade|status``, ``cycle status|archive|repairs``, ``job resubmit|skip|cancel``
and ``batch cancel``. The repairs are those of the ``irp_repair`` DAG (one implementation,
:mod:`irp.repair`): a refused repair exits 1 with every reason and changes nothing.
"""

from __future__ import annotations

import argparse
import sys

from irp.exceptions import IrpError
from irp.repair_request import RepairAction, RepairTarget


def _store(args: argparse.Namespace):
    from irp.store import Store

    if args.dsn:
        return Store.from_dsn(args.dsn, args.schema or "irp")
    from irp.settings import Settings

    settings = Settings.load()
    if args.schema:
        settings = Settings(**{**settings.__dict__, "store_schema": args.schema})
    return Store.from_settings(settings)


def _db_upgrade(args: argparse.Namespace) -> int:
    from irp import migrations

    store = _store(args)
    applied = migrations.upgrade(store)
    if applied:
        for migration in applied:
            print(f"applied {migration.version:04d}_{migration.name}")
    else:
        print(f"schema {store.schema!r} is up to date")
    return 0


def _db_status(args: argparse.Namespace) -> int:
    from irp import migrations

    store = _store(args)
    applied = {m.version: m for m in migrations.applied_migrations(store)}
    for migration in migrations.discover():
        done = applied.get(migration.version)
        state = f"applied {done.applied_ts:%Y-%m-%d %H:%M:%S%z}" if done else "pending"
        print(f"{migration.version:04d}_{migration.name}: {state}")
    return 0


def _cycle_status(args: argparse.Namespace) -> int:
    from irp.reports import cycle_batches, format_cycle_batches

    summaries = cycle_batches(args.cycle, store=_store(args))
    print(format_cycle_batches(args.cycle, summaries))
    return 0 if summaries else 1


def _parameters(text: str | None) -> dict[str, object] | None:
    """``--parameters``: a JSON object, or ``@file.json``."""
    import json
    from pathlib import Path

    from irp.configuration.overrides import FieldError
    from irp.repair import RepairRefused
    from irp.repair_request import RequestField

    if text is None:
        return None
    try:
        return json.loads(Path(text[1:]).read_text() if text.startswith("@") else text)
    except (OSError, ValueError) as exc:
        raise RepairRefused(
            [FieldError(RequestField.PARAMETERS, f"not a readable JSON object: {exc}", "json")]
        ) from exc


def _repair(args: argparse.Namespace) -> int:
    from irp.repair import repair
    from irp.repair_request import RepairOrigin, RepairRequest, Requester

    request = RepairRequest(
        action=args.action,
        reason=args.reason,
        requester=Requester(args.user, RepairOrigin.CLI),
        job_id=getattr(args, "job_id", None),
        batch_id=getattr(args, "batch_id", None),
        cycle=getattr(args, "cycle", None),
        parameters=_parameters(getattr(args, "parameters", None)),
    )
    outcome = repair(request, store=_store(args))
    for message in outcome.messages:
        print(message)
    print(f"Recorded as repair {outcome.repair_id} of cycle {outcome.cycle_name} ({args.user}).")
    return 0


def _cycle_repairs(args: argparse.Namespace) -> int:
    from irp.repair import repair_log

    records = repair_log(cycle_name=args.cycle, store=_store(args))
    for r in records:
        target = f"job {r.job_id}" if r.job_id else f"batch {r.batch_id}" if r.batch_id else f"cycle {r.cycle_name}"
        made = f" -> job {r.new_job_id}" if r.new_job_id else ""
        print(f"{r.id}\t{r.created_ts:%Y-%m-%d %H:%M:%S}\t{r.requested_by} ({r.origin})\t{r.action} {target}{made}"
              f"\t{r.reason}")  # fmt: skip
    if not records:
        print(f"no repairs recorded for cycle {args.cycle!r}")
    return 0


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dsn", help="libpq connection string (default: the [irp] store_conn_id connection)")
    parser.add_argument("--schema", help="store schema (default: [irp] store_schema)")


def _repair_command(commands: argparse._SubParsersAction, name: str, action: RepairAction, text: str) -> None:
    import getpass

    sub = commands.add_parser(name, help=text)
    target = action.target
    sub.add_argument(
        target.value, type=str if target is RepairTarget.CYCLE else int, help=target.value.replace("_", " ")
    )
    if action is RepairAction.RESUBMIT_WITH_CHANGES:
        sub.add_argument(
            "--parameters",
            required=True,
            help="the changed fields as a JSON object, or @file.json (the others keep their value)",
        )
    sub.add_argument("--reason", required=True, help="why (kept with the repair)")
    sub.add_argument("--user", default=getpass.getuser(), help="who asks (default: your login name)")
    _store_options(sub)
    sub.set_defaults(handler=_repair, action=action)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m irp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    db = commands.add_parser("db", help="the batch/job store")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    for name, handler, text in (
        ("upgrade", _db_upgrade, "apply pending migrations (idempotent)"),
        ("status", _db_status, "list migrations and whether they are applied"),
    ):
        sub = db_commands.add_parser(name, help=text)
        sub.add_argument("--dsn", help="libpq connection string (default: the [irp] store_conn_id connection)")
        sub.add_argument("--schema", help="store schema (default: [irp] store_schema)")
        sub.set_defaults(handler=handler)
    cycle = commands.add_parser("cycle", help="cycles in the store")
    cycle_commands = cycle.add_subparsers(dest="cycle_command", required=True)
    status = cycle_commands.add_parser("status", help="a cycle's batches with their job counts")
    status.add_argument("cycle", help="cycle name, e.g. 2026-Q1")
    _store_options(status)
    status.set_defaults(handler=_cycle_status)
    repairs = cycle_commands.add_parser("repairs", help="the repairs recorded for a cycle, newest first")
    repairs.add_argument("cycle", help="cycle name")
    _store_options(repairs)
    repairs.set_defaults(handler=_cycle_repairs)
    _repair_command(
        cycle_commands, "archive", RepairAction.ARCHIVE_CYCLE, "archive a cycle (to load an edited workbook)"
    )
    job = commands.add_parser("job", help="repair a job")
    job_commands = job.add_subparsers(dest="job_command", required=True)
    _repair_command(job_commands, "resubmit", RepairAction.RESUBMIT_WITH_CHANGES, "resubmit a job with new parameters")
    _repair_command(job_commands, "skip", RepairAction.SKIP_JOB, "skip a job and its configuration")
    _repair_command(job_commands, "cancel", RepairAction.CANCEL_JOB, "cancel a job in Moody's")
    batch = commands.add_parser("batch", help="repair a batch")
    batch_commands = batch.add_subparsers(dest="batch_command", required=True)
    _repair_command(batch_commands, "cancel", RepairAction.CANCEL_BATCH, "cancel every unfinished job of a batch")
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except IrpError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
