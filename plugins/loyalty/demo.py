"""Demo loyalty for the demo tenant: a program, three tiers, four rewards, and a ledger for
about 40 % of the customers (earnings, a few redemptions, birthday bonuses, corrections),
dated around the demo's clock (`core.demo.BASE`) so every seeding gives the same rows. The
rows are written directly (no events: the demo is seeded before anyone listens), with the
accounts summed from them."""

import random
from datetime import timedelta

from sqlalchemy import insert

from core import records, schedules
from core.demo import BASE
from plugins.loyalty.jobs import DAILY
from plugins.loyalty.models import (
    NOT_LIFETIME,
    LoyaltyAccount,
    LoyaltyEntry,
    LoyaltyProgram,
    LoyaltyReward,
    LoyaltyTier,
)

TIERS = (
    ("Bronze", 0, "Member prices on every visit."),
    ("Silver", 500, "5 % off products, priority booking."),
    ("Gold", 2000, "10 % off products, a free check-up every year."),
)
REWARDS = (  # name, cost, stock, active
    ("Coffee voucher", 150, None, True),
    ("Free check-up", 800, 10, True),
    ("Gift box", 1500, 3, True),
    ("Summer special", 600, 0, False),
)


async def seed(session, tenant_id: int, customer_ids: list[int], seed: int) -> None:
    rng = random.Random(seed * 1009 + 77)
    program = {
        "earn_points": 1,
        "earn_per": 1,
        "currency": "EUR",
        "birthday_points": 100,
        "anniversary_points": 50,
        "expiry_months": 24,
        "updated_at": BASE,
    }
    await session.execute(  # enabling the module may have made the default one
        records.upsert(session, LoyaltyProgram.__table__)
        .values(tenant_id=tenant_id, **program)
        .on_conflict_do_update(index_elements=["tenant_id"], set_=program)
    )
    session.add_all(
        LoyaltyTier(tenant_id=tenant_id, name=n, threshold=t, benefits=b, created_at=BASE)
        for n, t, b in TIERS
    )
    rewards = [
        LoyaltyReward(
            tenant_id=tenant_id,
            name=name,
            points_cost=cost,
            stock=stock,
            active=active,
            redeemed_count=0,
            created_at=BASE,
            updated_at=BASE,
        )
        for name, cost, stock, active in REWARDS
    ]
    session.add_all(rewards)
    await session.flush()
    if not customer_ids:
        return
    chosen = sorted(rng.sample(customer_ids, k=max(1, len(customer_ids) * 4 // 10)))
    entries, accounts = [], []
    for customer_id in chosen:
        balance = lifetime = 0
        at = BASE - timedelta(days=rng.randint(200, 700))
        for n in range(rng.randint(1, 8)):
            at += timedelta(days=rng.randint(5, 60), hours=rng.randint(0, 8))
            kind, points, reason, reward = "EARN", rng.randint(20, 400), "Payment", None
            roll = rng.random()
            if roll < 0.1:
                kind, points, reason = "BIRTHDAY", 100, "Birthday"
            elif roll < 0.15:
                kind, points, reason = "ADJUST", rng.choice((25, 50, -20)), "Goodwill after a delay"
            elif roll < 0.3 and balance >= 150:
                kind, reason, reward = "REDEEM", "Coffee voucher", rewards[0].id
                points = -150
            if balance + points < 0:
                continue
            balance += points
            lifetime += 0 if kind in NOT_LIFETIME else points
            entries.append(
                {
                    "tenant_id": tenant_id,
                    "customer_id": customer_id,
                    "kind": kind,
                    "points": points,
                    "balance_after": balance,
                    "reason": reason,
                    "source_key": f"demo:{customer_id}:{n}",
                    "reward_id": reward,
                    "created_at": at,
                }
            )
        accounts.append(
            {
                "customer_id": customer_id,
                "tenant_id": tenant_id,
                "balance": balance,
                "lifetime_points": lifetime,
                "updated_at": at,
            }
        )
    redeemed = sum(1 for e in entries if e["kind"] == "REDEEM")
    rewards[0].redeemed_count = redeemed
    if entries:
        await session.execute(insert(LoyaltyEntry), entries)
    await session.execute(insert(LoyaltyAccount), accounts)
    await session.flush()
    await schedules.ensure(session, DAILY, tenant_id)  # the next midnight's tick
