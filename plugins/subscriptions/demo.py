"""Demo subscriptions: three plans and a subscription for about a fifth of the demo
customers, in every status, billed up to the seeding day (the billed periods are written as
the billing run would have, without events: the demo starts with its history, not with a
burst of invoices). The schedule's first tick is armed too."""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import schedules
from core.demo import BASE
from plugins.subscriptions.billing import invoice_request
from plugins.subscriptions.models import (
    ACTIVE,
    CANCELLED,
    ENDED,
    PAUSED,
    TRIALING,
    Subscription,
    SubscriptionPeriod,
    SubscriptionPlan,
)
from plugins.subscriptions.periods import shift
from plugins.subscriptions.service import BILLING

PLANS = (
    ("Basic care", 1900, "MONTH", 1, 0),
    ("Premium care", 4900, "MONTH", 1, 14),
    ("Family plan, yearly", 39000, "YEAR", 1, 30),
    ("Fortnightly check-up", 2500, "WEEK", 2, 0),
)
# status, weight
STATUSES = ((ACTIVE, 6), (TRIALING, 1), (PAUSED, 1), (CANCELLED, 1), (ENDED, 1))


def _state(plan: SubscriptionPlan, status: str, start, today) -> tuple[dict, list]:
    """The subscription's columns and billed (start, end) periods as of `today`."""
    trial_end = start + timedelta(days=plan.trial_days) if plan.trial_days else None
    if status == TRIALING:
        trial_end = today + timedelta(days=3)
        start = trial_end - timedelta(days=plan.trial_days or 7)
    anchor = trial_end or start
    periods = []
    n = 0
    while shift(anchor, plan.interval, plan.interval_count, n) <= today and status != TRIALING:
        periods.append(
            (
                shift(anchor, plan.interval, plan.interval_count, n),
                shift(anchor, plan.interval, plan.interval_count, n + 1),
            )
        )
        n += 1
    current = periods[-1] if periods else (start, anchor)
    return {
        "start_date": start,
        "trial_end": trial_end,
        "anchor_date": anchor,
        "periods_billed": n,
        "current_period_start": current[0],
        "current_period_end": current[1],
        "next_billing_date": current[1] if status in (ACTIVE, TRIALING, PAUSED) else None,
    }, periods


async def seed(session: AsyncSession, tenant_id: int, customer_ids: list[int], seed: int):
    rng = random.Random(seed * 1009 + 77)
    now = datetime.now(UTC)
    today = now.date()
    plans = []
    for name, amount, interval, count, trial in PLANS:
        plan = SubscriptionPlan(
            tenant_id=tenant_id, name=name, amount=amount, currency="EUR", interval=interval,
            interval_count=count, trial_days=trial, active=True, created_at=BASE, updated_at=BASE,
        )  # fmt: skip
        session.add(plan)
        plans.append(plan)
    await session.flush()
    statuses = [s for s, weight in STATUSES for _ in range(weight)]
    for customer_id in customer_ids:
        if rng.random() > 0.2:
            continue
        plan, status = rng.choice(plans), rng.choice(statuses)
        start = today - timedelta(days=rng.randint(0, 300))
        values, periods = _state(plan, status, start, today)
        sub = Subscription(
            tenant_id=tenant_id, customer_id=customer_id, plan_id=plan.id,
            quantity=rng.choice((1, 1, 1, 2, 3)), unit_amount=plan.amount, currency="EUR",
            status=status, cancel_at_period_end=status == ACTIVE and rng.random() < 0.15,
            idempotency_key=f"demo-{customer_id}", fingerprint="demo", created_at=now,
            updated_at=now, paused_at=now if status == PAUSED else None,
            cancelled_at=now if status == CANCELLED else None,
            ended_at=now if status in (CANCELLED, ENDED) else None, **values,
        )  # fmt: skip
        session.add(sub)
        await session.flush()
        rows = [
            {
                "tenant_id": tenant_id,
                "customer_id": customer_id,
                "subscription_id": sub.id,
                "period_start": first,
                "period_end": end,
                "quantity": sub.quantity,
                "unit_amount": sub.unit_amount,
                "currency": "EUR",
                "source": invoice_request(sub, plan, first, end)["source"],
                "billed_at": datetime.combine(first, now.timetz()),
            }
            for first, end in periods
        ]
        if rows:
            await session.execute(insert(SubscriptionPeriod), rows)
    await schedules.ensure(session, BILLING, tenant_id)
