"""Live data over graphql-transport-ws. Each subscription listens to the bus for its tenant,
keeps a bounded queue (a slow client is dropped, never buffered without end) and recomputes
what it sends from the database with the subscriber's own permissions: a bus message is
only a signal, so nothing is ever computed from a cache kept across events.

`badgeCounts` sends the current counts first, then new absolute counts after each burst of
events about a watched customer (events within `COALESCE` seconds are folded together),
each with a version (the newest event id it reflects). After the bus reconnects (Redis came
back), every subscription recomputes and sends everything again."""

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum

import strawberry
from sqlalchemy import func, select
from strawberry.scalars import JSON

from core import access
from core import customer_queries as q
from core.auth import Principal
from core.errors import InvalidInput
from core.models import EventRecord
from schema.context import Info
from schema.ids import from_global_ids, to_global_id
from schema.tabs import ProfileTab, badge_counts, shown_tabs, tabs_with_counts

COALESCE = 0.05
MAX_WATCHED = 200
RESYNC = "__resync__"


class SlowClient(Exception):
    """The client does not read its updates: drop it."""


@strawberry.type(description="Badge counts of one customer's profile tabs, as absolute values.")
class CustomerBadges:
    customer_id: strawberry.ID
    tabs: list[ProfileTab]
    version: int = strawberry.field(
        description="The newest event these counts reflect; larger is newer."
    )


@strawberry.type(description="Something that happened to a customer.")
class CustomerEvent:
    id: strawberry.ID
    action: str = strawberry.field(description="E.g. `customer.updated`, `ticket.opened`.")
    customer_id: strawberry.ID
    occurred_at: datetime
    data: JSON


@strawberry.enum(description="What happened to a customer of the list.")
class CustomerListChangeKind(Enum):
    CREATED = "CREATED"
    CHANGED = "CHANGED"
    REMOVED = "REMOVED"


@strawberry.type(description="A change the list panel should reflect.")
class CustomerListChange:
    kind: CustomerListChangeKind
    customer_id: strawberry.ID
    version: int


SLOW_CLIENT_CLOSE = 4413


class Feed:
    """One subscription's view of the bus: a bounded queue of the tenant's messages."""

    def __init__(self, info: Info, size: int):
        ctx = info.context
        self.socket = ctx.response
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=size)
        self.overflowed = False
        self.stop_listening = ctx.bus.listen(ctx.principal.tenant_id, self.put)
        self.resync_callback = self.resync
        ctx.bus.on_resync.append(self.resync_callback)
        self.bus = ctx.bus

    def put(self, message: dict) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True

    async def resync(self) -> None:
        self.put({"name": RESYNC, "id": 0})

    def close(self) -> None:
        self.stop_listening()
        with contextlib.suppress(ValueError):
            self.bus.on_resync.remove(self.resync_callback)

    async def burst(self) -> list[dict]:
        """The next message and whatever follows within `COALESCE` seconds."""
        messages = [await self.queue.get()]
        await asyncio.sleep(COALESCE)
        while not self.queue.empty():
            messages.append(self.queue.get_nowait())
        if self.overflowed:
            reason = "Too many updates waiting: reconnect and subscribe again."
            if hasattr(self.socket, "close"):
                await self.socket.close(code=SLOW_CLIENT_CLOSE, reason=reason)
            raise SlowClient(reason)
        return messages


async def _visible(info: Info, principal: Principal, ids: list[int]) -> set[int]:
    async with info.context.db.read() as conn:
        return set(await q.customers_by_ids(conn, principal, ids))


async def _badges(info: Info, principal: Principal, ids: list[int]) -> dict[int, list[ProfileTab]]:
    """Fresh counts from the database, with this subscriber's permissions and modules."""
    ctx = info.context
    async with ctx.db.read() as conn:
        memberships = await q.memberships_of(conn, principal.tenant_id, ids)
        counts = await badge_counts(ctx.plugins, conn, principal, ids)
    return {
        customer_id: tabs_with_counts(
            shown_tabs(ctx.registry, principal, memberships.get(customer_id, [])),
            counts[customer_id],
        )
        for customer_id in ids
    }


