"""Batched reads: Core selects returning plain rows, one statement per batch, always
filtered by the principal's tenant. A page of 50 customers showing their open tickets costs
what a page of 5 does: the per-customer pages come from one windowed select."""

import base64
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import and_, case, false, func, or_, select, true

from core.access import visible_customers
from core.errors import InvalidInput
from core.models import Customer, utcnow
from core.pagination import Page, PageRequest
from plugins.tickets.models import OPEN_STATUSES, PRIORITIES, Ticket, TicketComment

T = Ticket.__table__
C = TicketComment.__table__


@dataclass(frozen=True)
class Order:
    """A keyset order: `(column, descending, nullable)` keys, nulls last, then the id in the
    direction of the last key."""

    key: str
    columns: tuple
    id_column: object

    @property
    def id_descending(self) -> bool:
        return self.columns[-1][1]

    def sort(self) -> list:
        terms = []
        for column, descending, nullable in self.columns:
            if nullable:
                terms.append(column.is_(None))
            terms.append(column.desc() if descending else column.asc())
        terms.append(self.id_column.desc() if self.id_descending else self.id_column.asc())
        return terms

    def cursor(self, row) -> str:
        values = [row[c.key] for c, _, _ in self.columns]
        values = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
        raw = orjson.dumps([self.key, values, row[self.id_column.key]])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str, field: str = "after") -> tuple[list, int]:
        """(values, id) of a cursor this order made; `InvalidInput` for anything else."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            key, values, row_id = orjson.loads(raw)
            if key != self.key or len(values) != len(self.columns):
                raise ValueError(key)
            if type(row_id) is not int or not 0 < row_id < 2**31:
                raise ValueError(row_id)
            decoded = []
            for (column, _, nullable), value in zip(self.columns, values, strict=True):
                if isinstance(value, dict):
                    value = datetime.fromisoformat(value["t"])
                expected = getattr(column.type, "impl_instance", column.type).python_type
                if value is None and not nullable:
                    raise ValueError(value)
                if value is not None and type(value) is not expected:
                    raise ValueError(value)
                decoded.append(value)
            return decoded, row_id
        except (ValueError, TypeError, KeyError, AttributeError, orjson.JSONDecodeError) as exc:
            raise InvalidInput.one(
                field, "This cursor is not valid here.", "INVALID_CURSOR"
            ) from exc

    def after(self, cursor: str):
        """Rows strictly after the cursor's row in this order."""
        values, row_id = self.decode(cursor)
        equal, terms = [], []
        for (column, descending, nullable), value in zip(self.columns, values, strict=True):
            if value is None:
                beyond = false()
            else:
                beyond = column < value if descending else column > value
                if nullable:
                    beyond = or_(beyond, column.is_(None))
            terms.append(and_(true(), *equal, beyond))
            equal.append(column.is_(None) if value is None else column == value)
        later = self.id_column < row_id if self.id_descending else self.id_column > row_id
        terms.append(and_(true(), *equal, later))
        return or_(*terms)


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
            late = _overdue()
            found.append(late if self.overdue else ~late)
        return found


def _overdue():
    return and_(T.c.status.in_(OPEN_STATUSES), T.c.due_at.is_not(None), T.c.due_at < utcnow())


def _paged(rows: list, order: Order, page: PageRequest) -> Page:
    size = page.size
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, [order.cursor(r) for r in rows], more, page.after is not None)


def grouped_pages_query(
    table, group: str, group_ids, conditions: list, order: Order, page: PageRequest
):
    """One page per group (a customer's tickets, a ticket's comments) in one statement: rows
    numbered within their group, cut at the page size plus one to tell if more follow."""
    if page.after is not None:
        conditions = [*conditions, order.after(page.after)]
    group_column = table.c[group]
    rank = func.row_number().over(partition_by=group_column, order_by=order.sort()).label("rank")
    ranked = select(*table.c, rank).where(group_column.in_(group_ids), *conditions).subquery()
    return (
        select(*(ranked.c[c.key] for c in table.c))
        .where(ranked.c.rank <= page.size + 1)
        .order_by(ranked.c[group], ranked.c.rank)
    )


def pages_of(rows, group: str, group_ids, order: Order, page: PageRequest) -> list[Page]:
    """The pages of `grouped_pages_query`'s rows, one per group id."""
    found: dict[int, list] = {i: [] for i in group_ids}
    for row in rows:
        found[row[group]].append(row)
    return [_paged(found[i], order, page) for i in group_ids]


