"""Demo chats for about a sixth of the demo customers: a "General" thread, sometimes a second
one, a few messages between the tenant's workers, some mentioning a colleague, dated around
the demo's own clock (`core.demo.BASE`) so every seeding gives the same rows. Mentions are
of workers who see every customer (owners and admins), as the service demands."""

import random
from datetime import timedelta

from sqlalchemy import insert, select

from core.demo import BASE
from core.models import Worker
from plugins.chat.models import ChatMessage, ChatThread

LINES = (
    "Called them this morning, they want a quote by Friday.",
    "Can you check the last invoice? They say it was paid twice.",
    "Done, the refund went out today.",
    "They asked for you by name, can you call back?",
    "Meeting moved to Tuesday 10:00.",
    "Thanks! I'll take it from here.",
    "Heads-up: they are unhappy with the delivery time.",
    "Sent the contract, waiting for the signature.",
)
TOPICS = ("Renewal", "Complaint", "Onboarding")
SEE_ALL = ("owner", "admin")


async def seed(session, tenant_id: int, customer_ids: list[int], seed: int) -> None:
    rng = random.Random(seed * 1013 + 170)
    query = select(Worker.id, Worker.role).where(Worker.tenant_id == tenant_id).order_by(Worker.id)
    workers = (await session.execute(query)).all()
    if not customer_ids or not workers:
        return
    ids = [w.id for w in workers]
    mentionable = [w.id for w in workers if w.role in SEE_ALL] or ids[:1]
    for customer_id in sorted(rng.sample(customer_ids, k=max(1, len(customer_ids) // 6))):
        titles = ["General"] + ([rng.choice(TOPICS)] if rng.random() < 0.3 else [])
        for n, title in enumerate(titles):
            started = BASE - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600))
            thread_id = await session.scalar(
                insert(ChatThread.__table__)
                .values(
                    tenant_id=tenant_id,
                    customer_id=customer_id,
                    title=title,
                    is_default=n == 0,
                    created_by_id=rng.choice(ids),
                    created_at=started,
                )
                .returning(ChatThread.__table__.c.id)
            )
            rows = []
            for i in range(rng.randint(2, 6)):
                mention = [rng.choice(mentionable)] if rng.random() < 0.25 else []
                rows.append(
                    dict(
                        tenant_id=tenant_id,
                        customer_id=customer_id,
                        thread_id=thread_id,
                        author_id=rng.choice(ids),
                        body=rng.choice(LINES),
                        mention_ids=mention,
                        created_at=started + timedelta(minutes=17 * i),
                    )
                )
            await session.execute(insert(ChatMessage.__table__), rows)
