"""Demo purchases for about two thirds of the demo customers, written as facts and turned
into figures by the same `service.refresh` the event handler runs. Dated back from today
(not the demo's fixed clock) so the analytics have recent buyers, new customers, regulars
and customers going quiet; the same seed on the same day gives the same rows."""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import utcnow
from plugins.purchases import service

PRODUCTS = (
    ("Consultation", 9_000),
    ("Annual plan", 49_000),
    ("Starter kit", 2_500),
    ("Maintenance visit", 12_000),
    ("Spare parts", 1_800),
    ("Training day", 35_000),
)
METHODS = (("CARD", 5), ("SEPA", 3), ("CASH", 2), ("PAYPAL", 2))
# how a customer buys: share, purchases, mean days between them
KINDS = (
    ("regular", 0.35, (3, 12), 45),
    ("big", 0.1, (2, 6), 60),
    ("once", 0.3, (1, 1), 0),
    ("new", 0.1, (1, 2), 8),
    ("quiet", 0.15, (3, 6), 20),
)


def _kind(rng: random.Random):
    roll, total = rng.random(), 0.0
    for kind in KINDS:
        total += kind[1]
        if roll < total:
            return kind
    return KINDS[0]


def _method(rng: random.Random) -> str:
    return rng.choices([m for m, _ in METHODS], [w for _, w in METHODS])[0]


def facts_for(rng: random.Random, customer_id: int, today: datetime) -> list[dict]:
    name, _, (low, high), gap = _kind(rng)
    count = rng.randint(low, high)
    if name == "new":
        start = today - timedelta(days=rng.randint(1, 25))
    elif name == "quiet":  # bought often, then stopped
        start = today - timedelta(days=rng.randint(300, 600))
    else:
        start = today - timedelta(days=rng.randint(30, 700))
    facts, moment = [], start
    for n in range(count):
        if moment > today:
            break
        lines = rng.sample(PRODUCTS, rng.randint(1, 3))
        products = [
            [product, rng.randint(1, 4 if price < 10_000 else 1)] for product, price in lines
        ]
        amount = sum(q * dict(PRODUCTS)[p] for p, q in products)
        if name == "big":
            amount *= 4
        key = f"demo:{customer_id}:{n}"
        facts.append(
            {"source": f"{key}:order", "kind": "order", "amount": amount, "currency": "EUR",
             "products": products, "purchase": True, "occurred_at": moment}
        )  # fmt: skip
        paid = moment + timedelta(days=rng.randint(0, 10))
        if paid <= today and rng.random() < 0.9:
            facts.append(
                {"source": f"{key}:payment", "kind": "payment", "amount": amount,
                 "currency": "EUR", "method": _method(rng), "occurred_at": paid}
            )  # fmt: skip
            if rng.random() < 0.06:
                facts.append(
                    {"source": f"{key}:refund", "kind": "refund", "amount": amount // 4,
                     "currency": "EUR", "occurred_at": paid + timedelta(days=3)}
                )  # fmt: skip
        if rng.random() < 0.05:
            facts.append(
                {"source": f"{key}:usd", "kind": "payment", "amount": rng.randint(50, 900) * 100,
                 "currency": "USD", "method": "CARD", "purchase": True, "occurred_at": moment}
            )  # fmt: skip
        step = max(1, int(rng.gauss(gap, gap / 3))) if gap else 0
        moment = moment + timedelta(days=step, hours=rng.randint(0, 8))
    if name == "quiet":  # nothing in the last months
        facts = [f for f in facts if f["occurred_at"] < today - timedelta(days=120)]
    return facts


async def seed(session: AsyncSession, tenant_id: int, customer_ids: list[int], seed: int):
    rng = random.Random(seed * 1009 + 70)
    now = utcnow()
    today = datetime(now.year, now.month, now.day, 9, tzinfo=UTC)
    found = {}
    for customer_id in customer_ids:
        if rng.random() < 0.35:
            continue
        facts = facts_for(rng, customer_id, today)
        if facts:
            found[customer_id] = facts
    await service.record_all(session, tenant_id, found)
