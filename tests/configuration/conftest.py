"""Fixtures of the workbook tests: the sample, the shared reference workbook, and mutated copies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import REFERENCE_WORKBOOK, shared_file

if TYPE_CHECKING:
    from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_WORKBOOK = ROOT / "include" / "workbooks" / "sample_cycle.xlsx"

Mutation = Callable[["Workbook"], Any]
Mutator = Callable[[Mutation], Path]


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE_WORKBOOK


@pytest.fixture(scope="session")
def reference_path() -> Path:
    return shared_file(REFERENCE_WORKBOOK)


@pytest.fixture(scope="session")
def sample_document(sample_path: Path) -> dict[str, Any]:
    from irp.configuration import validate_workbook

    report = validate_workbook(sample_path)
    assert report.valid, report.errors
    assert report.document is not None
    return report.document


@pytest.fixture(scope="session")
def reference_document(reference_path: Path) -> dict[str, Any]:
    from irp.configuration import validate_workbook

    report = validate_workbook(reference_path)
    assert report.valid, report.errors
    assert report.document is not None
    return report.document


@pytest.fixture
def mutate(tmp_path: Path, sample_path: Path) -> Mutator:
    """Copy the sample through openpyxl, apply ``mutation`` to it, and return the new file."""
    from openpyxl import load_workbook

    counter = iter(range(1_000_000))

    def apply(mutation: Mutation) -> Path:
        workbook = load_workbook(sample_path)
        mutation(workbook)
        path = tmp_path / f"mutated_{next(counter)}.xlsx"
        workbook.save(path)
        return path

    return apply
