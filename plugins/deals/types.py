"""Deals, stages and the figures built from them as GraphQL types. A deal's stage, owner
and customer load through per-request loaders (the stages once per request), so a page
costs the same whatever its length."""

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry import Private

from plugins.deals import queries as q
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.money import Money
from schema.relay import Node
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


@strawberry.type(
    description="A customer's deals in figures (the profile header). Deals may be in "
    "several currencies: every sum is a list with one entry per currency."
)
class DealSummary:
    open_count: int = strawberry.field(description="Open deals (the tab's badge).")
    sums: Private[dict]

    @strawberry.field(description="sum of value of the open deals.")
    def open_value(self) -> list[Money]:
        return money(self.sums["open"])

    @strawberry.field(description="sum of value of the won deals.")
    def won_value(self) -> list[Money]:
        return money(self.sums["won"])

    @strawberry.field(
        description="sum of value * stage probability of the open deals (rounded to minor units)."
    )
    def weighted_value(self) -> list[Money]:
        return money(self.sums["weighted"])


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
