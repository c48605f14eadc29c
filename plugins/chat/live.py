"""`chatMessages(customerId)`: a customer's chat as it changes, for workers viewing it.

It rides on the core fan-out (`schema/live.py`) as a `customerEvents` watcher does: one bus
listener per tenant (Redis across processes), the visibility rule re-checked per audience and
burst (a customer gone from view completes the subscription), re-authentication after
tenant-wide changes, events missed while Redis was away replayed, and a client that does
not read closed (4413) instead of buffered. Of the customer's events it keeps the chat
message ones and sends each message as it is now, read afresh (an edit then a delete in one
burst both show the deleted placeholder)."""

from collections.abc import AsyncGenerator

import strawberry
from sqlalchemy import select

from core import access
from core.errors import NotFound
from plugins.chat import queries as q
from plugins.chat.types import ChatMessage, ChatMessageChange, ChatMessageUpdate
from schema.context import Info
from schema.ids import from_global_id
from schema.live import Watcher, events_after, latest_event_id, visible_ids

CHANGES = {
    "chat.message_posted": ChatMessageChange.POSTED,
    "chat.message_edited": ChatMessageChange.EDITED,
    "chat.message_deleted": ChatMessageChange.DELETED,
}


async def _read(info: Info, function, *args):
    ctx = info.context
    try:
        async with ctx.read() as conn:
            return await function(conn, *args)
    finally:
        await ctx.read.close()  # a subscription lives long: hold no connection between reads


async def _message(conn, tenant_id: int, message_id: int):
    rows = await conn.execute(
        select(*q.M.c).where(q.M.c.tenant_id == tenant_id, q.M.c.id == message_id)
    )
    return rows.mappings().first()


async def _update(info: Info, watcher: Watcher, name: str, data: dict):
    row = await _read(info, _message, watcher.principal.tenant_id, data.get("messageId"))
    if row is None or row["customer_id"] not in watcher.customers:  # erased or merged away
        return None
    return ChatMessageUpdate(change=CHANGES[name], message=ChatMessage.from_row(row))


async def chat_messages(
    info: Info, customer_id: strawberry.ID
) -> AsyncGenerator[ChatMessageUpdate, None]:
    ctx = info.context
    principal = ctx.principal
    access.require(principal, "chat.view")
    pk = from_global_id(customer_id, "Customer")
    tenant_id = principal.tenant_id
    if not await _read(info, visible_ids, principal, [pk]):
        raise NotFound("Customer")
    watcher = Watcher(
        "events",
        principal,
        ctx.credentials,
        ctx.socket,
        ctx.settings.subscription_queue,
        frozenset([pk]),
    )
    try:
        watcher.since = await _read(info, latest_event_id, tenant_id)
        await ctx.live.watch(watcher)
        missed = await _read(info, events_after, tenant_id, [pk], watcher.since)
        pending = [
            (m["name"], m["data"])
            for m in watcher.new_events(sorted(missed, key=lambda m: m["id"]))
        ]
        for name, data in pending:
            if name in CHANGES and (update := await _update(info, watcher, name, data)):
                yield update
        async for event in watcher.updates():
            if not access.can(watcher.principal, "chat.view"):
                return
            if event.action in CHANGES and (
                update := await _update(info, watcher, event.action, event.data)
            ):
                yield update
    finally:
        ctx.live.unwatch(watcher)


SUBSCRIPTION_FIELDS = [
    strawberry.subscription(
        resolver=chat_messages,
        description="One customer's chat messages as they are posted, edited and deleted. "
        "NOT_FOUND for a customer you may not see; completes when it leaves your view.",
    )
]
