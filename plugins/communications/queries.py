"""Reads of messages: the tab's order, the unread badge per worker, and the export. Core
selects, one statement per batch, always filtered by the tenant."""

from sqlalchemy import and_, func, select

from core.keyset import Order
from plugins.communications import attachments
from plugins.communications.models import Message, ReadMarker

M = Message.__table__
R = ReadMarker.__table__

NEWEST = Order("newest", (), M.c.id, descending=True)


def unread_query(principal, customer_ids):
    """(customer id, unread): the customer's inbound messages past the viewer's read
    marker. Built from the principal and the ids alone (kept by the compiled path)."""
    marker = and_(
        R.c.tenant_id == M.c.tenant_id,
        R.c.customer_id == M.c.customer_id,
        R.c.worker_id == principal.worker_id,
    )
    return (
        select(M.c.customer_id, func.count().label("unread"))
        .select_from(M.outerjoin(R, marker))
        .where(
            M.c.tenant_id == principal.tenant_id,
            M.c.customer_id.in_(customer_ids),
            M.c.direction == "INBOUND",
            M.c.id > func.coalesce(R.c.last_read_id, 0),
        )
        .group_by(M.c.customer_id)
    )


async def unread_counts(conn, principal, customer_ids) -> list[int]:
    found = dict((await conn.execute(unread_query(principal, customer_ids))).all())
    return [found.get(i, 0) for i in customer_ids]


def unmatched(principal, *conditions):
    """The tenant's inbound messages on no customer (the triage inbox)."""
    return select(*M.c).where(
        M.c.tenant_id == principal.tenant_id,
        M.c.customer_id.is_(None),
        M.c.direction == "INBOUND",
        *conditions,
    )


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"communications": [...]}`: the customer's messages, oldest first, each with its
    attachments' names, types and sizes (the bytes are in the customer's files)."""
    rows = await conn.execute(
        select(*M.c)
        .where(M.c.tenant_id == tenant_id, M.c.customer_id == customer_id)
        .order_by(M.c.id)
    )
    messages = [dict(row) for row in rows.mappings()]
    files = await attachments.grouped(conn, tenant_id, [m["id"] for m in messages])
    for message, found in zip(messages, files, strict=True):
        message["attachments"] = [
            {k: f[k] for k in ("id", "name", "content_type", "size")} for f in found
        ]
    return {"communications": messages}
