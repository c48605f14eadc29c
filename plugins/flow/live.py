"""The live board: `flowBoard(flowId)` sends the column counts as the viewer sees them, then
after every burst of events that may change them (any customer's change may make it match
or stop matching; the flow's own moves) the counts again and the moves of customers the
viewer may see. It is a `schema.live.Feed`: subscribers of one flow with one audience share
one read per burst, bursts are coalesced, slow clients closed, and a resync (the bus came
back, permissions changed) sends everything again, exactly as `badgeCounts` does."""

from collections.abc import AsyncGenerator

import strawberry

from core import access
from plugins.flow import queries as q
from plugins.flow.board import read_flow
from plugins.flow.moves import HIDE_CARD
from plugins.flow.types import FlowBoardUpdate, FlowCardMove, FlowColumnCount
from schema.context import Info
from schema.ids import from_global_id, to_global_id
from schema.live import Feed, Watcher, latest_event_id, visible_ids

MOVES = ("flow.card_moved", HIDE_CARD)


def _move(message: dict) -> FlowCardMove:
    data = message["data"] or {}
    hidden = message["name"] == HIDE_CARD and bool(data.get("hidden"))
    column = data.get("toColumnId")
    return FlowCardMove(
        customer_id=to_global_id("Customer", message["customerId"]),
        column_id=None if column is None else to_global_id("FlowColumn", column),
        rank=data.get("rank"),
        version=data.get("version", 0),
        hidden=hidden,
        event_id=to_global_id("Event", message["id"]),
    )


def feed(flow_id: int, plugins, principal) -> Feed:
    def wants(message: dict) -> bool:
        data = message.get("data") or {}
        return message.get("customerId") is not None or data.get("flowId") == flow_id

    async def read(conn, principal, messages: list[dict], resync: bool):
        flow, columns = await read_flow(conn, principal, flow_id)
        if flow is None:
            return None  # deleted, or no longer assigned
        ids = [c["id"] for c in columns]
        counts = {}
        if ids:
            member = await q.membership(conn, principal, plugins, flow)
            cards = q.Board(principal, flow_id, q.default_column(flow, columns), member)
            counts = await cards.counts(conn, ids)
        moved = [
            m
            for m in messages
            if m["name"] in MOVES and (m.get("data") or {}).get("flowId") == flow_id
        ]
        seen = await visible_ids(conn, principal, {m["customerId"] for m in moved}) if moved else ()
        version = max((m["id"] for m in messages), default=0)
        if resync or not version:
            version = await latest_event_id(conn, principal.tenant_id)
        return [
            FlowBoardUpdate(
                flow_id=to_global_id("Flow", flow_id),
                version=version,
                counts=[
                    FlowColumnCount(column_id=to_global_id("FlowColumn", i), count=counts[i])
                    for i in ids
                ],
                moves=[_move(m) for m in moved if m["customerId"] in seen],
            )
        ]

    # who may see which flow depends on the worker unless they manage flows
    scope = None if access.can(principal, q.MANAGE) else principal.worker_id
    return Feed(("flow", flow_id, scope), wants, read)


async def flow_board_updates(
    info: Info, flow_id: strawberry.ID
) -> AsyncGenerator[FlowBoardUpdate, None]:
    ctx = info.context
    principal = ctx.principal
    access.require(principal, q.VIEW)
    pk = from_global_id(flow_id, "Flow")
    live = feed(pk, ctx.plugins, principal)
    watcher = Watcher(
        "feed",
        principal,
        ctx.credentials,
        ctx.socket,
        ctx.settings.subscription_queue,
        feed=live,
    )
    try:
        await ctx.live.watch(watcher)  # before the first read: nothing falls in between
        try:
            async with ctx.read() as conn:
                first = await live.read(conn, principal, [], True)
        finally:
            await ctx.read.close()
        if first is None:
            return
        yield first.pop()
        async for update in watcher.updates():
            yield update
    finally:
        ctx.live.unwatch(watcher)
