"""Reads of a worker's notifications: the feed's order, the unread count and the kinds the
worker muted. Always filtered by the tenant and the worker: nobody reads another's feed."""

from sqlalchemy import func, select

from core.keyset import Order
from plugins.notifications.models import Notification, NotificationPreference

N = Notification.__table__
P = NotificationPreference.__table__

NEWEST = Order("newest", (), N.c.id, descending=True)


def own(principal) -> list:
    """The conditions of the principal's own notifications."""
    return [N.c.tenant_id == principal.tenant_id, N.c.worker_id == principal.worker_id]


def feed(principal, unread_only: bool = False):
    query = select(*N.c).where(*own(principal))
    return query.where(N.c.read_at.is_(None)) if unread_only else query


async def unread_count(conn, tenant_id: int, worker_id: int) -> int:
    return await conn.scalar(
        select(func.count()).where(
            N.c.tenant_id == tenant_id, N.c.worker_id == worker_id, N.c.read_at.is_(None)
        )
    )


async def muted(conn, tenant_id: int, worker_ids) -> set[tuple[int, str]]:
    """(worker, kind) pairs switched off."""
    rows = await conn.execute(
        select(P.c.worker_id, P.c.kind).where(
            P.c.tenant_id == tenant_id, P.c.worker_id.in_(list(worker_ids)), ~P.c.enabled
        )
    )
    return {(w, k) for w, k in rows}
