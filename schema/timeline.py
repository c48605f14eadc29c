"""`Customer.timeline`: what happened to one customer, newest first, from the event log
(core's events and the modules'), each entry with a sentence a person can read.

The sentences are `core.summaries`' (stored on the event row when it is written; a row
without them, written before migration 0019 finished, gets them worked out here). The
compiled path (`schema/compiled/timeline.py`) answers the same page in SQL.

A module's events show only to workers who may open its profile tab (its permission, e.g.
`tickets.view`) while the tenant has it enabled: the timeline tells no more than the tab.

Not a `Customer` field by itself: `TIMELINE_FIELD` / `timeline` are grafted onto it, so
this file never imports `schema.customers` (which may import this one)."""

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import strawberry
from sqlalchemy import func, select
from strawberry.scalars import JSON

from core import access, audit, models, multiread
from core.events import CORE_EVENT_TYPES
from core.lru import Lru
from core.models import EventRecord
from core.pagination import PageRequest, fetch_page
from core.summaries import CORE_SUMMARIES, render, summarize
from schema.context import Context, Info
from schema.relay import Connection, Node, connection
from schema.team.types import Worker

if TYPE_CHECKING:
    from schema.customers.types import Customer

# --- which events a worker may see on a timeline --------------------------------------------


SHOWN_KEPT = 256  # (plugins, registry, modules, permissions) whose shown actions are kept
_shown = Lru(SHOWN_KEPT)


def shown_actions(ctx: Context) -> frozenset[str]:
    """Core's customer events, those of always-on plugins, and those of the enabled modules
    whose profile tabs the worker may open (an event of a module not installed any more
    has no one to say who may see it: left out).

    Kept per (plugins, registry, the tenant's modules, the worker's permissions), all it
    depends on: `hub_event_types` answers at start-up and the tabs are the registry's
    (worked out per request it cost 60 µs of every profile)."""
    principal = ctx.principal
    if ctx.plugins is None or ctx.registry is None:
        return frozenset(CORE_EVENT_TYPES)
    key = (ctx.plugins, ctx.registry, principal.modules, principal.permissions)
    return _shown.get(key, lambda: _shown_now(ctx.plugins, ctx.registry, principal))


def _shown_now(plugins, registry, principal) -> frozenset[str]:
    shown = set(CORE_EVENT_TYPES)
    needs: dict[str, set[str]] = {}
    for contribution in registry.contributions:
        if contribution.module:
            tabs = needs.setdefault(contribution.module, set())
            tabs.update(t.permission for t in contribution.tabs if t.permission)
    modules = {
        m for m in principal.modules if all(access.can(principal, p) for p in needs.get(m, ()))
    }
    for names in plugins.caller("hub_event_types", modules)():
        shown.update(names or ())
    return frozenset(shown)


# --- GraphQL ----------------------------------------------------------------------------------


@strawberry.type(
    description="Something that happened to the customer: a core change or a module's event."
)
class TimelineEntry(Node):
    action: str = strawberry.field(
        description="The event name (its type), e.g. `customer.updated`, `ticket.opened`."
    )
    occurred_at: datetime
    data: JSON = strawberry.field(description="The event's own data, as its emitter wrote it.")
    actor_id: strawberry.Private[int | None]
    stored: strawberry.Private[tuple[str | None, str | None]] = (None, None)

    async def _actor_row(self, info: Info) -> dict | None:
        if self.actor_id is None:
            return None
        return await info.context.loaders.worker.load(self.actor_id)

    @strawberry.field(description="The worker who did it (null for the system or a removed one).")
    async def actor(self, info: Info) -> Worker | None:
        row = await self._actor_row(info)
        return Worker.from_row(row) if row else None

    @strawberry.field(
        description='What happened in a sentence, e.g. "Olivia Owner changed city", '
        '"Ticket T-1003 opened", "Payment of 50.00 EUR received".'
    )
    async def summary(self, info: Info) -> str:
        plain, rest = self.stored
        if plain is None:
            plain, rest = summarize(self.action, self.data)
        actor = None
        if rest is not None and self.action in CORE_SUMMARIES:
            row = await self._actor_row(info)
            actor = row["name"] if row else None
        return render(plain, rest, actor)


@strawberry.input(description="Which entries of a timeline.")
class TimelineFilter:
    actions: list[str] | None = strawberry.field(
        default=None,
        description='Only these event names, e.g. `["ticket.opened"]`; null or empty: all.',
    )


ACTOR, WORKERS = "timeline_actor", models.Worker.__table__
TIMELINE_DESCRIPTION = (
    "What happened to this customer, newest first: core changes and the events of the "
    "modules you may open. One statement per page: select it on a profile, never on list "
    "pages."
)


async def timeline(
    root: "Customer",
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: TimelineFilter | None = None,
) -> Connection[TimelineEntry]:
    ctx = info.context
    actions: Iterable[str] = shown_actions(ctx)
    if filter is not None and filter.actions:
        actions = set(actions) & set(filter.actions)
    query = audit.customer_timeline(ctx.principal, root.pk, actions)
    actor = (
        select(multiread.json_row(list(WORKERS.c)))
        .where(WORKERS.c.tenant_id == ctx.principal.tenant_id, WORKERS.c.id == EventRecord.actor_id)
        .scalar_subquery()
    )
    async with ctx.read() as conn:
        page = await fetch_page(
            conn,
            query.add_columns(actor.label(ACTOR)),
            PageRequest(first, after),
            EventRecord.id,
            EventRecord.id,
            True,
        )
        decode = multiread.decoder(list(WORKERS.c), conn.dialect)
    for row in page.rows:  # the actors come with the page: `actor` and `summary` read nothing
        if row["actor_id"] is not None:
            ctx.loaders.worker.prime(row["actor_id"], decode(row[ACTOR]))

    async def count() -> int:
        async with ctx.read() as conn:
            counted = select(func.count()).select_from(query.subquery())
            return (await conn.execute(counted)).scalar_one()

    nodes = [
        TimelineEntry(
            pk=r["id"],
            action=r["action"],
            occurred_at=r["occurred_at"],
            data=r["data"],
            actor_id=r["actor_id"],
            stored=(r["summary"], r["summary_rest"]),
        )
        for r in page.rows
    ]
    return connection(page, nodes, count)


TIMELINE_FIELD = strawberry.field(resolver=timeline, description=TIMELINE_DESCRIPTION)
