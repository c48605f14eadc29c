"""Plans, subscriptions and billed periods as GraphQL types. What hangs off a subscription
(its plan, customer, periods) loads through per-request loaders: a list page costs the same
whatever its length."""

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry import Private

from plugins.subscriptions import queries as q
from plugins.subscriptions.periods import describe
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.money import Money
from schema.relay import Connection, Node, connection


@strawberry.enum(description="The unit of a plan's billing interval.")
class SubscriptionInterval(Enum):
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"


@strawberry.enum(
    description="Where a subscription stands. TRIALING and ACTIVE are billed by the billing "
    "run (a trial's end starts the first paid period); PAUSED is not billed; CANCELLED "
    "(cancelled at once) and ENDED (ran out: cancelled at its period's end) are final."
)
class CustomerSubscriptionStatus(Enum):
    TRIALING = "TRIALING"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    CANCELLED = "CANCELLED"
    ENDED = "ENDED"


def _money(amount: int, currency: str) -> Money:
    return Money(amount=amount, currency=currency)


@strawberry.type(description="What a business sells by the period, at a fixed price.")
class SubscriptionPlan(Node):
    name: str
    price: Money = strawberry.field(description="Per period and unit; never changes.")
    interval: SubscriptionInterval
    interval_count: int = strawberry.field(description="Periods are intervalCount x interval.")
    trial_days: int = strawberry.field(description="Free days before the first paid period.")
    active: bool = strawberry.field(description="Whether it takes new subscribers.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row) -> "SubscriptionPlan":
        return kit.from_row(cls, row, price=_money(row["amount"], row["currency"]))


async def load_plan(info: Info, pk: int) -> SubscriptionPlan | None:
    row = await kit.loader(info, "subscriptions.plan_by_id", q.plans_by_ids).load(pk)
    return SubscriptionPlan.from_row(row) if row else None


@strawberry.type(description="A period billed by the billing run (one invoice request each).")
class SubscriptionPeriod(Node):
    period_start: date = strawberry.field(description="Its first day.")
    period_end: date = strawberry.field(description="The day after its last: the next's start.")
    quantity: int
    unit_price: Money
    amount: Money = strawberry.field(description="unitPrice x quantity.")
    source: str = strawberry.field(
        description='The invoice request\'s source: "subscriptions:<id>:<period start>".'
    )
    billed_at: datetime
    subscription_id: Private[int]

    @classmethod
    def from_row(cls, row) -> "SubscriptionPeriod":
        return kit.from_row(
            cls,
            row,
            unit_price=_money(row["unit_amount"], row["currency"]),
            amount=_money(row["unit_amount"] * row["quantity"], row["currency"]),
        )

    @strawberry.field(description="Its days as an invoice line shows them.")
    def label(self) -> str:
        return describe(self.period_start, self.period_end)

    @strawberry.field
    async def subscription(self, info: Info) -> "CustomerSubscription | None":
        return await load_subscription(info, self.subscription_id)


@strawberry.type(description="A customer's subscription to a plan.")
class CustomerSubscription(Node):
    status: CustomerSubscriptionStatus
    quantity: int
    unit_price: Money = strawberry.field(description="The plan's price when subscribed.")
    amount: Money = strawberry.field(description="What a period costs: unitPrice x quantity.")
    start_date: date
    trial_end: date | None = strawberry.field(description="The first paid day, after a trial.")
    current_period_start: date = strawberry.field(description="The trial's or paid period's.")
    current_period_end: date = strawberry.field(description="The day after its last day.")
    next_billing_date: date | None = strawberry.field(
        description="When the next period is billed (a trial: when it ends); null while "
        "paused, once cancelled or ended, or when set to cancel at its period's end."
    )
    cancel_at_period_end: bool
    created_at: datetime
    paused_at: datetime | None
    cancelled_at: datetime | None
    ended_at: datetime | None
    customer_id: Private[int]
    plan_id: Private[int]

    @classmethod
    def from_row(cls, row) -> "CustomerSubscription":
        billing = row["next_billing_date"]
        if row["cancel_at_period_end"] or row["status"] not in ("TRIALING", "ACTIVE"):
            billing = None
        return kit.from_row(
            cls,
            row,
            unit_price=_money(row["unit_amount"], row["currency"]),
            amount=_money(row["unit_amount"] * row["quantity"], row["currency"]),
            next_billing_date=billing,
        )

    @strawberry.field
    async def plan(self, info: Info) -> SubscriptionPlan | None:
        return await load_plan(info, self.plan_id)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)

    @strawberry.field(description="Billed periods, newest first; at most 100 a page.")
    async def periods(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[SubscriptionPeriod]:
        page = q.PERIOD_ORDER.request(first, after)

        async def batch(conn, principal, ids):
            return await q.period_pages(conn, principal, ids, page)

        found = await kit.loader(info, f"subscriptions.periods:{first}:{after}", batch).load(
            self.pk
        )

        def count():
            return kit.loader(info, "subscriptions.period_count", q.period_counts).load(self.pk)

        return connection(found, [SubscriptionPeriod.from_row(r) for r in found.rows], count)


load_subscription = kit.node_loader(q.T, CustomerSubscription)
load_period = kit.node_loader(q.PERIODS, SubscriptionPeriod)
