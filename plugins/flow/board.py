"""Reading a board: the flow and its columns, then the counts per column and the first page
of every column, in a constant number of statements whatever the number of columns and
cards (`queries.py` says how). The cards' customers come with Customer's loaders."""

from datetime import datetime

import strawberry

from core import access
from core.errors import NotFound
from core.pagination import PageRequest
from plugins.flow import queries as q
from plugins.flow.types import Flow, FlowBoard, FlowBoardColumn, FlowCard, FlowColumn
from schema.context import Info
from schema.ids import from_global_id
from schema.relay import Connection, connection


async def read_flow(conn, principal, flow_id: int) -> tuple[dict | None, list[dict]]:
    """The flow if the worker may see it, and its columns in order."""
    flow = (await conn.execute(q.flows_query(principal, flow_id))).mappings().first()
    if flow is None:
        return None, []
    columns = (await conn.execute(q.columns_query(principal.tenant_id, [flow_id]))).mappings()
    return dict(flow), [dict(c) for c in columns]


async def cards_of(conn, ctx, flow: dict, columns: list[dict], narrowing: q.Narrowing):
    """The board's cards for this viewer."""
    principal = ctx.principal
    member = await q.membership(conn, principal, ctx.plugins, flow)
    cap = ctx.settings.search_candidates
    conditions = await narrowing.conditions(conn, principal, cap)
    return q.Board(
        principal, flow["id"], q.default_column(flow, columns), member, tuple(conditions)
    )


async def _flow(conn, info: Info, flow_id: strawberry.ID):
    principal = info.context.principal
    access.require(principal, q.VIEW)
    flow, columns = await read_flow(conn, principal, from_global_id(flow_id, "Flow"))
    if flow is None:
        raise NotFound("Flow")
    return flow, columns


def _narrowing(search, created_from, created_to, updated_from, updated_to) -> q.Narrowing:
    return q.Narrowing(search, created_from, created_to, updated_from, updated_to)


def _connection(page, count: int) -> Connection[FlowCard]:
    async def counted() -> int:
        return count

    return connection(page, [FlowCard.from_row(r) for r in page.rows], counted)


async def flow_board(
    info: Info,
    flow_id: strawberry.ID,
    first: int | None = None,
    search: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    updated_from: datetime | None = None,
    updated_to: datetime | None = None,
) -> FlowBoard:
    ctx = info.context
    page = PageRequest(first).validated()
    narrowing = _narrowing(search, created_from, created_to, updated_from, updated_to)
    async with ctx.read() as conn:
        flow, columns = await _flow(conn, info, flow_id)
        ids = [c["id"] for c in columns]
        counts, pages = {}, []
        if ids:
            cards = await cards_of(conn, ctx, flow, columns, narrowing)
            counts = await cards.counts(conn, ids)
            pages = await cards.pages(conn, ids, page)
    board = [
        FlowBoardColumn(
            column=FlowColumn.from_row(column),
            count=counts[column["id"]],
            cards=_connection(found, counts[column["id"]]),
        )
        for column, found in zip(columns, pages, strict=True)
    ]
    return FlowBoard(flow=Flow.from_row(flow), columns=board, count=sum(counts.values()))


async def flow_cards(
    info: Info,
    flow_id: strawberry.ID,
    column_id: strawberry.ID,
    first: int | None = None,
    after: str | None = None,
    search: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    updated_from: datetime | None = None,
    updated_to: datetime | None = None,
) -> Connection[FlowCard]:
    """One column's cards, a page after `after` (a cursor of this board's pages)."""
    ctx = info.context
    narrowing = _narrowing(search, created_from, created_to, updated_from, updated_to)
    async with ctx.read() as conn:
        flow, columns = await _flow(conn, info, flow_id)
        pk = from_global_id(column_id, "FlowColumn")
        if pk not in {c["id"] for c in columns}:
            raise NotFound("FlowColumn")
        cards = await cards_of(conn, ctx, flow, columns, narrowing)
        page = cards.order().request(first, after)
        counts = await cards.counts(conn, [pk])
        (found,) = await cards.pages(conn, [pk], page)
    return _connection(found, counts[pk])


async def flows(info: Info) -> list[Flow]:
    principal = info.context.principal
    access.require(principal, q.VIEW)
    async with info.context.read() as conn:
        rows = (await conn.execute(q.flows_query(principal))).mappings()
        return [Flow.from_row(r) for r in rows]
