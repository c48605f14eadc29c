"""A realistic pipeline for the demo tenant: the default stages and deals for about 30% of
the demo customers, spread over every stage (most of them open), dated around the demo's own
clock (`core.demo.BASE`) so every seeding gives the same rows."""

import random
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.demo import BASE
from core.models import Worker
from plugins.deals.models import Deal
from plugins.deals.service import ensure_default_stages

NAMES = (
    "Annual maintenance contract",
    "Website redesign",
    "Team training, 2 days",
    "Premium plan upgrade",
    "Office equipment refresh",
    "Renewal for next year",
    "Pilot project",
    "Consulting retainer",
    "Extra licences",
    "Spring campaign",
)
LOST_REASONS = (
    "Went with a cheaper competitor.",
    "Budget frozen until next year.",
    "No answer after three follow-ups.",
    "Decided to do it in-house.",
)
# stage position -> weight: most deals are still in the early stages
WEIGHTS = (5, 4, 3, 2, 3, 2)
CURRENCIES = (("EUR", 17), ("USD", 2), ("GBP", 1))


async def seed(session: AsyncSession, tenant_id: int, customer_ids: list[int], seed: int):
    rng = random.Random(seed * 1019 + 60)
    stages = await ensure_default_stages(session, tenant_id)
    workers = list(
        await session.scalars(
            select(Worker.id).where(Worker.tenant_id == tenant_id).order_by(Worker.id)
        )
    )
    if not customer_ids or not workers:
        return
    chosen = sorted(rng.sample(customer_ids, k=max(1, len(customer_ids) * 3 // 10)))
    codes, code_weights = zip(*CURRENCIES, strict=True)
    rows = []
    for customer_id in chosen:
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            position = rng.choices(range(len(stages)), WEIGHTS[: len(stages)])[0]
            stage = stages[position]
            created = BASE - timedelta(days=rng.randint(5, 200), minutes=rng.randint(0, 600))
            moved = created + timedelta(days=rng.randint(1, 4) * (position + 1))
            updated = min(moved, BASE - timedelta(hours=1))
            worker = rng.choice(workers)
            rows.append(
                dict(
                    tenant_id=tenant_id,
                    customer_id=customer_id,
                    stage_id=stage.id,
                    name=rng.choice(NAMES),
                    amount=rng.randrange(500, 50_000, 50) * 100,
                    currency=rng.choices(codes, code_weights)[0],
                    status=stage.kind,
                    expected_close_date=(BASE + timedelta(days=rng.randint(-20, 120))).date(),
                    owner_id=worker if rng.random() < 0.9 else None,
                    lost_reason=rng.choice(LOST_REASONS) if stage.kind == "LOST" else None,
                    won_at=updated if stage.kind == "WON" else None,
                    lost_at=updated if stage.kind == "LOST" else None,
                    version=1 + min(position, 4),
                    created_by_id=worker,
                    created_at=created,
                    updated_at=updated,
                )
            )
    await session.execute(insert(Deal.__table__), rows)
