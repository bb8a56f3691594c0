"""Command line: validate a workbook or print its job configurations, without Airflow.

    python -m irp.configuration validate PATH [--json]
    python -m irp.configuration jobs PATH "Batch Type"

Exit codes: 0 valid, 1 invalid workbook (one ``Sheet!Cell: message`` line per error on
stdout), 2 the file is missing or not a workbook, or the command line is wrong (one line on
stderr). Analysts run it before handing a workbook over, so its output is the error list itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from enum import IntEnum
from typing import Any, TextIO

from irp.configuration.issues import ValidationIssue
from irp.configuration.jobs import generate_job_configurations, job_counts
from irp.configuration.reader import WorkbookReadError
from irp.configuration.validation import ValidationReport, validate_workbook
from irp.constants import BatchType
from irp.exceptions import ConfigurationError


class ExitCode(IntEnum):
    VALID = 0
    INVALID = 1
    UNUSABLE = 2


class Command:
    VALIDATE = "validate"
    JOBS = "jobs"


VALID_LINE = "valid"
WARNING_PREFIX = "warning: "
#: Shown instead of a job count for a batch type the cycle does not create (§4.3).
NOT_CREATED = "    -  (not created)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m irp.configuration", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser(Command.VALIDATE, help="validate a workbook and count its jobs")
    validate.add_argument("path", help="the master configuration workbook (.xlsx)")
    validate.add_argument("--json", action="store_true", help="print the parsed document as JSON")
    jobs = commands.add_parser(Command.JOBS, help="print the job configurations of one batch type as JSON")
    jobs.add_argument("path", help="the master configuration workbook (.xlsx)")
    jobs.add_argument("batch_type", help=f"one of: {', '.join(BatchType)}")
    return parser


def _print_json(data: Any, out: TextIO) -> None:
    json.dump(data, out, indent=2, ensure_ascii=False)
    out.write("\n")


def _print_errors(report: ValidationReport, as_json: bool, out: TextIO, err: TextIO) -> ExitCode:
    if as_json:
        _print_json({"valid": False, "errors": [issue.to_dict() for issue in report.errors]}, out)
    else:
        for issue in report.errors:
            print(issue, file=out)
    print(f"{report.source}: {len(report.errors)} error(s)", file=err)
    return ExitCode.INVALID


def _print_counts(report: ValidationReport, out: TextIO) -> None:
    assert report.document is not None
    counts = job_counts(report.document)
    width = max(len(batch_type) for batch_type in BatchType)
    print(VALID_LINE, file=out)
    print(f"{'Batch type':<{width}}  {'Jobs':>5}", file=out)
    for batch_type in BatchType:
        count = f"{counts[batch_type]:>5}" if batch_type in counts else NOT_CREATED
        print(f"{batch_type.value:<{width}}  {count}", file=out)


def _print_warnings(warnings: Sequence[ValidationIssue], err: TextIO) -> None:
    for issue in warnings:
        print(f"{WARNING_PREFIX}{issue}", file=err)


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    args = _parser().parse_args(argv)
    try:
        batch_type = BatchType.parse(args.batch_type) if args.command == Command.JOBS else None
    except ValueError as exc:
        print(exc, file=err)
        return ExitCode.UNUSABLE
    try:
        report = validate_workbook(args.path)
    except WorkbookReadError as exc:
        print(exc, file=err)
        return ExitCode.UNUSABLE
    as_json = args.command == Command.JOBS or args.json
    if not report.valid:
        return _print_errors(report, as_json, out, err)
    _print_warnings(report.warnings, err)
    assert report.document is not None
    if batch_type is not None:
        try:
            _print_json(generate_job_configurations(report.document, batch_type), out)
        except ConfigurationError as exc:
            print(exc, file=err)
            return ExitCode.UNUSABLE
    elif args.json:
        _print_json(report.document, out)
    else:
        _print_counts(report, out)
    return ExitCode.VALID
