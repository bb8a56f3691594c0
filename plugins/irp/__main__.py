"""Command line of the irp package: ``python -m irp db upgrade|status`` and ``cycle status NAME``."""

from __future__ import annotations

import argparse
import sys

from irp.exceptions import IrpError


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
    status.add_argument("--dsn", help="libpq connection string (default: the [irp] store_conn_id connection)")
    status.add_argument("--schema", help="store schema (default: [irp] store_schema)")
    status.set_defaults(handler=_cycle_status)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except IrpError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
