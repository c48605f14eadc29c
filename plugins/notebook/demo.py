"""Demo notes for about a quarter of the demo customers, some pinned, some mentioning a
colleague, dated around the demo's own clock (`core.demo.BASE`) so every seeding gives the
same rows."""

import random
from datetime import timedelta

from sqlalchemy import insert, select

from core.demo import BASE
from core.models import Worker
from plugins.notebook.models import Note, NoteMention

BODIES = (
    "Prefers to be called in the **morning**, never after 5 pm.",
    "Asked about the yearly plan. Follow up after the holidays.",
    "Allergic to latex: use the *nitrile* gloves.",
    "Visit notes:\n\n- all good\n- next check in 6 months",
    "Pays by bank transfer only; send invoices to the office address.",
    "Referred by a friend, see [the referral form](https://example.com/referral).",
    "Needs a ride: book the appointment after 10 am.",
    "Wants the invoices in English.",
)
PINNED = ("**Important:** always confirm appointments by text.", "Do not call on weekends.")


async def seed(session, tenant_id: int, customer_ids: list[int], seed: int) -> None:
    rng = random.Random(seed * 1013 + 60)
    query = select(Worker.id).where(Worker.tenant_id == tenant_id).order_by(Worker.id)
    workers = list(await session.scalars(query))
    if not customer_ids or not workers:
        return
    notes, mentions = [], []
    for customer_id in sorted(rng.sample(customer_ids, k=max(1, len(customer_ids) // 4))):
        for _ in range(rng.choice((1, 1, 2, 3))):
            pinned = rng.random() < 0.15
            created = BASE - timedelta(days=rng.randint(0, 200), minutes=rng.randint(0, 600))
            edited = created + timedelta(hours=rng.randint(1, 48)) if rng.random() < 0.2 else None
            notes.append(
                dict(
                    tenant_id=tenant_id,
                    customer_id=customer_id,
                    author_id=rng.choice(workers),
                    body=rng.choice(PINNED if pinned else BODIES),
                    pinned=pinned,
                    created_at=created,
                    updated_at=edited or created,
                    edited_at=edited,
                )
            )
            mentions.append(rng.sample(workers, k=1) if rng.random() < 0.3 else [])
    returning = insert(Note.__table__).returning(Note.__table__.c.id, sort_by_parameter_order=True)
    ids = (await session.execute(returning, notes)).scalars().all()
    rows = [
        dict(note_id=note_id, worker_id=worker_id, tenant_id=tenant_id)
        for note_id, mentioned in zip(ids, mentions, strict=True)
        for worker_id in mentioned
    ]
    if rows:
        await session.execute(insert(NoteMention.__table__), rows)
