"""The `loyalty` field on Customer, the program, tiers and rewards, and the loyalty
mutations. Every mutation answers `userErrors` with codes; ids of another tenant look like
unknown ones."""

import datetime as dt
from datetime import timedelta

import strawberry
from strawberry import UNSET

from core import access, records, schedules
from core.errors import Problem
from plugins.loyalty import jobs, service
from plugins.loyalty import overview as look_ahead
from plugins.loyalty import queries as q
from plugins.loyalty.types import (
    CustomerLoyalty,
    LoyaltyEntry,
    LoyaltyProgram,
    LoyaltyReward,
    LoyaltyTier,
    load_reward,
    tenant_tiers,
)
from schema import kit, overview
from schema.compiled.customers import ModuleField
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.jobs import Job
from schema.payloads import DeletePayload, UserError, deleted, mutate, payload
from schema.relay import Connection

VIEW = "loyalty.view"


async def customer_loyalty(root: Customer, info: Info) -> CustomerLoyalty:
    access.require(info.context.principal, VIEW)
    want = overview.plan(info, "loyalty", look_ahead.make)
    if want is not None:
        await overview.read_once(info, "loyalty", root.pk, want, look_ahead.read)
    return CustomerLoyalty(customer_id=root.pk)


def _accounts(principal, customer_ids):
    return q.accounts_query(principal.tenant_id, customer_ids)


# What the compiled path covers: the account's two numbers and the tier (entries are a list).
COMPILED = {
    "balance": ("balance", "int", "0"),
    "lifetimePoints": ("lifetime_points", "int", "0"),
    "tier": ("tier", "json", None),
}


