"""The reads behind flows and boards, as query builders plus the few functions that run
them. Membership is the customer filter language (`core/filters.py`): a flow's definition
becomes a filter tree (`tree`), compiled with the same registry the customer list uses, so
folders, tags, statuses and lead sources mean exactly what they mean there, and nothing
about membership is stored.

A card's column is its position's, else the flow's default column; its order key is its
rank, else `z` and its zero-padded id (after the placed cards, oldest first), so a card
without a row pages and sorts like any other and a move can drop a card between two of them.

A board is two statements whatever its number of columns and cards (`Board`), each a
`UNION ALL` of two kinds that never sorts or joins every member: the placed cards, a walk of
the positions' `(tenant_id, flow_id, column_id, rank)` index per column, probing each card's
customer; and the default column's unplaced cards, a walk of `customers` by id with the
membership filter and `NOT EXISTS` a position, stopped at the page's size. Counts are the
same two kinds, grouped; the unplaced count reads every member once (no join, no sort).
Numbering every member per column (`ROW_NUMBER() OVER`) and outer-joining the positions
took 4 to 9 s on a million customers."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, false, func, literal, null, or_, select, true, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from core import filters, keyset
from core.access import can, visible_customer_ids, visible_customers
from core.auth import Principal
from core.customer_search import search_condition
from core.models import Customer
from plugins.flow.models import Flow, FlowColumn, FlowPosition, FlowWorker

MANAGE, VIEW = "flow.manage", "flow.view"
F, W, K, P = Flow.__table__, FlowWorker.__table__, FlowColumn.__table__, FlowPosition.__table__
C = Customer.__table__
LAZY = "z"  # rank prefix of a card without a position: after every rank `between` starts with


class card_rank(FunctionElement):
    """A card's order key: its position's rank, else `z` + the customer id zero-padded to 10
    digits (a string that sorts like the id). Compared byte by byte (`COLLATE "C"` on
    PostgreSQL), as `core.ranks` computes them."""

    type = String()
    inherit_cache = True


@compiles(card_rank, "postgresql")
def _card_rank_pg(element, compiler, **kw):
    rank, customer_id = (compiler.process(c, **kw) for c in element.clauses)
    lazy = f"'{LAZY}' || lpad(CAST({customer_id} AS TEXT), 10, '0')"
    return f'(COALESCE({rank}, {lazy}) COLLATE "C")'


@compiles(card_rank, "sqlite")
def _card_rank_sqlite(element, compiler, **kw):
    rank, customer_id = (compiler.process(c, **kw) for c in element.clauses)
    return f"COALESCE({rank}, '{LAZY}' || printf('%010d', {customer_id}))"


def lazy_rank_of(customer_id: int) -> str:
    return f"{LAZY}{customer_id:010d}"


def identity(_type_name: str, value) -> int | None:
    """The filter language's id decoder for a stored definition: plain primary keys."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def tree(flow) -> dict:
    """The flow's membership as a filter tree: any of each kind, all kinds given."""
    parts = []
    for field, values in (
        ("folder", flow["folder_ids"]),
        ("tag", flow["tag_ids"]),
        ("status", flow["status_ids"]),
        ("leadSource", flow["lead_sources"]),
    ):
        if values:
            parts.append({"field": field, "op": "IN", "values": list(values)})
    return {"and": parts}


async def membership(conn, principal: Principal, plugins, flow) -> object:
    """The SQL condition on `customers` of the flow's members (tenant and visibility are the
    caller's)."""
    parsed = filters.parse(tree(flow), ("flow",))
    if not parsed.children or not parsed.children[0].children:
        return true()
    reg = await filters.registry_for(conn, principal, plugins, [parsed], identity)
    return filters.compile_where(reg, principal, parsed)


def flows_query(principal: Principal, flow_id: int | None = None):
    """The flows the worker may see: all with `flow.manage`, else those assigned to them."""
    query = select(F).where(F.c.tenant_id == principal.tenant_id)
    if flow_id is not None:
        query = query.where(F.c.id == flow_id)
    if not can(principal, MANAGE):
        assigned = select(W.c.flow_id).where(
            W.c.tenant_id == principal.tenant_id, W.c.worker_id == principal.worker_id
        )
        query = query.where(F.c.id.in_(assigned))
    return query.order_by(F.c.name, F.c.id)


