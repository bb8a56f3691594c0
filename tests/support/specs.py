"""Job specs for tests that call a backend directly: a job configuration (as the workbook generates
and the store keeps it) read as its batch type's typed spec, as the store does before submitting."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from irp.batch_types import entry
from irp.configuration.specs import JobSpec
from irp.constants import BatchType


def spec(batch_type: BatchType | str, data: Mapping[str, Any], document: Mapping[str, Any] | None = None) -> JobSpec:
    return entry(batch_type).job_spec(data, document)


def specs(
    batch_type: BatchType | str, configs: Iterable[Mapping[str, Any]], document: Mapping[str, Any] | None = None
) -> list[JobSpec]:
    return [spec(batch_type, data, document) for data in configs]
