"""Loyalty writes from the API: the program, tiers and rewards (`loyalty.configure`),
manual adjustments (`loyalty.adjust`) and redemptions (`loyalty.redeem`), inside the
caller's transaction; everything wrong is reported at once and nothing is written.

Redemption is race-safe without a lock of its own: the customer's row is locked first (as
every write to a customer's records does, `core.customers.get_customer`), then the stock
goes down by a conditional UPDATE (`stock > 0`) and the balance by another (`balance >=
cost`, in `ledger.post`); a refused condition rolls the whole redemption back. On
PostgreSQL the row locks make concurrent redemptions of one reward or one customer wait for
each other; SQLite has one writer at a time."""

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, NotFound, Problem
from core.models import utcnow
from plugins.loyalty import jobs
from plugins.loyalty.ledger import E, post, program_of, recompute
from plugins.loyalty.models import LoyaltyEntry, LoyaltyReward, LoyaltyTier
from schema.ids import to_global_id
from schema.money import CURRENCY_RE

CONFIGURE, ADJUST, REDEEM = "loyalty.configure", "loyalty.adjust", "loyalty.redeem"
MAX_POINTS = 1_000_000_000
MAX_TIERS = 20
R = LoyaltyReward.__table__


def _text(value, field: str, limit: int, problems: list[Problem], required=False):
    return records.clean_text(value, ("input", field), limit, problems, required)


def _number(value, field: str, low: int, high: int, problems: list[Problem]) -> None:
    if value is not None and not low <= value <= high:
        problems.append(Problem(("input", field), f"From {low} to {high}.", "INVALID"))


# --- the program ----------------------------------------------------------------------


async def configure_program(session: AsyncSession, principal: Principal, changes: dict):
    """Only the keys of `changes` change; `currency` or `expiry_months` None clears them."""
    access.require(principal, CONFIGURE)
    problems: list[Problem] = []
    for key, field, low, high in (
        ("earn_points", "earnPoints", 0, 10_000),
        ("earn_per", "earnPer", 1, 1_000_000),
        ("birthday_points", "birthdayPoints", 0, MAX_POINTS),
        ("anniversary_points", "anniversaryPoints", 0, MAX_POINTS),
        ("expiry_months", "expiryMonths", 1, 120),
    ):
        if key in changes:
            if changes[key] is None and key != "expiry_months":
                problems.append(Problem(("input", field), "Give a number.", "REQUIRED"))
            _number(changes[key], field, low, high, problems)
    if changes.get("currency") is not None:
        changes["currency"] = changes["currency"].strip().upper()
        if not CURRENCY_RE.match(changes["currency"]):
            problems.append(
                Problem(("input", "currency"), "Use an ISO-4217 code like EUR.", "INVALID")
            )
    records.fail_if(problems)
    program = await program_of(session, principal.tenant_id)
    for key, value in changes.items():
        setattr(program, key, value)
    program.updated_at = utcnow()
    await session.flush()
    await jobs.keep_scheduled(session, principal.tenant_id)
    return program


# --- tiers ------------------------------------------------------------------------------


async def _tier(session, principal: Principal, tier_id: int) -> LoyaltyTier:
    tier = await session.scalar(
        select(LoyaltyTier)
        .where(LoyaltyTier.tenant_id == principal.tenant_id, LoyaltyTier.id == tier_id)
        .with_for_update()
    )
    if tier is None:
        raise NotFound("LoyaltyTier")
    return tier


async def _tier_clash(session, principal, tier_id, name, threshold, problems) -> None:
    for column, value, field, what in (
        (LoyaltyTier.name, name, "name", "name"),
        (LoyaltyTier.threshold, threshold, "threshold", "threshold"),
    ):
        if value is None:
            continue
        other = await session.scalar(
            select(LoyaltyTier.id).where(
                LoyaltyTier.tenant_id == principal.tenant_id,
                column == value,
                LoyaltyTier.id != (tier_id or 0),
            )
        )
        if other is not None:
            problems.append(Problem(("input", field), f"Another tier has this {what}.", "TAKEN"))


