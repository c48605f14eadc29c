"""Deals, stages and the figures built from them as GraphQL types. A customer's pages of
deals, counts and figures, and a deal's stage, owner and customer load through per-request
loaders (the stages once per request; the look-ahead read in `schema.py` primes a page's
worth at once), so a page costs the same whatever its length."""

from datetime import date, datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import Private

from core import keyset
from plugins.deals import queries as q
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.money import Money
from schema.relay import Connection, Node, connection
from schema.team.types import Worker


@strawberry.enum(description="What reaching a stage means: still open, won or lost.")
class DealStageKind(Enum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


@strawberry.enum(description="Where a deal stands: the kind of its stage.")
class DealStatus(Enum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


@strawberry.type(description="A step of the business's sales pipeline.")
class DealStage(Node):
    name: str
    position: int = strawberry.field(description="0-based place in the pipeline.")
    probability: int = strawberry.field(
        description="Chance, in percent, that a deal here is won: weights the pipeline."
    )
    kind: DealStageKind = strawberry.field(description="Set when the stage is made; final.")
    created_at: datetime

    @classmethod
    def from_row(cls, row) -> "DealStage":
        return kit.from_row(cls, row)


async def all_stages(info: Info) -> list[DealStage]:
    """The tenant's stages in order, read once per request."""
    principal = info.context.principal
    rows = await kit.loader(info, "deals.stages", q.stages).load(principal.tenant_id)
    return [kit.from_row(DealStage, row) for row in rows]


def money(sums: dict[str, int]) -> list[Money]:
    """Per-currency sums as Money, by currency code."""
    return [Money(amount=sums[code], currency=code) for code in sorted(sums)]


@strawberry.type(description="A sales opportunity with a customer.")
class Deal(Node):
    name: str
    status: DealStatus = strawberry.field(description="The kind of its stage.")
    expected_close_date: date | None
    lost_reason: str | None = strawberry.field(description="Why it was lost; only while LOST.")
    won_at: datetime | None = strawberry.field(description="When it reached a WON stage.")
    lost_at: datetime | None = strawberry.field(description="When it reached a LOST stage.")
    version: int = strawberry.field(
        description="Bumped by every change; `moveDeal` (and optionally `updateDeal`) names the "
        "version it was decided on, and is refused if the deal changed since."
    )
    created_at: datetime
    updated_at: datetime
    amount: Private[int]
    currency: Private[str]
    stage_id: Private[int]
    customer_id: Private[int]
    owner_id: Private[int | None]
    created_by_id: Private[int | None]

    @strawberry.field(description="The deal's worth, in minor units of its currency.")
    def value(self) -> Money:
        return Money(amount=self.amount, currency=self.currency)

    @strawberry.field
    async def stage(self, info: Info) -> DealStage:
        return next(s for s in await all_stages(info) if s.pk == self.stage_id)

    @strawberry.field(description="The worker responsible; null: nobody (or removed).")
    async def owner(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.owner_id)

    @strawberry.field(description="Who opened it; null once that worker is removed.")
    async def created_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.created_by_id)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)


def statuses_of(status) -> tuple[str, ...] | None:
    """The statuses a list keeps, in a fixed order (its loaders' key); None: all. Takes the
    argument as the resolver gets it (enums) or as the look-ahead reads it (text; a literal
    single value not yet made a list)."""
    chosen = status if isinstance(status, list | tuple) else [] if status is None else [status]
    values = {s.value if isinstance(s, DealStatus) else s for s in chosen}
    return tuple(s.value for s in DealStatus if s.value in values) or None


def page_loader(loaders, statuses: tuple[str, ...] | None, first, after):
    """The loader of one kind of page of customers' deals (statuses, size, cursor), and
    that page."""
    page = q.NEWEST.request(first, after)

    async def batch(conn, principal, customer_ids):
        where = [q.T.c.tenant_id == principal.tenant_id, *q.status_conditions(statuses)]
        return await keyset.grouped_pages(
            conn, q.T, "customer_id", customer_ids, where, q.NEWEST, page
        )

    return loaders.custom(f"deals.page:{statuses}:{page.size}:{after}", batch), page


def count_loader(loaders, statuses: tuple[str, ...] | None):
    async def batch(conn, principal, customer_ids):
        conditions = q.status_conditions(statuses)
        return await keyset.counts(
            conn, q.T, "customer_id", principal.tenant_id, customer_ids, *conditions
        )

    return loaders.custom(f"deals.count:{statuses}", batch)


def summary_loader(loaders):
    return loaders.custom("deals.summary", q.summaries)


@strawberry.type(
    description="A customer's deals: what the Deals tab and the profile header show. Deals "
    "may be in several currencies: every sum is a list with one entry per currency."
)
class CustomerDeals:
    customer_id: Private[int]

    @strawberry.field(description="The deals, newest first; at most 100 a page (default 20).")
    async def all(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[
            list[DealStatus] | None,
            strawberry.argument(description="Only these statuses; null or empty: all."),
        ] = None,
    ) -> Connection[Deal]:
        statuses, loaders = statuses_of(status), info.context.loaders
        pages, _ = page_loader(loaders, statuses, first, after)
        found = await pages.load(self.customer_id)

        def count():
            return count_loader(loaders, statuses).load(self.customer_id)

        return connection(found, [kit.from_row(Deal, row) for row in found.rows], count)

    async def _sums(self, info: Info) -> dict:
        return await summary_loader(info.context.loaders).load(self.customer_id)

    @strawberry.field(description="Open deals (the tab's badge).")
    async def open_count(self, info: Info) -> int:
        return (await self._sums(info))["open_count"]

    @strawberry.field(description="sum of value of the open deals.")
    async def open_value(self, info: Info) -> list[Money]:
        return money((await self._sums(info))["open"])

    @strawberry.field(description="sum of value of the won deals.")
    async def won_value(self, info: Info) -> list[Money]:
        return money((await self._sums(info))["won"])

    @strawberry.field(
        description="sum of value * stage probability of the open deals (rounded half up to "
        "minor units)."
    )
    async def weighted_value(self, info: Info) -> list[Money]:
        return money((await self._sums(info))["weighted"])


@strawberry.type(description="One stage of the pipeline with the deals in it.")
class PipelineStage:
    stage: DealStage
    count: int = strawberry.field(description="Deals in the stage.")
    value: list[Money] = strawberry.field(description="sum of value, per currency.")
    weighted_value: list[Money] = strawberry.field(
        description="sum of value * the stage's probability, per currency (minor units, rounded)."
    )


@strawberry.type(description="The sales pipeline: every stage in order, with its deals summed.")
class DealPipeline:
    stages: list[PipelineStage]
    count: int = strawberry.field(description="Deals in all stages.")


load_deal = kit.node_loader(q.T, Deal)
load_stage = kit.tenant_node_loader(q.S, DealStage)
