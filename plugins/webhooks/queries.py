"""Reads: the tenant's endpoints (never their secrets) and the delivery log, as plain rows
of Core selects. Only workers with `webhooks.view` get here; every read is the tenant's."""

from sqlalchemy import select

from core import keyset
from core.keyset import Order
from plugins.webhooks.models import DELIVERIES, ENDPOINTS

E = ENDPOINTS
D = DELIVERIES
SHOWN = [c for c in E.c if c.key != "secret"]  # the secret is shown once, on creation
OLDEST = Order("oldest", (), E.c.id)
NEWEST = Order("newest", (), D.c.id, descending=True)


def endpoints(tenant_id: int, active: bool | None):
    query = select(*SHOWN).where(E.c.tenant_id == tenant_id)
    if active is not None:
        query = query.where(E.c.active.is_(active))
    return query


def deliveries(tenant_id: int, endpoint_id: int | None, statuses: list[str] | None):
    query = select(*D.c).where(D.c.tenant_id == tenant_id)
    if endpoint_id is not None:
        query = query.where(D.c.endpoint_id == endpoint_id)
    if statuses:
        query = query.where(D.c.status.in_(statuses))
    return query


async def endpoints_by_ids(conn, principal, ids) -> list:
    query = select(*SHOWN).where(E.c.tenant_id == principal.tenant_id, E.c.id.in_(ids))
    return await keyset.by_ids(conn, query, ids)
