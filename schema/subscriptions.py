"""Live data over graphql-transport-ws. The resolvers here only register a `Watcher` with
the app's `LiveHub` (`schema/live.py`), which listens to the bus once per tenant and
recomputes what is sent once per audience and burst.

`badgeCounts` sends the current counts first, then new absolute counts after each burst of
events about a watched customer, each with a version (the newest event id it reflects).
After the bus reconnects (Redis came back) or a tenant-wide change (permissions, API keys,
modules), every subscription gets everything again."""

from collections.abc import AsyncGenerator

import strawberry

from core.errors import InvalidInput
from schema import jobs, live_types
from schema.context import Info
from schema.ids import from_global_ids
from schema.jobs import Job
from schema.live import Watcher, events_after, first_badges, latest_event_id, visible_ids
from schema.live_types import CustomerBadges, CustomerEvent, CustomerListChange

MAX_WATCHED = 200


def _watcher(info: Info, kind: str, customers=frozenset()) -> Watcher:
    ctx = info.context
    return Watcher(
        kind,
        ctx.principal,
        ctx.credentials,
        ctx.socket,
        ctx.settings.subscription_queue,
        frozenset(customers),
    )


async def _current_badges(info: Info, ids: list[int]) -> list[CustomerBadges]:
    """In reverse order, for popping."""
    ctx = info.context
    try:
        async with ctx.read() as conn:
            version, counts = await first_badges(
                conn, ctx.registry, ctx.plugins, ctx.principal, ids
            )
    finally:
        await ctx.read.close()
    return [live_types.badges(i, tabs, version) for i, tabs in reversed(counts.items())]


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
        watcher = _watcher(info, "badges", ids)
        try:
            await ctx.live.watch(watcher)
            first = await _current_badges(info, ids)
            while first:  # popped: a subscription lives long and holds nothing it has sent
                yield first.pop()
            async for update in watcher.updates():
                yield update
        finally:
            ctx.live.unwatch(watcher)

    @strawberry.subscription(description="The events of one customer you may see, as they happen.")
    async def customer_events(
        self, info: Info, customer_id: strawberry.ID
    ) -> AsyncGenerator[CustomerEvent, None]:
        ctx = info.context
        (pk,) = from_global_ids([customer_id], "Customer")
        watcher = _watcher(info, "events", [pk])
        tenant_id = ctx.principal.tenant_id
        try:
            async with ctx.read() as conn:
                watcher.since = await latest_event_id(conn, tenant_id)
            await ctx.read.close()
            await ctx.live.watch(watcher)
            async with ctx.read() as conn:  # what happened while the bus was being joined
                visible = await visible_ids(conn, ctx.principal, [pk])
                missed = await events_after(conn, tenant_id, [pk], watcher.since)
            await ctx.read.close()
            if not visible:
                return
            for message in watcher.new_events(sorted(missed, key=lambda m: m["id"])):
                yield live_types.event(message)
            async for update in watcher.updates():
                yield update
        finally:
            ctx.live.unwatch(watcher)

    @strawberry.subscription(
        description="Which customers of your list were created, changed or removed, so the list "
        "panel can refresh them. Removals of customers you could not see are not sent."
    )
    async def customer_list_changed(self, info: Info) -> AsyncGenerator[CustomerListChange, None]:
        watcher = _watcher(info, "list")
        try:
            await info.context.live.watch(watcher)
            async for update in watcher.updates():
                yield update
        finally:
            info.context.live.unwatch(watcher)

    @strawberry.subscription(
        description="One job you may see: as it is now, then after each change of its status "
        "or progress; completes when it has finished. Unknown or hidden jobs send nothing."
    )
    async def job_progress(self, info: Info, id: strawberry.ID) -> AsyncGenerator[Job, None]:
        async for job in jobs.job_progress(info, id):
            yield job
