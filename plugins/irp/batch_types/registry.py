"""The registry: each batch type's entry, from its module of this package."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from irp.batch_types import (
    analysis,
    create_reinsurance_treaties,
    data_extraction,
    edm_creation,
    edm_db_upgrade,
    export_to_rdm,
    geohaz,
    grouping,
    grouping_rollup,
    mri_import,
    portfolio_creation,
    portfolio_mapping,
)
from irp.batch_types.entry import BatchTypeEntry
from irp.constants import BatchType

_MODULES = (
    data_extraction,
    edm_creation,
    portfolio_creation,
    mri_import,
    create_reinsurance_treaties,
    edm_db_upgrade,
    geohaz,
    portfolio_mapping,
    analysis,
    grouping,
    grouping_rollup,
    export_to_rdm,
)

#: Every batch type's entry, in dependency order.
REGISTRY: Mapping[BatchType, BatchTypeEntry] = MappingProxyType({m.ENTRY.batch_type: m.ENTRY for m in _MODULES})


def entry(batch_type: BatchType | str) -> BatchTypeEntry:
    """The entry of ``batch_type`` (a ``BatchType``, its display name or its slug)."""
    return REGISTRY[BatchType.parse(batch_type)]
