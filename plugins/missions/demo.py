"""Demo missions for about a third of the demo customers, dated around the demo's own clock
(`core.demo.BASE`) so every seeding gives the same rows."""

import random
from datetime import time, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.demo import BASE
from core.models import Tenant, Worker
from plugins.missions.models import Mission, MissionAssignee
from plugins.missions.service import due_instant

TITLES = (
    "Call back about the offer",
    "Send the signed contract",
    "Prepare the quarterly review",
    "Check the insurance documents",
    "Book a follow-up visit",
    "Collect the missing invoice",
    "Update the contact details",
    "Welcome call for the new account",
)
# status, weight
STATUSES = (("OPEN", 5), ("IN_PROGRESS", 2), ("DONE", 4), ("CANCELLED", 1))


async def seed(session: AsyncSession, tenant_id: int, customer_ids: list[int], seed: int):
    rng = random.Random(seed * 1009 + 70)
    zone = await session.scalar(select(Tenant.time_zone).where(Tenant.id == tenant_id))
    workers = list(
        await session.scalars(
            select(Worker.id).where(Worker.tenant_id == tenant_id).order_by(Worker.id)
        )
    )
    if not customer_ids or not workers:
        return
    chosen = sorted(rng.sample(customer_ids, k=max(1, len(customer_ids) // 3)))
    missions, teams = [], []
    for customer_id in chosen:
        for _ in range(rng.choice((1, 1, 2, 3))):
            created = BASE - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600))
            status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
            due_on = (BASE + timedelta(days=rng.randint(-20, 30))).date()
            due_on = due_on if rng.random() < 0.8 else None
            due_time = (
                time(rng.choice((9, 11, 14, 16)), 0) if due_on and rng.random() < 0.5 else None
            )
            done = created + timedelta(hours=rng.randint(1, 300))
            missions.append(
                dict(
                    tenant_id=tenant_id,
                    customer_id=customer_id,
                    title=rng.choice(TITLES),
                    description=rng.choice((None, "Agreed on the phone.", "See the last email.")),
                    priority=rng.choices(range(4), (2, 5, 2, 1))[0],
                    status=status,
                    due_on=due_on,
                    due_time=due_time,
                    due_at=due_instant(due_on, due_time, zone or "UTC"),
                    created_by_id=rng.choice(workers),
                    completed_by_id=rng.choice(workers) if status == "DONE" else None,
                    completed_at=done if status == "DONE" else None,
                    created_at=created,
                    updated_at=done if status in ("DONE", "CANCELLED") else created,
                )
            )
            teams.append(rng.sample(workers, k=rng.choice((0, 1, 1, 2))))
    returning = insert(Mission.__table__).returning(
        Mission.__table__.c.id, sort_by_parameter_order=True
    )
    ids = (await session.execute(returning, missions)).scalars().all()
    links = [
        {"mission_id": mission_id, "worker_id": worker_id, "tenant_id": tenant_id}
        for mission_id, team in zip(ids, teams, strict=True)
        for worker_id in team
    ]
    if links:
        await session.execute(insert(MissionAssignee.__table__), links)
