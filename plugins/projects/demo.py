"""A handful of demo projects, each linking two to five demo customers, with an owner and
members among the demo workers, in every status, dated around the demo's own clock
(`core.demo.BASE`) so every seeding gives the same rows."""

import random
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.demo import BASE
from core.models import Worker
from plugins.projects.models import Project, ProjectCustomer, ProjectMember

PROJECTS = (
    ("Office move", "ACTIVE", "New premises, furniture and network by the end of the quarter."),
    ("Website relaunch", "ACTIVE", "Shared design system for the partner sites."),
    ("Spring trade fair", "PLANNED", "Joint stand with our key accounts."),
    ("ERP migration", "ON_HOLD", "Waiting for the vendor's next release."),
    ("Loyalty pilot", "DONE", "Three-month pilot with selected customers."),
    ("Regional roadshow", "CANCELLED", None),
)


async def seed(session: AsyncSession, tenant_id: int, customer_ids: list[int], seed: int):
    rng = random.Random(seed * 7919 + 31)
    workers = list(
        await session.scalars(
            select(Worker.id).where(Worker.tenant_id == tenant_id).order_by(Worker.id)
        )
    )
    if not customer_ids or not workers:
        return
    links, members = [], []
    for position, (name, status, description) in enumerate(PROJECTS):
        start = (BASE - timedelta(days=rng.randint(10, 120))).date()
        created = BASE - timedelta(days=rng.randint(130, 200))
        project_id = await session.scalar(
            insert(Project.__table__)
            .values(
                tenant_id=tenant_id,
                name=name,
                description=description,
                status=status,
                start_date=start,
                due_date=start + timedelta(days=rng.randint(30, 180)),
                owner_id=workers[position % len(workers)],
                version=1 + position % 3,
                created_by_id=workers[0],
                created_at=created,
                updated_at=created + timedelta(days=rng.randint(1, 60)),
            )
            .returning(Project.__table__.c.id)
        )
        chosen = rng.sample(workers, k=min(len(workers), rng.randint(1, 3)))
        members += [
            {"tenant_id": tenant_id, "project_id": project_id, "worker_id": w} for w in chosen
        ]
        for customer_id in sorted(
            rng.sample(customer_ids, k=min(len(customer_ids), 2 + position % 4))
        ):
            links.append(
                {
                    "tenant_id": tenant_id,
                    "project_id": project_id,
                    "customer_id": customer_id,
                    "linked_by_id": workers[position % len(workers)],
                    "created_at": created + timedelta(hours=rng.randint(1, 48)),
                }
            )
    await session.execute(insert(ProjectMember.__table__), members)
    await session.execute(insert(ProjectCustomer.__table__), links)
