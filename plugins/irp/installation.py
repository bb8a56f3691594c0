"""The store's installation id: a random UUID that ``python -m irp db upgrade`` creates once per
store (migration 0004).

It is the namespace of the idempotency keys the store's jobs send to Moody's. Job ids start
again in every store (a new schema, test and production on one Moody's tenant); a key made of
the job id alone would, within Moody's 24-hour key lifetime, hand one store's job the answer —
and the Moody's job — of another store's job with the same id.
"""

from __future__ import annotations

from uuid import UUID

from irp.exceptions import StoreError
from irp.store import Store, resolve


def installation_id(*, store: Store | None = None) -> UUID:
    with resolve(store).transaction() as cursor:
        cursor.execute("SELECT installation_id FROM irp_installation")
        row = cursor.fetchone()
    if row is None:
        raise StoreError("The store has no installation id; run `python -m irp db upgrade`")
    return UUID(str(row["installation_id"]))
