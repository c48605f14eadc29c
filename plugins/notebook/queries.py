"""Reads of notes: the tab's order, badge and counts, the workers each note mentions, the
notes that mention a worker, and the export. Core selects, one statement per batch, always
filtered by the tenant."""

from sqlalchemy import select

from core import keyset
from core.keyset import Order
from core.models import Worker
from plugins.notebook.models import Note, NoteMention

N = Note.__table__
M = NoteMention.__table__
W = Worker.__table__

# Pinned first, then newest; the id breaks ties in the same direction.
PINNED_NEWEST = Order("pinned", ((N.c.pinned, True, False), (N.c.created_at, True, False)), N.c.id)
NEWEST = Order("newest", ((N.c.created_at, True, False),), N.c.id)


def badge(tenant_id: int, customer_ids):
    """(customer id, notes): the tab's badge counts every note."""
    return keyset.counts_query(N, "customer_id", tenant_id, customer_ids)


async def pinned_counts(conn, principal, customer_ids) -> list[int]:
    return await keyset.counts(
        conn, N, "customer_id", principal.tenant_id, customer_ids, N.c.pinned
    )


async def mentions(conn, principal, note_ids) -> list[list[dict]]:
    """The worker rows each note mentions, by name: workers come with the mentions."""
    rows = await conn.execute(
        select(M.c.note_id, *W.c)
        .join(W, W.c.id == M.c.worker_id)
        .where(M.c.tenant_id == principal.tenant_id, M.c.note_id.in_(note_ids))
        .order_by(W.c.name, W.c.id)
    )
    found: dict[int, list[dict]] = {i: [] for i in note_ids}
    for row in rows.mappings():
        found[row["note_id"]].append(row)
    return [found[i] for i in note_ids]


def mentioning(principal, worker_id: int):
    """Notes mentioning the worker, of the customers the principal sees."""
    mentioned = select(M.c.note_id).where(
        M.c.tenant_id == principal.tenant_id, M.c.worker_id == worker_id
    )
    return keyset.visible(N, principal, N.c.id.in_(mentioned))


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"notebook": [...]}`: the customer's notes, oldest first, with the ids of the workers
    they mention (core's export makes the times JSON)."""
    notes = await conn.execute(
        select(*N.c)
        .where(N.c.tenant_id == tenant_id, N.c.customer_id == customer_id)
        .order_by(N.c.created_at, N.c.id)
    )
    found = {row["id"]: {**row, "mention_ids": []} for row in notes.mappings()}
    if found:
        links = await conn.execute(
            select(M.c.note_id, M.c.worker_id)
            .where(M.c.tenant_id == tenant_id, M.c.note_id.in_(list(found)))
            .order_by(M.c.worker_id)
        )
        for note_id, worker_id in links:
            found[note_id]["mention_ids"].append(worker_id)
    return {"notebook": list(found.values())}
