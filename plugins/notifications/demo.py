"""A few notifications for the demo admin (the tenant's first owner or admin), some read,
dated around the demo's own clock (`core.demo.BASE`) so every seeding gives the same rows."""

import random
from datetime import timedelta

from sqlalchemy import insert, select

from core.demo import BASE
from core.models import Worker
from plugins.notifications.models import Notification

SAMPLES = (
    ("MENTION", "Sam mentioned you in a note", "Can you call them back this week?"),
    ("ASSIGNED_CUSTOMER", "A customer was assigned to you", None),
    ("ASSIGNED_MISSION", "A mission was assigned to you", None),
    ("RULE", "Rule: VIP customer waiting", "No answer for 2 days."),
    ("SYSTEM", "Nightly import finished", "120 customers updated."),
)


async def seed(session, tenant_id: int, customer_ids: list[int], seed: int) -> None:
    rng = random.Random(seed * 1013 + 71)
    admin = await session.scalar(
        select(Worker.id)
        .where(Worker.tenant_id == tenant_id, Worker.role.in_(("admin", "owner")))
        .order_by(Worker.role, Worker.id)
    )
    if admin is None:
        return
    rows = []
    for i, (kind, title, body) in enumerate(SAMPLES):
        created = BASE - timedelta(hours=rng.randint(1, 72) + 72 * (len(SAMPLES) - i))
        about = rng.choice(customer_ids) if customer_ids and kind != "SYSTEM" else None
        read = created + timedelta(minutes=30) if i < 2 else None
        rows.append(
            dict(
                tenant_id=tenant_id,
                worker_id=admin,
                kind=kind,
                title=title,
                body=body,
                customer_id=about,
                created_at=created,
                read_at=read,
            )
        )
    await session.execute(insert(Notification.__table__), rows)
