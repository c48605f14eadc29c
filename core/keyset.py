"""Keyset pages of a module's rows: one customer's list, or the first page of every customer
on a list page in one statement. A module names its orders once (`Order`) and gets cursors,
"after" conditions and per-customer pages from here, so no module writes its own cursor
code. `core.pagination.fetch_page` stays the single-column walk of the big core lists."""

import base64
from dataclasses import dataclass
from datetime import date, datetime

import orjson
from sqlalchemy import and_, false, func, literal, or_, select, true, tuple_

from core.access import visible_customers
from core.errors import InvalidInput
from core.models import Customer
from core.pagination import Page, PageRequest

MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Order:
    """A named keyset order: `(column, descending, nullable)` keys, nulls last, then the id in
    the direction of the last key. The name travels in the cursor, so a cursor of one order
    is refused by another."""

    key: str
    columns: tuple
    id_column: object
    descending: bool = False  # the id's direction when there are no columns: newest first

    @property
    def id_descending(self) -> bool:
        return self.columns[-1][1] if self.columns else self.descending

    def sort(self) -> list:
        terms = []
        for column, descending, nullable in self.columns:
            if nullable:
                terms.append(column.is_(None))
            terms.append(column.desc() if descending else column.asc())
        terms.append(self.id_column.desc() if self.id_descending else self.id_column.asc())
        return terms

    def cursor(self, row) -> str:
        values = [_plain(row[c.key]) for c, _, _ in self.columns]
        raw = orjson.dumps([self.key, values, row[self.id_column.key]])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str, field: str = "after") -> tuple[list, int]:
        """(values, id) of a cursor this order made; `InvalidInput` for anything else."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            key, values, row_id = orjson.loads(raw)
            if key != self.key or len(values) != len(self.columns):
                raise ValueError(key)
            if type(row_id) is not int or not 0 < row_id <= MAX_ID:
                raise ValueError(row_id)
            return [_typed(c, n, v) for (c, _, n), v in zip(self.columns, values, strict=True)], (
                row_id
            )
        except (ValueError, TypeError, KeyError, AttributeError, orjson.JSONDecodeError) as exc:
            raise InvalidInput.one(
                field, "This cursor is not valid here.", "INVALID_CURSOR"
            ) from exc

    def after(self, cursor: str):
        """Rows strictly after the cursor's row in this order: one row comparison when every
        key runs one way without nulls, so the database starts its walk of the matching
        index there (an OR of the keys is a filter over a walk from the top)."""
        values, row_id = self.decode(cursor)
        # bound with their column's type: SQLAlchemy refuses `<` against a bare True/False
        values = [
            v if v is None else literal(v, c.type)
            for (c, _, _), v in zip(self.columns, values, strict=True)
        ]
        directions = {descending for _, descending, _ in self.columns} | {self.id_descending}
        if len(directions) == 1 and not any(nullable for _, _, nullable in self.columns):
            keys = tuple_(*(c for c, _, _ in self.columns), self.id_column)
            at = tuple_(*values, row_id)
            return keys < at if self.id_descending else keys > at
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

    def request(self, first: int | None, after: str | None) -> PageRequest:
        """A checked forward page request: a bad size or a foreign cursor fails before any
        statement runs."""
        page = PageRequest(first, after).validated()
        if after is not None:
            self.decode(after)
        return page


def _plain(value):
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _typed(column, nullable: bool, value):
    if isinstance(value, dict):
        value = (
            datetime.fromisoformat(value["t"]) if "t" in value else date.fromisoformat(value["d"])
        )
    expected = getattr(column.type, "impl_instance", column.type).python_type
    if value is None and not nullable:
        raise ValueError(value)
    if value is not None and type(value) is not expected:
        raise ValueError(value)
    return value


def paged(rows: list, order: Order, page: PageRequest) -> Page:
    """The page of `rows` fetched with one extra row (which tells that more follow)."""
    size = page.size
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, [order.cursor(r) for r in rows], more, page.after is not None)


def page_query(query, order: Order, page: PageRequest):
    """`query` cut to one page in `order`."""
    if page.after is not None:
        query = query.where(order.after(page.after))
    return query.order_by(*order.sort()).limit(page.size + 1)


async def fetch(conn, query, order: Order, page: PageRequest) -> Page:
    rows = (await conn.execute(page_query(query, order, page))).mappings()
    return paged(list(rows), order, page)


def grouped_pages_query(table, group: str, group_ids, conditions, order: Order, page):
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
    return [paged(found[i], order, page) for i in group_ids]


async def grouped_pages(conn, table, group: str, group_ids, conditions, order: Order, page):
    query = grouped_pages_query(table, group, group_ids, conditions, order, page)
    return pages_of((await conn.execute(query)).mappings(), group, group_ids, order, page)


def counts_query(table, group: str, tenant_id: int, group_ids, *conditions):
    """(group id, rows): a badge, or a per-customer `totalCount`, for a whole page at once."""
    column = table.c[group]
    return (
        select(column, func.count())
        .where(table.c.tenant_id == tenant_id, column.in_(group_ids), *conditions)
        .group_by(column)
    )


def count_of_customer(table, tenant_id: int, *conditions):
    """The rows of `table` on the customer a list row is on, matching `conditions`: a scalar
    subquery correlated to `customers` (a `hub_customer_summaries` expression), one probe
    of a `(tenant_id, customer_id, …)` index per customer."""
    return (
        select(func.count())
        .where(table.c.tenant_id == tenant_id, table.c.customer_id == Customer.id, *conditions)
        .correlate(Customer)
        .scalar_subquery()
    )


async def counts(conn, table, group: str, tenant_id: int, group_ids, *conditions) -> list[int]:
    rows = await conn.execute(counts_query(table, group, tenant_id, group_ids, *conditions))
    found = dict(rows.all())
    return [found.get(i, 0) for i in group_ids]


def visible(table, principal, *conditions):
    """The rows of `table` (which has `customer_id`) whose customer the principal may see:
    the one visibility rule, applied to a module's rows."""
    return (
        select(*table.c)
        .join(Customer.__table__, Customer.id == table.c.customer_id)
        .where(visible_customers(principal), table.c.tenant_id == principal.tenant_id)
        .where(*conditions)
    )


async def by_ids(conn, query, ids) -> list:
    """Rows of `query` (selecting `id`) for these ids, None where there is none."""
    found = {r["id"]: r for r in (await conn.execute(query)).mappings()}
    return [found.get(i) for i in ids]


async def visible_by_ids(conn, table, principal, ids) -> list:
    """Node loading: visible rows by id, None for unknown, other tenants' and hidden ones."""
    return await by_ids(conn, visible(table, principal, table.c.id.in_(ids)), ids)
