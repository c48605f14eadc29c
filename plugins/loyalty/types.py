"""Loyalty as GraphQL types. A customer's `loyalty` object reads its account and the
tenant's tiers through per-request loaders and its entries through the kit's per-customer
pages, so a list page costs the same statements whatever its length."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Private

from core import access
from plugins.loyalty import queries as q
from plugins.loyalty.ledger import E
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import to_global_id
from schema.relay import Connection, Node
from schema.team.types import Worker


@strawberry.enum(description="Why points moved.")
class LoyaltyEntryKind(Enum):
    EARN = "EARN"
    ADJUST = "ADJUST"
    REDEEM = "REDEEM"
    EXPIRE = "EXPIRE"
    BIRTHDAY = "BIRTHDAY"
    ANNIVERSARY = "ANNIVERSARY"
    REVERSAL = "REVERSAL"


@strawberry.type(
    description="The tenant's loyalty program. Earning: `earnPoints` for every `earnPer` "
    "whole units of the currency paid (minor units scaled by the currency's ISO-4217 "
    "exponent), rounded down per payment."
)
class LoyaltyProgram:
    earn_points: int = strawberry.field(description="0: payments earn nothing.")
    earn_per: int = strawberry.field(description="Whole currency units, e.g. 1 for 1.00 EUR.")
    currency: str | None = strawberry.field(
        description="Only payments in this currency earn; null: every currency alike."
    )
    birthday_points: int = strawberry.field(
        description="Granted on the customer's birthday (`dateOfBirth`), once a year."
    )
    anniversary_points: int = strawberry.field(
        description="Granted each year on the day the customer was created."
    )
    expiry_months: int | None = strawberry.field(
        description="Earned points expire after this many months, oldest first; null: never."
    )
    updated_at: datetime | None

    @classmethod
    def from_row(cls, row) -> "LoyaltyProgram":
        return kit.from_row(cls, row)


@strawberry.type(description="A level customers reach by their lifetime points.")
class LoyaltyTier(Node):
    name: str
    threshold: int = strawberry.field(description="Lifetime points needed.")
    benefits: str | None

    @classmethod
    def from_row(cls, row) -> "LoyaltyTier":
        return kit.from_row(cls, row)


@strawberry.type(description="Something customers redeem points for.")
class LoyaltyReward(Node):
    name: str
    description: str | None
    points_cost: int
    stock: int | None = strawberry.field(description="Units left; null: unlimited.")
    active: bool = strawberry.field(description="Only active rewards can be redeemed.")
    redeemed_count: int
    created_at: datetime

    @classmethod
    def from_row(cls, row) -> "LoyaltyReward":
        return kit.from_row(cls, row)


async def load_reward(info: Info, pk: int) -> LoyaltyReward | None:
    row = await kit.loader(info, "loyalty.rewards.by_id", q.rewards_by_ids).load(pk)
    return LoyaltyReward.from_row(row) if row else None


@strawberry.type(description="A line of a customer's points ledger; never changed.")
class LoyaltyEntry(Node):
    kind: LoyaltyEntryKind
    points: int = strawberry.field(description="Signed: what it added or took.")
    balance_after: int = strawberry.field(description="The balance right after it.")
    reason: str | None
    source_key: str = strawberry.field(
        description="Unique per business: `payment:<id>`, `refund:<id>`, "
        "`birthday:<customer>:<year>`, `adjust:<your key>`…"
    )
    created_at: datetime
    customer_id: Private[int]
    actor_id: Private[int | None]
    reward_id: Private[int | None]
    payment_ref: Private[int | None]

    @classmethod
    def from_row(cls, row) -> "LoyaltyEntry":
        return kit.from_row(cls, row)

    @strawberry.field(description="The payment it earned on or reversed (payments' id).")
    def payment_id(self) -> strawberry.ID | None:
        return None if self.payment_ref is None else to_global_id("Payment", self.payment_ref)

    @strawberry.field(description="Who made it; null for the system or a removed worker.")
    async def actor(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.actor_id)

    @strawberry.field(description="The reward a REDEEM entry paid for.")
    async def reward(self, info: Info) -> LoyaltyReward | None:
        return None if self.reward_id is None else await load_reward(info, self.reward_id)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)


def _viewing(load):
    """`node(id:)` shows loyalty rows only to workers who may open the Loyalty tab."""

    async def guarded(info: Info, pk: int):
        if not access.can(info.context.principal, "loyalty.view"):
            return None
        return await load(info, pk)

    return guarded


load_entry = _viewing(kit.node_loader(E, LoyaltyEntry))
load_tier = _viewing(kit.tenant_node_loader(q.T, LoyaltyTier))
load_reward_node = _viewing(load_reward)


@strawberry.type(description="The next tier up and what it takes.")
class LoyaltyNextTier:
    tier: LoyaltyTier
    points_needed: int = strawberry.field(description="Lifetime points still missing.")

    @strawberry.field
    def name(self) -> str:
        return self.tier.name


async def tenant_tiers(info: Info) -> list[dict]:
    return await kit.loader(info, "loyalty.tiers", q.tiers).load(info.context.principal.tenant_id)


@strawberry.type(description="A customer's points: what the Loyalty tab shows.")
class CustomerLoyalty:
    customer_id: Private[int]

    async def _account(self, info: Info) -> dict:
        return await kit.loader(info, "loyalty.accounts", q.accounts).load(self.customer_id)

    @strawberry.field(description="Points to spend (the tab's badge when positive).")
    async def balance(self, info: Info) -> int:
        return (await self._account(info))["balance"]

    @strawberry.field(description="Points earned in all (spent and expired ones included).")
    async def lifetime_points(self, info: Info) -> int:
        return (await self._account(info))["lifetime_points"]

    @strawberry.field(description="The highest tier the lifetime points reach; null: none.")
    async def tier(self, info: Info) -> LoyaltyTier | None:
        lifetime = (await self._account(info))["lifetime_points"]
        reached = [t for t in await tenant_tiers(info) if t["threshold"] <= lifetime]
        return LoyaltyTier.from_row(reached[-1]) if reached else None

    @strawberry.field(description="The next tier up; null at the top (or without tiers).")
    async def next_tier(self, info: Info) -> LoyaltyNextTier | None:
        lifetime = (await self._account(info))["lifetime_points"]
        above = [t for t in await tenant_tiers(info) if t["threshold"] > lifetime]
        if not above:
            return None
        return LoyaltyNextTier(
            tier=LoyaltyTier.from_row(above[0]), points_needed=above[0]["threshold"] - lifetime
        )

    @strawberry.field(description="The ledger, newest first; at most 100 a page (default 20).")
    async def entries(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[LoyaltyEntry]:
        return await kit.customer_list(
            info, "loyalty.entries", E, self.customer_id, q.NEWEST, first, after,
            LoyaltyEntry.from_row,
        )  # fmt: skip
