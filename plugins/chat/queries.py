"""Reads of the chat: a customer's threads, the message order, the unread count (the tab's
badge and `unreadCount`, also compiled) and the export. Core selects, one statement per
batch, always filtered by the tenant."""

from sqlalchemy import func, or_, select

from core import keyset
from core.keyset import Order
from plugins.chat.models import ChatMessage, ChatReadMarker, ChatThread

T = ChatThread.__table__
M = ChatMessage.__table__
R = ChatReadMarker.__table__

NEWEST = Order("newest", (), M.c.id, descending=True)


def unread(worker_id: int) -> tuple:
    """Messages a worker has not read: not theirs, not deleted, after their thread's marker.
    Depends on the worker alone (no time), so the badge's select is kept per principal."""
    marker = (
        select(R.c.last_read_id)
        .where(R.c.thread_id == M.c.thread_id, R.c.worker_id == worker_id)
        .correlate(M)
        .scalar_subquery()
    )
    return (
        or_(M.c.author_id.is_(None), M.c.author_id != worker_id),
        M.c.deleted_at.is_(None),
        M.c.id > func.coalesce(marker, 0),
    )


def unread_counts(principal, customer_ids):
    """(customer id, unread): the badge and the compiled `unreadCount`."""
    query = keyset.counts_query(
        M, "customer_id", principal.tenant_id, customer_ids, *unread(principal.worker_id)
    )
    return query.with_only_columns(M.c.customer_id, func.count().label("unread"))


async def unread_of(conn, principal, customer_ids) -> list[int]:
    found = dict((await conn.execute(unread_counts(principal, customer_ids))).all())
    return [found.get(i, 0) for i in customer_ids]


async def threads(conn, principal, customer_ids) -> list[list[dict]]:
    """Each customer's threads, oldest first."""
    rows = await conn.execute(
        select(*T.c)
        .where(T.c.tenant_id == principal.tenant_id, T.c.customer_id.in_(customer_ids))
        .order_by(T.c.id)
    )
    found: dict[int, list] = {i: [] for i in customer_ids}
    for row in rows.mappings():
        found[row["customer_id"]].append(row)
    return [found[i] for i in customer_ids]


async def thread_unread(conn, principal, thread_ids) -> list[int]:
    return await keyset.counts(
        conn, M, "thread_id", principal.tenant_id, thread_ids, *unread(principal.worker_id)
    )


async def markers(conn, principal, thread_ids) -> list[int | None]:
    """The viewer's read marker in each thread."""
    rows = await conn.execute(
        select(R.c.thread_id, R.c.last_read_id).where(
            R.c.tenant_id == principal.tenant_id,
            R.c.worker_id == principal.worker_id,
            R.c.thread_id.in_(thread_ids),
        )
    )
    found = dict(rows.all())
    return [found.get(i) for i in thread_ids]


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"chat": {"threads": [...], "messages": [...]}}`, oldest first (deleted ones too,
    bodies emptied)."""
    threads_ = await conn.execute(
        select(*T.c)
        .where(T.c.tenant_id == tenant_id, T.c.customer_id == customer_id)
        .order_by(T.c.id)
    )
    messages = await conn.execute(
        select(*M.c)
        .where(M.c.tenant_id == tenant_id, M.c.customer_id == customer_id)
        .order_by(M.c.id)
    )
    return {
        "chat": {
            "threads": [dict(r) for r in threads_.mappings()],
            "messages": [dict(r) for r in messages.mappings()],
        }
    }