async def save_tier(session: AsyncSession, principal: Principal, tier_id, changes: dict):
    """A new tier (`tier_id` None: name and threshold required) or changes to one."""
    access.require(principal, CONFIGURE)
    tier = None if tier_id is None else await _tier(session, principal, tier_id)
    problems: list[Problem] = []
    values = {}
    if "name" in changes or tier is None:
        values["name"] = _text(changes.get("name"), "name", 100, problems, required=True)
    if "threshold" in changes or tier is None:
        if changes.get("threshold") is None:
            problems.append(Problem(("input", "threshold"), "Give a threshold.", "REQUIRED"))
        _number(changes.get("threshold"), "threshold", 0, MAX_POINTS, problems)
        values["threshold"] = changes.get("threshold")
    if "benefits" in changes:
        values["benefits"] = _text(changes["benefits"], "benefits", 2000, problems)
    if tier is None:
        count = len(
            (
                await session.scalars(
                    select(LoyaltyTier.id).where(LoyaltyTier.tenant_id == principal.tenant_id)
                )
            ).all()
        )
        if count >= MAX_TIERS:
            problems.append(Problem(("input",), f"At most {MAX_TIERS} tiers.", "TOO_MANY"))
    await _tier_clash(
        session, principal, tier_id, values.get("name"), values.get("threshold"), problems
    )
    records.fail_if(problems)
    if tier is None:
        tier = LoyaltyTier(tenant_id=principal.tenant_id, created_at=utcnow(), **values)
        session.add(tier)
    else:
        for key, value in values.items():
            setattr(tier, key, value)
    await session.flush()
    return tier


async def delete_tier(session: AsyncSession, principal: Principal, tier_id: int) -> int:
    access.require(principal, CONFIGURE)
    tier = await _tier(session, principal, tier_id)
    await session.delete(tier)
    await session.flush()
    return tier_id


# --- rewards ----------------------------------------------------------------------------


async def save_reward(session: AsyncSession, principal: Principal, reward_id, changes: dict):
    """A new reward (`reward_id` None: name and cost required) or changes to one. Stock
    null is unlimited; a reward is retired by making it inactive (its redemptions stay)."""
    access.require(principal, CONFIGURE)
    reward = None
    if reward_id is not None:
        reward = await session.scalar(
            select(LoyaltyReward)
            .where(LoyaltyReward.tenant_id == principal.tenant_id, LoyaltyReward.id == reward_id)
            .with_for_update()
        )
        if reward is None:
            raise NotFound("LoyaltyReward")
    problems: list[Problem] = []
    values = {}
    if "name" in changes or reward is None:
        values["name"] = _text(changes.get("name"), "name", 200, problems, required=True)
    if "description" in changes:
        values["description"] = _text(changes["description"], "description", 2000, problems)
    if "points_cost" in changes or reward is None:
        if changes.get("points_cost") is None:
            problems.append(Problem(("input", "pointsCost"), "Give a cost.", "REQUIRED"))
        _number(changes.get("points_cost"), "pointsCost", 1, MAX_POINTS, problems)
        values["points_cost"] = changes.get("points_cost")
    if "stock" in changes:
        _number(changes["stock"], "stock", 0, MAX_POINTS, problems)
        values["stock"] = changes["stock"]
    if "active" in changes:
        if changes["active"] is None:
            problems.append(Problem(("input", "active"), "true or false.", "REQUIRED"))
        values["active"] = changes["active"]
    records.fail_if(problems)
    now = utcnow()
    if reward is None:
        reward = LoyaltyReward(
            tenant_id=principal.tenant_id,
            redeemed_count=0,
            active=values.pop("active", True),
            created_at=now,
            updated_at=now,
            **values,
        )
        session.add(reward)
    else:
        for key, value in values.items():
            setattr(reward, key, value)
        reward.updated_at = now
    await session.flush()
    return reward


# --- points -----------------------------------------------------------------------------


def _key(value, problems: list[Problem]) -> str | None:
    return _text(value, "idempotencyKey", 200, problems, required=True)


