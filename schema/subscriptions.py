"""Live data over graphql-transport-ws. The resolvers here only register a `Watcher` with
the app's `LiveHub` (`schema/live.py`), which listens to the bus once per tenant and
recomputes what is sent once per audience and burst.

`badgeCounts` sends the current counts first, then new absolute counts after each burst of
events about a watched customer, each with a version (the newest event id it reflects).
After the bus reconnects (Redis came back) or a tenant-wide change (permissions, API keys,
modules), every subscription gets everything again."""

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from core import customer_queries as q
from core.errors import InvalidInput
from schema.context import Info
from schema.ids import from_global_ids, to_global_id
from schema.live import Watcher, latest_event_id, read_badges
from schema.tabs import ProfileTab

MAX_WATCHED = 200


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


async def _watching(info: Info, kind: str, customers=frozenset()) -> Watcher:
    ctx = info.context
    watcher = Watcher(
        kind,
        ctx.principal,
        ctx.credentials,
        ctx.response,
        ctx.settings.subscription_queue,
        frozenset(customers),
    )
    ctx.live.watch(watcher)
    return watcher


async def _visible_on(conn, principal, ids) -> set[int]:
    return set(await q.customers_by_ids(conn, principal, sorted(ids)))


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
        ctx = info.context
        if len(customer_ids) > MAX_WATCHED:
            raise InvalidInput.one("customerIds", f"At most {MAX_WATCHED} customers.", "TOO_MANY")
        ids = from_global_ids(customer_ids, "Customer")
        watcher = await _watching(info, "badges", ids)
        try:
            async with ctx.read() as conn:
                version = await latest_event_id(conn, ctx.principal.tenant_id)
                visible = sorted(await _visible_on(conn, ctx.principal, ids))
                first = await read_badges(conn, ctx.registry, ctx.plugins, ctx.principal, visible)
            await ctx.read.close()
            for customer_id, tabs in first.items():
                yield _badges(customer_id, tabs, version)
            async for update in watcher.updates():
                yield _badges(update.customer_id, update.tabs, update.version)
        finally:
            ctx.live.unwatch(watcher)

    @strawberry.subscription(description="The events of one customer you may see, as they happen.")
    async def customer_events(
        self, info: Info, customer_id: strawberry.ID
    ) -> AsyncGenerator[CustomerEvent, None]:
        ctx = info.context
        (pk,) = from_global_ids([customer_id], "Customer")
        watcher = await _watching(info, "events", [pk])
        try:
            async with ctx.read() as conn:
                visible = await _visible_on(conn, ctx.principal, [pk])
            await ctx.read.close()
            if not visible:
                return
            async for message in watcher.updates():
                yield CustomerEvent(
                    id=to_global_id("Event", message["id"]),
                    action=message["name"],
                    customer_id=customer_id,
                    occurred_at=datetime.fromisoformat(message["occurredAt"]),
                    data=message["data"],
                )
        finally:
            ctx.live.unwatch(watcher)

    @strawberry.subscription(
        description="Which customers of your list were created, changed or removed, so the list "
        "panel can refresh them. Removals of customers you could not see are not sent."
    )
    async def customer_list_changed(self, info: Info) -> AsyncGenerator[CustomerListChange, None]:
        watcher = await _watching(info, "list")
        try:
            async for change in watcher.updates():
                yield CustomerListChange(
                    kind=CustomerListChangeKind(change.kind),
                    customer_id=to_global_id("Customer", change.customer_id),
                    version=change.version,
                )
        finally:
            info.context.live.unwatch(watcher)


def _badges(customer_id: int, tabs: list[ProfileTab], version: int) -> CustomerBadges:
    return CustomerBadges(
        customer_id=to_global_id("Customer", customer_id), tabs=tabs, version=version
    )
