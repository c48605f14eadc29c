"""Batched reads for the loaders: Core selects, plain rows, one statement per batch.

A customer's lists (upcoming, past, each filtered by status) are keyset pages per customer
(`core.keyset`), so a list page of 50 profiles reads each list in one statement."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from core import keyset
from core.auth import Principal
from core.keyset import Order
from core.models import now_param, utcnow
from core.pagination import Page, PageRequest, fetch_page
from plugins.appointments.models import Appointment, AppointmentCredit

A = Appointment.__table__
CREDITS = AppointmentCredit.__table__
ACTIVE = ("BOOKED", "CONFIRMED")
STATUSES = ("BOOKED", "CONFIRMED", "CANCELLED", "COMPLETED", "NO_SHOW")
SOONEST = Order("upcoming", ((A.c.start_at, False, False),), A.c.id)
LATEST = Order("past", ((A.c.start_at, True, False),), A.c.id)


@dataclass(frozen=True)
class Listing:
    """One of a customer's lists: upcoming (start later than now, soonest first) or past
    (started by now, latest first), of these statuses."""

    upcoming: bool
    statuses: tuple[str, ...]

    @property
    def order(self) -> Order:
        return SOONEST if self.upcoming else LATEST

    def conditions(self, now: datetime) -> tuple:
        when = A.c.start_at > now if self.upcoming else A.c.start_at <= now
        return (A.c.status.in_(self.statuses), when)


BADGE = Listing(True, ACTIVE)  # upcoming BOOKED or CONFIRMED: the tab's badge


def _where(principal: Principal, listing: Listing, now: datetime) -> list:
    return [A.c.tenant_id == principal.tenant_id, *listing.conditions(now)]


def pages_query(principal: Principal, customer_ids, listing: Listing, page, now: datetime):
    where = _where(principal, listing, now)
    return keyset.grouped_pages_query(A, "customer_id", customer_ids, where, listing.order, page)


async def pages(conn, principal: Principal, customer_ids, listing: Listing, page) -> list[Page]:
    where = _where(principal, listing, utcnow())
    return await keyset.grouped_pages(
        conn, A, "customer_id", customer_ids, where, listing.order, page
    )


def count_query(principal: Principal, customer_ids, listing: Listing = BADGE, now=None):
    """(customer id, appointments in the list); by default the tab's badge."""
    conditions = listing.conditions(now_param() if now is None else now)
    return keyset.counts_query(A, "customer_id", principal.tenant_id, customer_ids, *conditions)


async def counts(conn, principal: Principal, customer_ids, listing: Listing) -> list[int]:
    conditions = listing.conditions(utcnow())
    return await keyset.counts(
        conn, A, "customer_id", principal.tenant_id, customer_ids, *conditions
    )


def worker_ids(principal: Principal, customer_ids, listing: Listing, now: datetime):
    """The workers of the customers' appointments in one list."""
    where = _where(principal, listing, now)
    return select(A.c.worker_id).where(A.c.customer_id.in_(customer_ids), *where)


def balances_query(principal: Principal, customer_ids):
    """(customer id, credits left)."""
    return (
        select(CREDITS.c.customer_id, func.sum(CREDITS.c.change))
        .where(CREDITS.c.tenant_id == principal.tenant_id, CREDITS.c.customer_id.in_(customer_ids))
        .group_by(CREDITS.c.customer_id)
    )


async def balances(conn, principal: Principal, customer_ids: Sequence[int]) -> list[int]:
    found = {
        customer_id: int(total or 0)
        for customer_id, total in await conn.execute(balances_query(principal, customer_ids))
    }
    return [found.get(i, 0) for i in customer_ids]


def _of_worker(principal: Principal, worker_id: int, start, end, statuses):
    return keyset.visible(
        A,
        principal,
        A.c.worker_id == worker_id,
        A.c.start_at < end,
        A.c.end_at > start,
        A.c.status.in_(statuses),
    )


async def worker_page(
    conn, principal: Principal, worker_id: int, start, end, statuses, page: PageRequest
) -> Page:
    """A worker's appointments overlapping [start, end), soonest first. `fetch_page`, not a
    `keyset.Order`: its cursor is a row comparison, which PostgreSQL walks an index by."""
    query = _of_worker(principal, worker_id, start, end, statuses)
    return await fetch_page(conn, query, page, A.c.start_at, A.c.id)


async def worker_count(conn, principal: Principal, worker_id: int, start, end, statuses) -> int:
    query = _of_worker(principal, worker_id, start, end, statuses)
    return await conn.scalar(query.with_only_columns(func.count()))


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    appointments = await conn.execute(
        select(*A.c)
        .where(A.c.tenant_id == tenant_id, A.c.customer_id == customer_id)
        .order_by(A.c.start_at, A.c.id)
    )
    entries = await conn.execute(
        select(*CREDITS.c)
        .where(CREDITS.c.tenant_id == tenant_id, CREDITS.c.customer_id == customer_id)
        .order_by(CREDITS.c.id)
    )
    credit_rows = [dict(r) for r in entries.mappings()]
    return {
        "appointments": [dict(r) for r in appointments.mappings()],
        "credits": {
            "balance": sum(r["change"] for r in credit_rows),
            "entries": credit_rows,
        },
    }