def compiled_loyalty(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`loyalty { balance lifetimePoints tier }` in the compiled path (`schema/compiled`):
    the accounts' select the resolvers' loader runs, per page; with `tier`, a row for every
    customer of the page (no account: 0 points, which may reach a tier)."""
    if not access.can(principal, VIEW) or not set(names) <= COMPILED.keys():
        return None
    if "tier" in names:
        return ModuleField(q.compiled_tiers, COMPILED)
    return ModuleField(_accounts, COMPILED)


async def loyalty_program(info: Info) -> LoyaltyProgram:
    access.require(info.context.principal, VIEW)
    row = await kit.loader(info, "loyalty.program", q.program).load(0)
    return LoyaltyProgram.from_row(row)


async def loyalty_tiers(info: Info) -> list[LoyaltyTier]:
    access.require(info.context.principal, VIEW)
    return [LoyaltyTier.from_row(r) for r in await tenant_tiers(info)]


async def loyalty_rewards(
    info: Info, first: int | None = None, after: str | None = None, active: bool | None = None
) -> Connection[LoyaltyReward]:
    principal = info.context.principal
    access.require(principal, VIEW)
    query = q.rewards_query(principal, active)
    return await kit.tenant_list(info, query, q.REWARDS, first, after, LoyaltyReward.from_row)


# --- mutations ----------------------------------------------------------------------------

LoyaltyProgramPayload = payload(LoyaltyProgram, "program")
LoyaltyTierPayload = payload(LoyaltyTier, "tier")
LoyaltyRewardPayload = payload(LoyaltyReward, "reward")


@strawberry.type(description="The entry written (or the first one, for a repeated key).")
class LoyaltyEntryPayload:
    entry: LoyaltyEntry | None
    loyalty: CustomerLoyalty | None = strawberry.field(description="The customer's points now.")
    user_errors: list[UserError]


@strawberry.type(description="The redemption's entry, the reward and the customer's points.")
class RedeemLoyaltyRewardPayload:
    entry: LoyaltyEntry | None
    reward: LoyaltyReward | None
    loyalty: CustomerLoyalty | None
    user_errors: list[UserError]


@strawberry.type(description="The job that grants the day's bonuses and expiries.")
class RunLoyaltyGrantsPayload:
    job: Job | None
    user_errors: list[UserError]


@strawberry.input(description="Only the members sent change.")
class ConfigureLoyaltyProgramInput:
    earn_points: int | None = strawberry.field(default=UNSET, description="0 to 10,000.")
    earn_per: int | None = strawberry.field(default=UNSET, description="1 to 1,000,000.")
    currency: str | None = strawberry.field(default=UNSET, description="null: any currency.")
    birthday_points: int | None = UNSET
    anniversary_points: int | None = UNSET
    expiry_months: int | None = strawberry.field(
        default=UNSET, description="1 to 120; null: points never expire."
    )


@strawberry.input
class CreateLoyaltyTierInput:
    name: str = strawberry.field(description="Unique, at most 100 characters.")
    threshold: int = strawberry.field(description="Lifetime points needed; unique.")
    benefits: str | None = None


@strawberry.input(description="Only the members sent change.")
class UpdateLoyaltyTierInput:
    id: strawberry.ID
    name: str | None = UNSET
    threshold: int | None = UNSET
    benefits: str | None = UNSET


@strawberry.input
class DeleteLoyaltyTierInput:
    id: strawberry.ID


@strawberry.input
class CreateLoyaltyRewardInput:
    name: str
    points_cost: int = strawberry.field(description="1 or more.")
    description: str | None = None
    stock: int | None = strawberry.field(default=None, description="null: unlimited.")
    active: bool = True


@strawberry.input(description="Only the members sent change; stock null: unlimited.")
class UpdateLoyaltyRewardInput:
    id: strawberry.ID
    name: str | None = UNSET
    description: str | None = UNSET
    points_cost: int | None = UNSET
    stock: int | None = UNSET
    active: bool | None = UNSET


@strawberry.input(description="A correction by hand (`loyalty.adjust`).")
class AdjustLoyaltyPointsInput:
    customer_id: strawberry.ID
    points: int = strawberry.field(description="Signed; the balance never goes below 0.")
    reason: str = strawberry.field(description="Required, at most 500 characters.")
    idempotency_key: str = strawberry.field(
        description="Unique per adjustment; sent again it writes nothing new and answers with "
        "the first entry; with other arguments it is refused (IDEMPOTENCY_KEY_REUSED)."
    )


@strawberry.input
class RedeemLoyaltyRewardInput:
    customer_id: strawberry.ID
    reward_id: strawberry.ID
    idempotency_key: str = strawberry.field(
        description="Unique per redemption; sent again it redeems nothing new."
    )


@strawberry.input(description="Grant a day's birthday and anniversary bonuses and expiries.")
class RunLoyaltyGrantsInput:
    date: dt.date = strawberry.field(description="The tenant's day: today or up to a year back.")
    idempotency_key: str


def _changes(input, keys) -> dict:
    return {k: getattr(input, k) for k in keys if getattr(input, k) is not UNSET}


async def configure_loyalty_program(
    info: Info, input: ConfigureLoyaltyProgramInput
) -> LoyaltyProgramPayload:
    keys = ("earn_points", "earn_per", "currency", "birthday_points", "anniversary_points")
    changes = _changes(input, (*keys, "expiry_months"))
    return await kit.save(
        info,
        LoyaltyProgramPayload,
        "program",
        LoyaltyProgram,
        lambda s, p: service.configure_program(s, p, changes),
    )


async def create_loyalty_tier(info: Info, input: CreateLoyaltyTierInput) -> LoyaltyTierPayload:
    changes = _changes(input, ("name", "threshold", "benefits"))
    work = lambda s, p: service.save_tier(s, p, None, changes)  # noqa: E731
    return await kit.save(info, LoyaltyTierPayload, "tier", LoyaltyTier, work)


async def update_loyalty_tier(info: Info, input: UpdateLoyaltyTierInput) -> LoyaltyTierPayload:
    tier_id, changes = (
        from_global_id(input.id, "LoyaltyTier"),
        _changes(input, ("name", "threshold", "benefits")),
    )
    work = lambda s, p: service.save_tier(s, p, tier_id, changes)  # noqa: E731
    return await kit.save(info, LoyaltyTierPayload, "tier", LoyaltyTier, work)


async def delete_loyalty_tier(info: Info, input: DeleteLoyaltyTierInput) -> DeletePayload:
    tier_id = from_global_id(input.id, "LoyaltyTier")
    return await deleted(info, input.id, lambda s, p: service.delete_tier(s, p, tier_id))


REWARD_KEYS = ("name", "description", "points_cost", "stock", "active")


async def create_loyalty_reward(
    info: Info, input: CreateLoyaltyRewardInput
) -> LoyaltyRewardPayload:
    changes = _changes(input, REWARD_KEYS)
    work = lambda s, p: service.save_reward(s, p, None, changes)  # noqa: E731
    return await kit.save(info, LoyaltyRewardPayload, "reward", LoyaltyReward, work)


async def update_loyalty_reward(
    info: Info, input: UpdateLoyaltyRewardInput
) -> LoyaltyRewardPayload:
    reward_id, changes = from_global_id(input.id, "LoyaltyReward"), _changes(input, REWARD_KEYS)
    work = lambda s, p: service.save_reward(s, p, reward_id, changes)  # noqa: E731
    return await kit.save(info, LoyaltyRewardPayload, "reward", LoyaltyReward, work)


async def adjust_loyalty_points(info: Info, input: AdjustLoyaltyPointsInput) -> LoyaltyEntryPayload:
    customer_id = from_global_id(input.customer_id, "Customer")

    def work(session, principal):
        return service.adjust_points(
            session, principal, customer_id, input.points, input.reason, input.idempotency_key
        )

    entry, errors = await mutate(info, work, "customerId")
    return LoyaltyEntryPayload(
        entry=LoyaltyEntry.from_row(entry) if entry else None,
        loyalty=CustomerLoyalty(customer_id=entry["customer_id"]) if entry else None,
        user_errors=errors,
    )


async def redeem_loyalty_reward(
    info: Info, input: RedeemLoyaltyRewardInput
) -> RedeemLoyaltyRewardPayload:
    customer_id = from_global_id(input.customer_id, "Customer")
    reward_id = from_global_id(input.reward_id, "LoyaltyReward")

    def work(session, principal):
        return service.redeem_reward(
            session, principal, customer_id, reward_id, input.idempotency_key
        )

    result, errors = await mutate(info, work, "customerId")
    if result is None:
        return RedeemLoyaltyRewardPayload(entry=None, reward=None, loyalty=None, user_errors=errors)
    entry, reward_id = result
    return RedeemLoyaltyRewardPayload(
        entry=LoyaltyEntry.from_row(entry),
        reward=await load_reward(info, reward_id),
        loyalty=CustomerLoyalty(customer_id=entry["customer_id"]),
        user_errors=[],
    )


async def run_loyalty_grants(info: Info, input: RunLoyaltyGrantsInput) -> RunLoyaltyGrantsPayload:
    async def work(session, principal):
        access.require(principal, service.CONFIGURE)
        problems: list[Problem] = []
        key = records.clean_text(
            input.idempotency_key, ("input", "idempotencyKey"), 150, problems, required=True
        )
        today = await jobs.today(session, principal.tenant_id)
        if not today - timedelta(days=366) <= input.date <= today:
            problems.append(
                Problem(("input", "date"), "Today or a day of the past year.", "INVALID")
            )
        records.fail_if(problems)
        job, _ = await schedules.run_now(
            session,
            jobs.DAILY,
            principal.tenant_id,
            key,
            principal.worker_id,
            payload={"day": input.date.isoformat()},
        )
        return job

    job, errors = await mutate(info, work)
    return RunLoyaltyGrantsPayload(job=Job.from_row(job) if job else None, user_errors=errors)


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_loyalty,
        name="loyalty",
        description="Loyalty module: the customer's points, tier and ledger.",
    )
]
QUERY_FIELDS = [
    strawberry.field(resolver=loyalty_program, description="The loyalty program's settings."),
    strawberry.field(resolver=loyalty_tiers, description="The tiers, lowest threshold first."),
    strawberry.field(
        resolver=loyalty_rewards,
        description="Rewards by name; `active` filters. At most 100 a page (default 20).",
    ),
]
MUTATION_FIELDS = [
    strawberry.mutation(
        resolver=configure_loyalty_program,
        description="Change the loyalty program (`loyalty.configure`).",
    ),
    strawberry.mutation(
        resolver=create_loyalty_tier, description="Add a tier (`loyalty.configure`)."
    ),
    strawberry.mutation(
        resolver=update_loyalty_tier, description="Change a tier (`loyalty.configure`)."
    ),
    strawberry.mutation(
        resolver=delete_loyalty_tier,
        description="Remove a tier; customers' tiers follow from the rest (`loyalty.configure`).",
    ),
    strawberry.mutation(
        resolver=create_loyalty_reward, description="Add a reward (`loyalty.configure`)."
    ),
    strawberry.mutation(
        resolver=update_loyalty_reward, description="Change a reward (`loyalty.configure`)."
    ),
    strawberry.mutation(
        resolver=adjust_loyalty_points,
        description="Add or take points by hand, with a reason (`loyalty.adjust`).",
    ),
    strawberry.mutation(
        resolver=redeem_loyalty_reward,
        description="Spend points on a reward: one unit of its stock and its cost, or "
        "INSUFFICIENT_POINTS / REWARD_OUT_OF_STOCK / REWARD_INACTIVE (`loyalty.redeem`).",
    ),
    strawberry.mutation(
        resolver=run_loyalty_grants,
        description="Run a day's bonuses and expiries now (a job; `loyalty.configure`). "
        "Bonuses are granted once per customer and year however often it runs.",
    ),
]
