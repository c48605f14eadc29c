"""Demo activities for about 40% of the demo customers, dated before the demo's own clock
(`core.demo.BASE`) so every seeding gives the same rows."""

import random
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.demo import BASE
from core.models import Worker
from plugins.activities.models import Activity, search_text

# kind: (weight, titles, duration in minutes (None: none), has an outcome)
KINDS = {
    "CALL": (5, ("Follow-up about the invoice", "Intro call", "Reminder call"), (3, 30), True),
    "EMAIL": (
        4,
        ("Sent the quote", "Answered a question about prices", "Sent documents"),
        None,
        False,
    ),
    "MEETING": (2, ("First consultation", "Quarterly review", "On-site visit"), (30, 120), True),
    "NOTE": (3, ("Prefers mornings", "Allergic to latex", "Asked for a discount"), None, False),
    "TASK": (2, ("Prepared the contract", "Checked the insurance form"), (10, 60), False),
    "DEAL_UPDATE": (
        1,
        ("Upgraded to the premium plan", "Renewal agreed", "Lost to a competitor"),
        None,
        True,
    ),
}
DETAILS = (None, None, "Will call back next week.", "Spoke with the spouse as well.", "All fine.")


async def seed(session: AsyncSession, tenant_id: int, customer_ids: list[int], seed: int):
    rng = random.Random(seed * 1013 + 50)
    workers = list(
        await session.scalars(
            select(Worker.id).where(Worker.tenant_id == tenant_id).order_by(Worker.id)
        )
    )
    if not customer_ids or not workers:
        return
    chosen = sorted(rng.sample(customer_ids, k=max(1, len(customer_ids) * 4 // 10)))
    kinds, weights = list(KINDS), [w for w, *_ in KINDS.values()]
    rows = []
    for customer_id in chosen:
        for _ in range(rng.randint(1, 6)):
            kind = rng.choices(kinds, weights)[0]
            _, titles, minutes, judged = KINDS[kind]
            title, description = rng.choice(titles), rng.choice(DETAILS)
            occurred = BASE - timedelta(days=rng.randint(0, 180), minutes=rng.randint(0, 600))
            worker = rng.choice(workers)
            rows.append(
                dict(
                    tenant_id=tenant_id,
                    customer_id=customer_id,
                    kind=kind,
                    title=title,
                    description=description,
                    search_text=search_text(title, description),
                    occurred_at=occurred,
                    duration_seconds=rng.randint(*minutes) * 60 if minutes else None,
                    outcome=rng.choices(("POSITIVE", "NEUTRAL", "NEGATIVE"), (5, 3, 2))[0]
                    if judged
                    else None,
                    worker_id=worker,
                    created_by_id=worker if rng.random() < 0.8 else rng.choice(workers),
                    created_at=occurred + timedelta(minutes=rng.randint(1, 120)),
                    updated_at=occurred + timedelta(minutes=rng.randint(120, 240)),
                )
            )
    await session.execute(insert(Activity.__table__), rows)