async def _latest_event_id(info: Info, tenant_id: int) -> int:
    async with info.context.db.read() as conn:
        found = await conn.scalar(
            select(func.max(EventRecord.id)).where(EventRecord.tenant_id == tenant_id)
        )
    return found or 0


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Badge counts of these customers' tabs: the current ones first, then new "
        "absolute counts whenever something changes. Unknown or hidden customers are skipped. "
        f"At most {MAX_WATCHED} customers."
    )
    async def badge_counts(
        self, info: Info, customer_ids: list[strawberry.ID]
    ) -> AsyncGenerator[CustomerBadges, None]:
        principal = info.context.principal
        if len(customer_ids) > MAX_WATCHED:
            raise InvalidInput.one("customerIds", f"At most {MAX_WATCHED} customers.", "TOO_MANY")
        feed = Feed(info, info.context.settings.subscription_queue)
        try:
            watched = await _visible(info, principal, from_global_ids(customer_ids, "Customer"))
            version = await _latest_event_id(info, principal.tenant_id)
            for customer_id, tabs in (await _badges(info, principal, sorted(watched))).items():
                yield CustomerBadges(
                    customer_id=to_global_id("Customer", customer_id), tabs=tabs, version=version
                )
            while True:
                burst = await feed.burst()
                resync = any(m["name"] == RESYNC for m in burst)
                touched = watched if resync else {m["customerId"] for m in burst} & watched
                if not touched:
                    continue
                version = max([version, *(m["id"] for m in burst)])
                still = await _visible(info, principal, sorted(touched))
                for customer_id, tabs in (await _badges(info, principal, sorted(still))).items():
                    yield CustomerBadges(
                        customer_id=to_global_id("Customer", customer_id),
                        tabs=tabs,
                        version=version,
                    )
        finally:
            feed.close()

    @strawberry.subscription(description="The events of one customer you may see, as they happen.")
    async def customer_events(
        self, info: Info, customer_id: strawberry.ID
    ) -> AsyncGenerator[CustomerEvent, None]:
        principal = info.context.principal
        (pk,) = from_global_ids([customer_id], "Customer")
        feed = Feed(info, info.context.settings.subscription_queue)
        try:
            if pk not in await _visible(info, principal, [pk]):
                return
            while True:
                for message in await feed.burst():
                    if message.get("customerId") != pk:
                        continue
                    if pk not in await _visible(info, principal, [pk]):
                        return
                    yield CustomerEvent(
                        id=to_global_id("Event", message["id"]),
                        action=message["name"],
                        customer_id=customer_id,
                        occurred_at=datetime.fromisoformat(message["occurredAt"]),
                        data=message["data"],
                    )
        finally:
            feed.close()

    @strawberry.subscription(
        description="Which customers of your list were created, changed or removed, so the list "
        "panel can refresh them. Removals of customers you could not see are not sent."
    )
    async def customer_list_changed(self, info: Info) -> AsyncGenerator[CustomerListChange, None]:
        principal = info.context.principal
        sees_all = access.can(principal, "customers.view_all")
        feed = Feed(info, info.context.settings.subscription_queue)
        try:
            while True:
                burst = [m for m in await feed.burst() if m.get("customerId")]
                latest: dict[int, dict] = {}
                for message in burst:
                    latest[message["customerId"]] = message
                visible = await _visible(info, principal, sorted(latest))
                for customer_id, message in latest.items():
                    if message["name"] in ("customer.deleted", "customer.merged_away"):
                        if not sees_all:
                            continue
                        kind = CustomerListChangeKind.REMOVED
                    elif customer_id not in visible:
                        continue
                    elif message["name"] == "customer.created":
                        kind = CustomerListChangeKind.CREATED
                    else:
                        kind = CustomerListChangeKind.CHANGED
                    yield CustomerListChange(
                        kind=kind,
                        customer_id=to_global_id("Customer", customer_id),
                        version=message["id"],
                    )
        finally:
            feed.close()
