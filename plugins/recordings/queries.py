"""Reads of recordings: the tab's order, the badge and count, the export. Core selects, one
statement per batch, always filtered by the tenant."""

from sqlalchemy import select

from core import keyset
from core.keyset import Order
from plugins.recordings.models import Recording

R = Recording.__table__

NEWEST = Order("recorded", ((R.c.recorded_at, True, False),), R.c.id)


def conditions(direction: str | None, kind: str | None) -> tuple:
    found = ()
    if direction is not None:
        found += (R.c.direction == direction,)
    if kind is not None:
        found += (R.c.kind == kind,)
    return found


def badge(tenant_id: int, customer_ids):
    """(customer id, recordings): the badge and `count` are every recording."""
    return keyset.counts_query(R, "customer_id", tenant_id, customer_ids)


async def counts(conn, principal, customer_ids) -> list[int]:
    return await keyset.counts(conn, R, "customer_id", principal.tenant_id, customer_ids)


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"recordings": [...]}`: the rows, oldest first (the audio stays in the storage)."""
    rows = await conn.execute(
        select(*(c for c in R.c if c.key not in ("idempotency_key", "fingerprint")))
        .where(R.c.tenant_id == tenant_id, R.c.customer_id == customer_id)
        .order_by(R.c.recorded_at, R.c.id)
    )
    return {"recordings": [dict(r) for r in rows.mappings()]}