async def _replay(session, principal, key: str, customer_id: int, **same):
    """The entry an earlier request with this key wrote, if it asked for the same thing;
    another request's key is IDEMPOTENCY_KEY_REUSED."""
    row = (
        (
            await session.execute(
                select(*E.c).where(E.c.tenant_id == principal.tenant_id, E.c.source_key == key)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    if row["customer_id"] != customer_id or any(row[k] != v for k, v in same.items()):
        raise records.key_reused("change")
    return dict(row)


async def adjust_points(
    session: AsyncSession, principal: Principal, customer_id: int, points: int, reason, key
) -> dict:
    """A correction by hand, with its reason; it never takes the balance below zero."""
    access.require(principal, ADJUST)
    problems: list[Problem] = []
    if points == 0 or not -MAX_POINTS <= points <= MAX_POINTS:
        problems.append(Problem(("input", "points"), "A non-zero number of points.", "INVALID"))
    reason = _text(reason, "reason", 500, problems, required=True)
    key = _key(key, problems)
    records.fail_if(problems)
    customer = await get_customer(session, principal, customer_id)
    source = f"adjust:{key}"
    done = await _replay(session, principal, source, customer.id, kind="ADJUST", points=points)
    if done is not None:
        return done
    entry = await post(
        session,
        principal.tenant_id,
        customer.id,
        "ADJUST",
        points,
        source,
        actor_id=principal.worker_id,
        at_least=0 if points < 0 else None,
        reason=reason,
    )
    if entry is None:  # the same key, for another customer, committed a moment ago
        return await _replay(session, principal, source, customer.id, kind="ADJUST", points=points)
    return entry


async def redeem_reward(
    session: AsyncSession, principal: Principal, customer_id: int, reward_id: int, key
) -> tuple[dict, int]:
    """(the REDEEM entry, the reward's id): one unit of stock and its cost in points."""
    access.require(principal, REDEEM)
    problems: list[Problem] = []
    key = _key(key, problems)
    records.fail_if(problems)
    customer = await get_customer(session, principal, customer_id)
    source = f"redeem:{key}"
    done = await _replay(session, principal, source, customer.id, reward_id=reward_id)
    if done is not None:
        return done, reward_id
    reward = (
        await session.execute(
            select(R.c.name, R.c.points_cost, R.c.active).where(
                R.c.tenant_id == principal.tenant_id, R.c.id == reward_id
            )
        )
    ).first()
    if reward is None:
        raise InvalidInput.one(("input", "rewardId"), "Reward not found.", "NOT_FOUND")
    if not reward.active:
        raise InvalidInput.one(
            ("input", "rewardId"), f"{reward.name} cannot be redeemed now.", "REWARD_INACTIVE"
        )
    taken = await session.execute(
        update(R)
        .where(R.c.id == reward_id, (R.c.stock.is_(None)) | (R.c.stock > 0))
        .values(stock=R.c.stock - 1, redeemed_count=R.c.redeemed_count + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise InvalidInput.one(
            ("input", "rewardId"), f"{reward.name} is out of stock.", "REWARD_OUT_OF_STOCK"
        )
    entry = await post(
        session,
        principal.tenant_id,
        customer.id,
        "REDEEM",
        -reward.points_cost,
        source,
        actor_id=principal.worker_id,
        at_least=0,
        field=("input", "rewardId"),
        reason=reward.name,
        reward_id=reward_id,
    )
    if entry is None:
        await _replay(session, principal, source, customer.id, reward_id=reward_id)
        raise InvalidInput.one(  # same customer and reward, committed a moment ago
            ("input", "idempotencyKey"), "Redeemed already; ask again.", "IDEMPOTENCY_KEY_REUSED"
        )
    await records.emit(
        session,
        principal,
        "loyalty.reward_redeemed",
        customer.id,
        rewardId=to_global_id("LoyaltyReward", reward_id),
        entryId=to_global_id("LoyaltyEntry", entry["id"]),
        points=reward.points_cost,
        title=reward.name,
    )
    return entry, reward_id


# --- the module and the customer's life -----------------------------------------------------


async def enabled(session: AsyncSession, tenant_id: int) -> None:
    """The program row with its defaults, and the daily job's chain."""
    await program_of(session, tenant_id)
    await jobs.keep_scheduled(session, tenant_id)


async def merge(session: AsyncSession, tenant_id: int, source_id: int, target_id: int) -> None:
    """The source's entries follow to the target and the target's account becomes the sum of
    both (recomputed from the entries, which is the same). Undoing the merge moves the
    entries back (`core/merge_undo.py`) and `merge_undone` recomputes both accounts."""
    await records.move_to_customer(session, tenant_id, source_id, target_id, LoyaltyEntry)
    await recompute(session, tenant_id, target_id)
    await recompute(session, tenant_id, source_id)


async def merge_undone(session: AsyncSession, event) -> None:
    source_id = event.data["sourceId"]
    for customer_id in (event.customer_id, source_id):
        if isinstance(customer_id, int):
            await recompute(session, event.tenant_id, customer_id)
