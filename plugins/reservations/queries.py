"""Batched reads: Core selects of plain rows, one statement per batch, always within the
principal's tenant: a customer's reservations (pages through `core.keyset`), the badge,
the tenant's resources and a resource's reservations for a calendar."""

from datetime import date, datetime

from sqlalchemy import case, select

from core import keyset
from core.access import visible_customers
from core.keyset import Order
from core.models import Customer, now_param
from plugins.reservations.models import Reservation, ReservationResource

R = Reservation.__table__
RES = ReservationResource.__table__
ACTIVE = ("PENDING", "CONFIRMED")  # they hold capacity
STATUSES = ("PENDING", "CONFIRMED", "COMPLETED", "CANCELLED", "NO_SHOW")
SOONEST = Order("start", ((R.c.start_at, False, False),), R.c.id)


def conditions(statuses: tuple[str, ...] | None, start, end) -> tuple:
    """A customer list's conditions: statuses (None: all), starting at or after `start`,
    before `end` (None: open)."""
    found = () if statuses is None else (R.c.status.in_(statuses),)
    if start is not None:
        found += (R.c.start_at >= start,)
    if end is not None:
        found += (R.c.start_at < end,)
    return found


def upcoming_conditions(now) -> tuple:
    return (R.c.status.in_(ACTIVE), R.c.start_at >= now)


def upcoming_counts(tenant_id: int, customer_ids):
    """(customer id, PENDING/CONFIRMED reservations starting from now): the tab's badge and
    `upcomingCount`. The time is a parameter read at each run (the compiled path keeps it)."""
    return keyset.counts_query(
        R, "customer_id", tenant_id, customer_ids, *upcoming_conditions(now_param())
    )


def upcoming_count_of_customer(tenant_id: int):
    """Upcoming reservations of the customer a list row is on, through the (tenant,
    customer, start) index: the `reservations.upcoming` filter, sort and export column."""
    return keyset.count_of_customer(R, tenant_id, *upcoming_conditions(now_param()))


async def resources(conn, principal, keys) -> list[list[dict]]:
    """The tenant's resources by name (one key: the tenant); a tenant has a few dozen."""
    rows = await conn.execute(
        select(*RES.c).where(RES.c.tenant_id == principal.tenant_id).order_by(RES.c.name, RES.c.id)
    )
    found = [dict(r) for r in rows.mappings()]
    return [found for _ in keys]


async def calendar(conn, principal, resource_id: int, start: datetime, end: datetime):
    """The reservations of a resource overlapping [start, end) that are not cancelled, by
    start, each with `visible`: whether the principal may see its customer. The others come
    without customer, note or status: only that the resource is taken, and by how many."""
    shown = case((visible_customers(principal), True), else_=False).label("visible")
    query = (
        select(*R.c, shown)
        .join(Customer, Customer.id == R.c.customer_id)
        .where(
            R.c.tenant_id == principal.tenant_id,
            R.c.resource_id == resource_id,
            R.c.status != "CANCELLED",
            R.c.start_at < end,
            R.c.end_at > start,
        )
        .order_by(R.c.start_at, R.c.id)
    )
    return [dict(r) for r in (await conn.execute(query)).mappings()]


def _jsonable(row) -> dict:
    return {
        k: v.isoformat() if isinstance(v, datetime | date) else v
        for k, v in row.items()
        if k != "tenant_id"
    }


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"reservations": [...]}` by start, each with its resource by name."""
    rows = await conn.execute(
        select(*R.c, RES.c.name.label("resource"))
        .join(RES, RES.c.id == R.c.resource_id)
        .where(R.c.tenant_id == tenant_id, R.c.customer_id == customer_id)
        .order_by(R.c.start_at, R.c.id)
    )
    return {"reservations": [_jsonable(r) for r in rows.mappings()]}