def columns_query(tenant_id: int, flow_ids):
    return (
        select(K)
        .where(K.c.tenant_id == tenant_id, K.c.flow_id.in_(flow_ids))
        .order_by(K.c.flow_id, K.c.position, K.c.id)
    )


def workers_query(tenant_id: int, flow_ids):
    return select(W.c.flow_id, W.c.worker_id).where(
        W.c.tenant_id == tenant_id, W.c.flow_id.in_(flow_ids)
    )


def default_column(flow, columns: list) -> int | None:
    """Where a matching customer without a position is: the named column, else the first."""
    ids = [c["id"] for c in columns]
    if flow["default_column_id"] in ids:
        return flow["default_column_id"]
    return ids[0] if ids else None


@dataclass(frozen=True)
class Narrowing:
    """A board's search and date range: they narrow counts and cards alike."""

    search: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None

    async def conditions(self, conn, principal: Principal, cap: int) -> list:
        found = []
        for column, low, high in (
            (Customer.created_at, self.created_from, self.created_to),
            (Customer.updated_at, self.updated_from, self.updated_to),
        ):
            if low is not None:
                found.append(column >= low)
            if high is not None:
                found.append(column <= high)
        if self.search and self.search.strip():
            found.append(await search_condition(conn, self.search, principal, found, cap))
        return found


def cards(principal: Principal, flow_id: int, default: int, member, conditions=()):
    """Every visible live member of the flow not removed from view, with its column,
    rank and position version: a subquery boards count and page."""
    joined = C.outerjoin(P, and_(P.c.flow_id == flow_id, P.c.customer_id == C.c.id))
    return (
        select(
            *C.c,
            func.coalesce(P.c.column_id, literal(default)).label("column_id"),
            card_rank(P.c.rank, C.c.id).label("flow_rank"),
            func.coalesce(P.c.version, 0).label("position_version"),
        )
        .select_from(joined)
        .where(
            C.c.tenant_id == principal.tenant_id,
            C.c.archived_at.is_(None),
            visible_customers(principal),
            member,
            or_(P.c.hidden.is_(None), P.c.hidden == false()),
            *conditions,
        )
        .subquery("cards")
    )


