"""Reads of messages: the tab's order, the unread badge per worker, and the export. Core
selects, one statement per batch, always filtered by the tenant and by `seen_by` (who may
see which messages: the module's docstring)."""

from sqlalchemy import and_, exists, func, or_, select

from core import access
from core.keyset import Order
from plugins.communications import attachments
from plugins.communications.models import Message, ReadMarker

M = Message.__table__
R = ReadMarker.__table__

NEWEST = Order("newest", (), M.c.id, descending=True)
VIEW_ALL = "communications.view_all"
_MINE = M.alias("mine")


def takes_part(worker_id: int):
    """The worker sent a message on the customer of the row of `M` at hand: one probe of
    the `(tenant_id, author_id, customer_id)` index."""
    return exists().where(
        _MINE.c.tenant_id == M.c.tenant_id,
        _MINE.c.author_id == worker_id,
        _MINE.c.customer_id == M.c.customer_id,
    )


def seen_by(principal) -> tuple:
    """Conditions on `M` keeping the messages the principal may see: all of them with
    `communications.view_all`; else the ones they sent, and the inbound messages of the
    customers they have written to (see the module's docstring). Depends on the principal
    alone, so a loader keyed per request and the compiled path may keep it."""
    if access.can(principal, VIEW_ALL):
        return ()
    me = principal.worker_id
    return (or_(M.c.author_id == me, and_(M.c.direction == "INBOUND", takes_part(me))),)


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
            *seen_by(principal),
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


async def export(conn, tenant_id: int, customer_id: int, principal=None) -> dict:
    """`{"communications": [...]}`: the customer's messages the exporting worker may see
    (all of them for an export with no worker), oldest first, each with its attachments'
    names, types and sizes (the bytes are in the customer's files)."""
    rule = seen_by(principal) if principal is not None else ()
    rows = await conn.execute(
        select(*M.c)
        .where(M.c.tenant_id == tenant_id, M.c.customer_id == customer_id, *rule)
        .order_by(M.c.id)
    )
    messages = [dict(row) for row in rows.mappings()]
    files = await attachments.grouped(conn, tenant_id, [m["id"] for m in messages])
    for message, found in zip(messages, files, strict=True):
        message["attachments"] = [
            {k: f[k] for k in ("id", "name", "content_type", "size")} for f in found
        ]
    return {"communications": messages}
