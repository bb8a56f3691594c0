"""Assets a cycle updates, so downstream DAGs can be scheduled on them.

``irp://cycles/<cycle>/edms`` is updated when the cycle's EDMs are created, and
``irp://cycles/<cycle>/rdm`` when its results are exported to the RDM; each event's extra names
the entities (EDM names, RDM name) and the batch.
"""

from __future__ import annotations

from airflow.sdk import Asset

from irp.batch_types import entry
from irp.constants import BatchType

ASSET_GROUP = "irp"


def cycle_asset(cycle_name: str, batch_type: BatchType) -> Asset | None:
    """The asset a batch type's completion updates, if any."""
    emitted = entry(batch_type).asset
    if emitted is None:
        return None
    kind = emitted.kind
    return Asset(name=f"irp_{cycle_name}_{kind}", uri=f"irp://cycles/{cycle_name}/{kind}", group=ASSET_GROUP)