@dataclass(frozen=True)
class Board:
    """A board's cards for one viewer, built kind by kind (the module docstring says why)."""

    principal: Principal
    flow_id: int
    default: int
    member: object
    conditions: tuple = ()

    def _customers(self, walking: bool) -> list:
        return [
            C.c.tenant_id == self.principal.tenant_id,
            C.c.archived_at.is_(None),
            visible_customers(self.principal, walking=walking),
            self.member,
            *self.conditions,
        ]

    def _placed(self, column_ids):
        joined = P.join(C, C.c.id == P.c.customer_id)
        return (
            select(
                *C.c,
                P.c.column_id.label("column_id"),
                card_rank(P.c.rank, C.c.id).label("flow_rank"),
                P.c.version.label("position_version"),
            )
            .select_from(joined)
            .where(
                P.c.tenant_id == self.principal.tenant_id,
                P.c.flow_id == self.flow_id,
                P.c.column_id.in_(column_ids),
                P.c.hidden == false(),
                *self._customers(False),
            )
        )

    def _unplaced_where(self, walking: bool) -> list:
        return [*self._customers(walking), ~self._position_of_customer().exists()]

    def _unplaced(self):
        return select(
            *C.c,
            literal(self.default).label("column_id"),
            card_rank(null(), C.c.id).label("flow_rank"),
            literal(0).label("position_version"),
        ).where(*self._unplaced_where(True))

    def counts_query(self, column_ids):
        """(column id, cards) rows to add up: the placed cards per column, and for the
        default column the unplaced members, archived or not, less the archived ones. Without
        `archived_at` a count reads indexes only (the archived rows have a partial index of
        their own), as the customer list's count does (`core.customer_queries._live_of`);
        a restricted worker's members are probed from their links' index-only union."""
        placed = self._placed(column_ids).subquery()
        grouped = select(placed.c.column_id, func.count()).group_by(placed.c.column_id)
        if self.default not in column_ids:
            return grouped
        reached = visible_customer_ids(self.principal)
        seen = [] if reached is None else [C.c.id.in_(reached)]
        members = [
            C.c.tenant_id == self.principal.tenant_id,
            *seen,
            self.member,
            *self.conditions,
            ~self._position_of_customer().exists(),
        ]
        every = select(C.c.id).where(*members).subquery()
        archived = select(C.c.id).where(*members, C.c.archived_at.is_not(None)).subquery()
        return union_all(
            grouped,
            select(literal(self.default), func.count()).select_from(every),
            select(literal(self.default), -func.count()).select_from(archived),
        )

    def _position_of_customer(self):
        return select(P.c.id).where(P.c.flow_id == self.flow_id, P.c.customer_id == C.c.id)

    def pages_query(self, column_ids, page):
        """Up to `page.size + 1` cards of each column in order (after `page.after`), the
        default column's from both kinds (`pages` merges them)."""
        parts = []
        for column_id in column_ids:
            placed = self._placed([column_id]).subquery()
            parts.append(_cut(placed, page))
        if self.default in column_ids:
            parts.append(_cut(self._unplaced().subquery(), page, lazy=True))
        return union_all(*parts) if len(parts) > 1 else parts[0]

    async def counts(self, conn, column_ids) -> dict[int, int]:
        found = dict.fromkeys(column_ids, 0)
        for column_id, count in await conn.execute(self.counts_query(column_ids)):
            found[column_id] += count
        return found

    async def pages(self, conn, column_ids, page) -> list[keyset.Page]:
        rows = list((await conn.execute(self.pages_query(column_ids, page))).mappings())
        rows.sort(key=lambda r: (r["flow_rank"], r["id"]))  # code points: `COLLATE "C"`
        return keyset.pages_of(rows, "column_id", column_ids, self.order(), page)

    def order(self) -> keyset.Order:
        """The cards' order, for cursors (every kind names its keys alike)."""
        return order_of(self._unplaced().subquery())


def _cut(sub, page, lazy: bool = False):
    """`sub` cut to its first `page.size + 1` cards after the cursor. An unplaced card's key
    grows with its id, so a cursor on one is `id >` it: the walk by id starts there."""
    order = order_of(sub)
    query = select(*sub.c)
    if page.after is not None:
        (key,), after_id = order.decode(page.after)
        if lazy and key == lazy_rank_of(after_id):
            query = query.where(sub.c.id > after_id)
        else:
            query = query.where(order.after(page.after))
    sort = [sub.c.id] if lazy else order.sort()
    inner = query.order_by(*sort).limit(page.size + 1).subquery()
    return select(*inner.c)


def order_of(sub) -> keyset.Order:
    return keyset.Order("flow", ((sub.c.flow_rank, False, False),), sub.c.id)


async def neighbours(conn, sub, column_id: int, customer_ids) -> dict[int, str]:
    """The order keys of these cards, if they are in the column."""
    rows = await conn.execute(
        select(sub.c.id, sub.c.flow_rank).where(
            sub.c.column_id == column_id, sub.c.id.in_(customer_ids)
        )
    )
    return dict(rows.all())


async def next_key(conn, sub, column_id: int, key: str, after: bool) -> str | None:
    """The order key of the card next to `key` in the column (after or before it)."""
    column = sub.c.flow_rank
    query = select(column).where(sub.c.column_id == column_id)
    if after:
        query = query.where(column > key).order_by(column).limit(1)
    else:
        query = query.where(column < key).order_by(column.desc()).limit(1)
    return await conn.scalar(query)


def as_row(flow) -> dict:
    """A flow ORM object as the row the builders take."""
    return {c.key: getattr(flow, c.key) for c in F.c}
