"""Demo checklists: two templates (the first handed out by the tenant's first folder) and
lists for about a quarter of the demo customers, some finished, dated around the demo's
own clock (`core.demo.BASE`) so every seeding gives the same rows."""

import random
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.demo import BASE
from core.models import Folder, Worker
from plugins.checklists.models import (
    Checklist,
    ChecklistItem,
    ChecklistTemplate,
    ChecklistTemplateFolder,
)

TEMPLATES = (
    (
        "Onboarding",
        ["Welcome call", "Send contract", "Contract signed", "Set up billing", "First review"],
    ),
    ("Annual review", ["Book the meeting", "Review last year", "Agree on goals"]),
)
AD_HOC = ("Move to new address", ["Update address", "Confirm by email"])


async def seed(session: AsyncSession, tenant_id: int, customer_ids: list[int], seed: int):
    rng = random.Random(seed * 1009 + 60)
    workers = list(await session.scalars(select(Worker.id).where(Worker.tenant_id == tenant_id)))
    if not customer_ids or not workers:
        return
    template_ids = []
    for name, items in TEMPLATES:
        template = ChecklistTemplate(
            tenant_id=tenant_id, name=name, items=items, created_at=BASE, updated_at=BASE
        )
        session.add(template)
        await session.flush()
        template_ids.append(template.id)
    folder = await session.scalar(
        select(Folder.id).where(Folder.tenant_id == tenant_id).order_by(Folder.position, Folder.id)
    )
    if folder is not None:
        await session.execute(
            insert(ChecklistTemplateFolder.__table__).values(
                template_id=template_ids[0], folder_id=folder, tenant_id=tenant_id
            )
        )
    kinds = [(*TEMPLATES[0], template_ids[0]), (*TEMPLATES[1], template_ids[1]), (*AD_HOC, None)]
    items = []
    for customer_id in sorted(rng.sample(customer_ids, k=max(1, len(customer_ids) // 4))):
        name, texts, template_id = rng.choice(kinds)
        created = BASE - timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 600))
        done = rng.randint(0, len(texts))
        checklist = Checklist(
            tenant_id=tenant_id,
            customer_id=customer_id,
            template_id=template_id,
            name=name,
            item_count=len(texts),
            done_count=done,
            finished=int(done == len(texts)),
            created_by_id=rng.choice(workers),
            created_at=created,
            completed_at=created + timedelta(days=done) if done == len(texts) else None,
        )
        session.add(checklist)
        await session.flush()
        for position, text in enumerate(texts, 1):
            checked = position <= done
            items.append(
                {
                    "tenant_id": tenant_id,
                    "checklist_id": checklist.id,
                    "position": position,
                    "text": text,
                    "checked_by_id": rng.choice(workers) if checked else None,
                    "checked_at": created + timedelta(days=position) if checked else None,
                }
            )
    await session.execute(insert(ChecklistItem.__table__), items)
