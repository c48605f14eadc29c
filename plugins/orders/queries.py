"""Reads of the orders module: Core selects, plain rows, one statement per batch, always
filtered by the tenant. A customer list page showing every customer's order history costs
the same statements whatever its length: the pages come from one windowed select
(`schema.kit.customer_list`), the lines of all the page's orders from one more."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core import keyset
from core.keyset import Order
from plugins.orders.models import CLOSED_STATUSES, OrderLine, Product
from plugins.orders.models import Order as OrderModel

ORD = OrderModel.__table__
L = OrderLine.__table__
P = Product.__table__

NEWEST = Order("newest", ((ORD.c.created_at, True, False),), ORD.c.id)
BY_NAME = Order("name", ((P.c.name, False, False),), P.c.id)


@dataclass(frozen=True)
class History:
    """Conditions on a customer's orders; None: no condition. `since` is inclusive, `until`
    exclusive, both on the creation time. Its repr names the list's loaders."""

    statuses: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> tuple:
        found = []
        if self.statuses is not None:
            found.append(ORD.c.status.in_(self.statuses))
        if self.kinds is not None:
            found.append(ORD.c.kind.in_(self.kinds))
        if self.since is not None:
            found.append(ORD.c.created_at >= self.since)
        if self.until is not None:
            found.append(ORD.c.created_at < self.until)
        return tuple(found)


def open_counts(tenant_id: int, customer_ids):
    """(customer id, open orders): not yet fulfilled, rejected or cancelled. The badge."""
    return keyset.counts_query(
        ORD, "customer_id", tenant_id, customer_ids, ORD.c.status.not_in(CLOSED_STATUSES)
    )


async def open_count_list(conn, principal, customer_ids) -> list[int]:
    """Each customer's open orders (`CustomerOrders.openCount`), for a whole page at once."""
    rows = await conn.execute(open_counts(principal.tenant_id, customer_ids))
    found = dict(rows.all())
    return [found.get(i, 0) for i in customer_ids]


def open_count_of_customer(tenant_id: int):
    """Open orders of the customer a list row is on, through the `(tenant_id, customer_id,
    status)` index: the `orders.open` filter and sort."""
    return keyset.count_of_customer(ORD, tenant_id, ORD.c.status.not_in(CLOSED_STATUSES))


def lines_query(tenant_id: int, order_ids):
    """The lines of these orders (ids, or a select of them) in their order."""
    return (
        select(*L.c)
        .where(L.c.tenant_id == tenant_id, L.c.order_id.in_(order_ids))
        .order_by(L.c.order_id, L.c.position)
    )


async def lines(conn, principal, order_ids) -> list[list[dict]]:
    """Each order's lines in their order, for a whole page of orders at once."""
    rows = await conn.execute(lines_query(principal.tenant_id, order_ids))
    found: dict[int, list] = {i: [] for i in order_ids}
    for row in rows.mappings():
        found[row["order_id"]].append(row)
    return [found[i] for i in order_ids]


async def products_by_ids(conn, principal, ids) -> list:
    query = select(*P.c).where(P.c.tenant_id == principal.tenant_id, P.c.id.in_(ids))
    return await keyset.by_ids(conn, query, ids)


def catalog(tenant_id: int, search: str | None, category: str | None, active: bool | None):
    """The tenant's products matching the filters. The search is a case-insensitive
    substring of the name or the SKU: a catalog is hundreds of rows, not millions, so the
    `(tenant_id, name, id)` index walk with a filter is enough."""
    query = select(*P.c).where(P.c.tenant_id == tenant_id)
    if search:
        term = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(P.c.name.ilike(term, escape="\\") | P.c.sku.ilike(term, escape="\\"))
    if category is not None:
        query = query.where(P.c.category == category)
    if active is not None:
        query = query.where(P.c.active.is_(active))
    return query


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"orders": [...]}`: the customer's orders, oldest first, each with its lines."""
    orders = await conn.execute(
        select(*ORD.c)
        .where(ORD.c.tenant_id == tenant_id, ORD.c.customer_id == customer_id)
        .order_by(ORD.c.created_at, ORD.c.id)
    )
    found = {row["id"]: {**row, "lines": []} for row in orders.mappings()}
    if found:
        rows = await conn.execute(
            select(*L.c)
            .where(L.c.tenant_id == tenant_id, L.c.order_id.in_(list(found)))
            .order_by(L.c.order_id, L.c.position)
        )
        for row in rows.mappings():
            found[row["order_id"]]["lines"].append(dict(row))
    return {"orders": list(found.values())}