async def grouped_pages(
    conn, table, group: str, group_ids, conditions: list, order: Order, page: PageRequest
) -> list[Page]:
    query = grouped_pages_query(table, group, group_ids, conditions, order, page)
    rows = (await conn.execute(query)).mappings()
    return pages_of(rows, group, group_ids, order, page)


def customer_pages_query(principal, customer_ids, f: TicketFilter, order, page):
    conditions = [T.c.tenant_id == principal.tenant_id, *f.conditions()]
    return grouped_pages_query(T, "customer_id", customer_ids, conditions, order, page)


async def customer_pages(conn, principal, customer_ids, f: TicketFilter, order, page):
    rows = await conn.execute(customer_pages_query(principal, customer_ids, f, order, page))
    return pages_of(rows.mappings(), "customer_id", customer_ids, order, page)


async def comment_pages(conn, principal, ticket_ids, page: PageRequest):
    conditions = [C.c.tenant_id == principal.tenant_id]
    return await grouped_pages(conn, C, "ticket_id", ticket_ids, conditions, OLDEST, page)


def _visible(principal, *conditions):
    return (
        select(*T.c)
        .join(Customer.__table__, Customer.id == T.c.customer_id)
        .where(visible_customers(principal), T.c.tenant_id == principal.tenant_id, *conditions)
    )


async def inbox_page(conn, principal, f: TicketFilter, page: PageRequest) -> Page:
    """Tickets across the customers this principal sees, most urgent first."""
    query = _visible(principal, *f.conditions())
    if page.after is not None:
        query = query.where(TRIAGE.after(page.after))
    query = query.order_by(*TRIAGE.sort()).limit(page.size + 1)
    return _paged(list((await conn.execute(query)).mappings()), TRIAGE, page)


async def inbox_count(conn, principal, f: TicketFilter) -> int:
    query = _visible(principal, *f.conditions()).with_only_columns(func.count())
    return await conn.scalar(query)


def worker_ids(principal, customer_ids, f: TicketFilter, column: str):
    """The ids in `column` (`assignee_id`, `opened_by_id`) of the tickets matching `f`."""
    return select(T.c[column]).where(
        T.c.tenant_id == principal.tenant_id, T.c.customer_id.in_(customer_ids), *f.conditions()
    )


def counts_query(principal, customer_ids, f: TicketFilter):
    """(customer id, tickets matching `f`)."""
    return (
        select(T.c.customer_id, func.count())
        .where(T.c.tenant_id == principal.tenant_id, T.c.customer_id.in_(customer_ids))
        .where(*f.conditions())
        .group_by(T.c.customer_id)
    )


async def counts(conn, principal, customer_ids, f: TicketFilter) -> list[int]:
    found = dict((await conn.execute(counts_query(principal, customer_ids, f))).all())
    return [found.get(i, 0) for i in customer_ids]


def open_summaries_query(principal, customer_ids):
    """(customer id, open, overdue): open means OPEN or PENDING."""
    late = func.coalesce(func.sum(case((_overdue(), 1), else_=0)), 0)
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


def open_counts(tenant_id: int, customer_ids):
    """(customer id, open and pending tickets): the tab's badge."""
    return (
        select(T.c.customer_id, func.count())
        .where(
            T.c.tenant_id == tenant_id,
            T.c.customer_id.in_(customer_ids),
            T.c.status.in_(OPEN_STATUSES),
        )
        .group_by(T.c.customer_id)
    )


async def comment_counts(conn, principal, ticket_ids) -> list[int]:
    rows = await conn.execute(
        select(C.c.ticket_id, func.count())
        .where(C.c.tenant_id == principal.tenant_id, C.c.ticket_id.in_(ticket_ids))
        .group_by(C.c.ticket_id)
    )
    found = dict(rows.all())
    return [found.get(i, 0) for i in ticket_ids]


async def tickets_by_ids(conn, principal, ids) -> list:
    """Rows of visible tickets, None for unknown, other tenants' and hidden ones."""
    rows = await conn.execute(_visible(principal, T.c.id.in_(ids)))
    found = {r["id"]: r for r in rows.mappings()}
    return [found.get(i) for i in ids]


async def comments_by_ids(conn, principal, ids) -> list:
    rows = await conn.execute(
        select(*C.c)
        .join(T, T.c.id == C.c.ticket_id)
        .join(Customer.__table__, Customer.id == T.c.customer_id)
        .where(visible_customers(principal), C.c.tenant_id == principal.tenant_id, C.c.id.in_(ids))
    )
    found = {r["id"]: r for r in rows.mappings()}
    return [found.get(i) for i in ids]


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
