"""Batched reads for the loaders: Core selects, plain rows, one statement per batch.

A customer's lists are pages per customer, so a list page of 50 profiles cannot run 50
keyset queries: one statement numbers each customer's rows (`row_number() OVER (PARTITION
BY customer_id)`) past each one's cursor and keeps the first `size + 1`."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from core.access import visible_customers
from core.auth import Principal
from core.models import Customer, utcnow
from core.pagination import Page, PageRequest, encode_cursor, fetch_page
from plugins.appointments.models import Appointment, AppointmentCredit

A = Appointment.__table__
CREDITS = AppointmentCredit.__table__
ACTIVE = ("BOOKED", "CONFIRMED")
STATUSES = ("BOOKED", "CONFIRMED", "CANCELLED", "COMPLETED", "NO_SHOW")
COLUMNS = list(A.c)


@dataclass(frozen=True)
class ListKey:
    """One customer's page of upcoming (start in the future, soonest first) or past
    (latest first) appointments. `after` is the decoded cursor: (start, id)."""

    customer_id: int
    upcoming: bool
    statuses: tuple[str, ...]
    size: int
    after: tuple[datetime, int] | None = None


def order_key(upcoming: bool) -> str:
    return f"start_at:{'asc' if upcoming else 'desc'}"


def _when(upcoming: bool, now: datetime):
    return A.c.start_at > now if upcoming else A.c.start_at <= now


def _beyond(upcoming: bool, after: tuple[datetime, int]):
    start, row_id = after
    if upcoming:
        return or_(A.c.start_at > start, and_(A.c.start_at == start, A.c.id > row_id))
    return or_(A.c.start_at < start, and_(A.c.start_at == start, A.c.id < row_id))


def _rounds(keys: Sequence[ListKey]) -> list[list[ListKey]]:
    """Keys sharing a statement: same list, filter and size, each customer once (two
    aliases paging one customer's list with different cursors go to different rounds)."""
    rounds: list[tuple[tuple, set[int], list[ListKey]]] = []
    for key in dict.fromkeys(keys):
        shape = (key.upcoming, key.statuses, key.size)
        for round_shape, customers, members in rounds:
            if round_shape == shape and key.customer_id not in customers:
                customers.add(key.customer_id)
                members.append(key)
                break
        else:
            rounds.append((shape, {key.customer_id}, [key]))
    return [members for _, _, members in rounds]


def page_queries(principal: Principal, keys: Sequence[ListKey], now: datetime) -> list:
    """`(keys, select)` per statement the pages of `keys` need (see `_rounds`)."""
    queries = []
    for members in _rounds(keys):
        upcoming, statuses, size = members[0].upcoming, members[0].statuses, members[0].size
        plain = [k.customer_id for k in members if k.after is None]
        reach = [A.c.customer_id.in_(plain)] if plain else []
        reach += [
            and_(A.c.customer_id == k.customer_id, _beyond(upcoming, k.after))
            for k in members
            if k.after is not None
        ]
        order = (A.c.start_at, A.c.id) if upcoming else (A.c.start_at.desc(), A.c.id.desc())
        number = func.row_number().over(partition_by=A.c.customer_id, order_by=order)
        ranked = (
            select(*COLUMNS, number.label("rn"))
            .where(
                A.c.tenant_id == principal.tenant_id,
                A.c.status.in_(statuses),
                _when(upcoming, now),
                or_(*reach),
            )
            .subquery()
        )
        query = (
            select(ranked)
            .where(ranked.c.rn <= size + 1)
            .order_by(ranked.c.customer_id, ranked.c.rn)
        )
        queries.append((members, query))
    return queries


def pages_of(members: Sequence[ListKey], rows) -> dict[ListKey, Page]:
    """The pages of one of `page_queries`' statements, from its rows."""
    by_customer = defaultdict(list)
    for row in rows:
        by_customer[row["customer_id"]].append(dict(row))
    found = {}
    for key in members:
        shown = by_customer.get(key.customer_id, [])
        more = len(shown) > key.size
        shown = shown[: key.size]
        cursors = [encode_cursor(order_key(key.upcoming), r["start_at"], r["id"]) for r in shown]
        found[key] = Page(shown, cursors, more, key.after is not None)
    return found


async def pages(conn, principal: Principal, keys: Sequence[ListKey]) -> list[Page]:
    found: dict[ListKey, Page] = {}
    for members, query in page_queries(principal, keys, utcnow()):
        found.update(pages_of(members, (await conn.execute(query)).mappings()))
    return [found[key] for key in keys]


async def counts(conn, principal: Principal, keys: Sequence[tuple[int, bool, tuple]]) -> list[int]:
    """`(customer_id, upcoming, statuses)` → how many appointments that list holds."""
    now = utcnow()
    totals: dict[tuple, int] = {}
    shapes = defaultdict(list)
    for customer_id, upcoming, statuses in dict.fromkeys(keys):
        shapes[(upcoming, statuses)].append(customer_id)
    for (upcoming, statuses), customer_ids in shapes.items():
        found = await count_by_customer(conn, principal, customer_ids, statuses, upcoming, now)
        for customer_id in customer_ids:
            totals[(customer_id, upcoming, statuses)] = found.get(customer_id, 0)
    return [totals[k] for k in keys]


def count_query(
    principal: Principal,
    customer_ids,
    statuses: Sequence[str] = ACTIVE,
    upcoming: bool = True,
    now: datetime | None = None,
):
    """(customer id, appointments in the list); by default the upcoming BOOKED or CONFIRMED
    ones, the tab's badge."""
    return (
        select(A.c.customer_id, func.count())
        .where(
            A.c.tenant_id == principal.tenant_id,
            A.c.customer_id.in_(customer_ids),
            A.c.status.in_(statuses),
            _when(upcoming, now or utcnow()),
        )
        .group_by(A.c.customer_id)
    )


def worker_ids(principal: Principal, customer_ids, upcoming: bool, statuses, now: datetime):
    """The workers of the customers' appointments in one list."""
    return select(A.c.worker_id).where(
        A.c.tenant_id == principal.tenant_id,
        A.c.customer_id.in_(customer_ids),
        A.c.status.in_(statuses),
        _when(upcoming, now),
    )


async def count_by_customer(conn, principal: Principal, customer_ids, *args) -> dict[int, int]:
    rows = await conn.execute(count_query(principal, customer_ids, *args))
    return {customer_id: n for customer_id, n in rows}


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


def _visible(principal: Principal):
    """Appointments of customers this principal may see."""
    return (
        select(*COLUMNS)
        .join(Customer, Customer.id == A.c.customer_id)
        .where(visible_customers(principal), A.c.tenant_id == principal.tenant_id)
    )


async def by_ids(conn, principal: Principal, ids: Sequence[int]) -> list[dict | None]:
    rows = await conn.execute(_visible(principal).where(A.c.id.in_(ids)))
    found = {r["id"]: dict(r) for r in rows.mappings()}
    return [found.get(i) for i in ids]


def _of_worker(principal: Principal, worker_id: int, start, end, statuses):
    return _visible(principal).where(
        A.c.worker_id == worker_id,
        A.c.start_at < end,
        A.c.end_at > start,
        A.c.status.in_(statuses),
    )


async def worker_page(
    conn, principal: Principal, worker_id: int, start, end, statuses, page: PageRequest
) -> Page:
    """A worker's appointments overlapping [start, end), soonest first."""
    query = _of_worker(principal, worker_id, start, end, statuses)
    return await fetch_page(conn, query, page, A.c.start_at, A.c.id)


async def worker_count(conn, principal: Principal, worker_id: int, start, end, statuses) -> int:
    query = _of_worker(principal, worker_id, start, end, statuses)
    subquery = query.with_only_columns(A.c.id).subquery()
    return (await conn.execute(select(func.count()).select_from(subquery))).scalar_one()


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    appointments = await conn.execute(
        select(*COLUMNS)
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
