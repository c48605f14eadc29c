"""Batched reads: Core selects returning plain rows, one statement per batch, always
filtered by the principal's tenant. A page of 50 customers showing their open tickets costs
what a page of 5 does: the per-customer pages come from one windowed select."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select

from core import keyset
from core.access import visible_customers
from core.keyset import (
    Order,
    by_ids,
    count_of_customer,
    counts_query,
    grouped_pages,
    grouped_pages_query,
)
from core.models import Customer, now_param
from core.pagination import PageRequest
from plugins.tickets.models import OPEN_STATUSES, PRIORITIES, Ticket, TicketComment

T = Ticket.__table__
C = TicketComment.__table__


TRIAGE = Order(
    "triage",
    ((T.c.priority, True, False), (T.c.due_at, False, True), (T.c.created_at, False, False)),
    T.c.id,
)
NEWEST = Order("newest", ((T.c.created_at, True, False),), T.c.id)
OLDEST = Order("oldest", ((C.c.created_at, False, False),), C.c.id)


@dataclass(frozen=True)
class TicketFilter:
    """None: no condition. An empty tuple matches nothing."""

    statuses: tuple[str, ...] | None = None
    priorities: tuple[int, ...] | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    overdue: bool | None = None

    def conditions(self) -> list:
        found = []
        if self.statuses is not None:
            found.append(T.c.status.in_(self.statuses))
        if self.priorities is not None:
            found.append(T.c.priority.in_(self.priorities))
        if self.assignee_id is not None:
            found.append(T.c.assignee_id == self.assignee_id)
        if self.unassigned:
            found.append(T.c.assignee_id.is_(None))
        if self.overdue is not None:
            late = overdue()
            found.append(late if self.overdue else ~late)
        return found


def overdue():
    return and_(T.c.status.in_(OPEN_STATUSES), T.c.due_at.is_not(None), T.c.due_at < now_param())


def customer_pages_query(principal, customer_ids, f: TicketFilter, order, page):
    conditions = [T.c.tenant_id == principal.tenant_id, *f.conditions()]
    return grouped_pages_query(T, "customer_id", customer_ids, conditions, order, page)


async def customer_pages(conn, principal, customer_ids, f: TicketFilter, order, page):
    conditions = [T.c.tenant_id == principal.tenant_id, *f.conditions()]
    return await grouped_pages(conn, T, "customer_id", customer_ids, conditions, order, page)


async def comment_pages(conn, principal, ticket_ids, page: PageRequest):
    conditions = [C.c.tenant_id == principal.tenant_id]
    return await grouped_pages(conn, C, "ticket_id", ticket_ids, conditions, OLDEST, page)


def worker_ids(principal, customer_ids, f: TicketFilter, column: str):
    """The ids in `column` (`assignee_id`, `opened_by_id`) of the tickets matching `f`."""
    return select(T.c[column]).where(
        T.c.tenant_id == principal.tenant_id, T.c.customer_id.in_(customer_ids), *f.conditions()
    )


def ticket_counts_query(principal, customer_ids, f: TicketFilter):
    """(customer id, tickets matching `f`)."""
    return counts_query(T, "customer_id", principal.tenant_id, customer_ids, *f.conditions())


async def counts(conn, principal, customer_ids, f: TicketFilter) -> list[int]:
    found = dict((await conn.execute(ticket_counts_query(principal, customer_ids, f))).all())
    return [found.get(i, 0) for i in customer_ids]


def open_summaries_query(principal, customer_ids):
    """(customer id, open, overdue): open means OPEN or PENDING."""
    late = func.coalesce(func.sum(case((overdue(), 1), else_=0)), 0)
    return (
        select(T.c.customer_id, func.count().label("open"), late.label("overdue"))
        .where(
            T.c.tenant_id == principal.tenant_id,
            T.c.customer_id.in_(customer_ids),
            T.c.status.in_(OPEN_STATUSES),
        )
        .group_by(T.c.customer_id)
    )


def summaries_of(rows, customer_ids) -> list[dict]:
    """`{"open": n, "overdue": n}` per customer from `open_summaries_query`'s rows."""
    found = {customer_id: {"open": n, "overdue": int(late)} for customer_id, n, late in rows}
    return [found.get(i, {"open": 0, "overdue": 0}) for i in customer_ids]


async def open_summaries(conn, principal, customer_ids) -> list[dict]:
    rows = await conn.execute(open_summaries_query(principal, customer_ids))
    return summaries_of(rows, customer_ids)


def open_count_of_customer(tenant_id: int):
    """Open and pending tickets of the customer a list row is on, through the
    `(tenant_id, customer_id, status)` index: the `tickets.open` filter and sort."""
    return count_of_customer(T, tenant_id, T.c.status.in_(OPEN_STATUSES))


def open_counts(tenant_id: int, customer_ids):
    """(customer id, open and pending tickets): the tab's badge."""
    return counts_query(T, "customer_id", tenant_id, customer_ids, T.c.status.in_(OPEN_STATUSES))


async def comment_counts(conn, principal, ticket_ids) -> list[int]:
    return await keyset.counts(conn, C, "ticket_id", principal.tenant_id, ticket_ids)


async def comments_by_ids(conn, principal, ids) -> list:
    query = (
        select(*C.c)
        .join(T, T.c.id == C.c.ticket_id)
        .join(Customer.__table__, Customer.id == T.c.customer_id)
        .where(visible_customers(principal), C.c.tenant_id == principal.tenant_id, C.c.id.in_(ids))
    )
    return await by_ids(conn, query, ids)


def _jsonable(row) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"tickets": [...]}`: every ticket of the customer with its thread, as JSON values."""
    tickets = (
        await conn.execute(
            select(*T.c)
            .where(T.c.tenant_id == tenant_id, T.c.customer_id == customer_id)
            .order_by(T.c.id)
        )
    ).mappings()
    found = {}
    for row in tickets:
        found[row["id"]] = {
            **_jsonable(row),
            "reference": f"T-{row['number']}",
            "priority": PRIORITIES[row["priority"]],
            "comments": [],
        }
    if found:
        comments = await conn.execute(
            select(*C.c)
            .where(C.c.tenant_id == tenant_id, C.c.ticket_id.in_(list(found)))
            .order_by(C.c.created_at, C.c.id)
        )
        for row in comments.mappings():
            found[row["ticket_id"]]["comments"].append(_jsonable(row))
    return {"tickets": list(found.values())}
