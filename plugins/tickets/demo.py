"""Demo tickets for about a third of the demo customers, dated around the demo's own clock
(`core.demo.BASE`) so every seeding gives the same rows."""

import random
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.demo import BASE
from core.models import Worker
from plugins.tickets.models import FIRST_NUMBER, Ticket, TicketComment, TicketCounter

SUBJECTS = (
    "Invoice shows the wrong amount",
    "Cannot log in to the portal",
    "Appointment reminder never arrived",
    "Request to change the billing address",
    "Question about the last treatment",
    "Refund for a cancelled visit",
    "Insurance form is missing a stamp",
    "Wants a copy of their records",
    "Double charge on the card",
    "Complaint about waiting time",
)
REPLIES = (
    "Thanks for reaching out, we are looking into it.",
    "Could you send us a photo of the document?",
    "I have forwarded this to accounting.",
    "Called the customer, waiting for their answer.",
    "Fixed on our side, please check again.",
    "Customer confirmed everything is fine now.",
)
NOTES = ("Second time this month.", "VIP, handle with care.", "Check with Max before refunding.")
# status, weight
STATUSES = (("OPEN", 4), ("PENDING", 2), ("RESOLVED", 3), ("CLOSED", 3))


async def seed(session: AsyncSession, tenant_id: int, customer_ids: list[int], seed: int):
    rng = random.Random(seed * 1009 + 40)
    workers = list(
        await session.scalars(
            select(Worker.id).where(Worker.tenant_id == tenant_id).order_by(Worker.id)
        )
    )
    if not customer_ids or not workers:
        return
    chosen = sorted(rng.sample(customer_ids, k=max(1, len(customer_ids) * 3 // 10)))
    number = FIRST_NUMBER - 1
    tickets, threads = [], []
    for customer_id in chosen:
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            number += 1
            created = BASE - timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 600))
            status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
            done = created + timedelta(hours=rng.randint(2, 200))
            ticket = dict(
                tenant_id=tenant_id,
                customer_id=customer_id,
                number=number,
                subject=rng.choice(SUBJECTS),
                description=rng.choice((None, "Reported by phone.", "Came in by email.")),
                status=status,
                priority=rng.choices(range(4), (2, 5, 2, 1))[0],
                assignee_id=rng.choice((None, *workers)),
                opened_by_id=rng.choice(workers),
                due_at=created + timedelta(days=rng.randint(1, 400))
                if rng.random() < 0.6
                else None,
                created_at=created,
                updated_at=done if status in ("RESOLVED", "CLOSED") else created,
                resolved_at=done if status in ("RESOLVED", "CLOSED") else None,
                closed_at=done + timedelta(days=3) if status == "CLOSED" else None,
            )
            tickets.append(ticket)
            threads.append(rng.randint(0, 4))
    returning = insert(Ticket.__table__).returning(
        Ticket.__table__.c.id, sort_by_parameter_order=True
    )
    ids = (await session.execute(returning, tickets)).scalars().all()
    comments = []
    for ticket_id, ticket, length in zip(ids, tickets, threads, strict=True):
        at = ticket["created_at"]
        for _ in range(length):
            at += timedelta(minutes=rng.randint(5, 2000))
            internal = rng.random() < 0.25
            comments.append(
                {
                    "tenant_id": tenant_id,
                    "ticket_id": ticket_id,
                    "author_id": rng.choice(workers),
                    "body": rng.choice(NOTES if internal else REPLIES),
                    "internal": internal,
                    "created_at": at,
                }
            )
    if comments:
        await session.execute(insert(TicketComment.__table__), comments)
    await session.execute(
        insert(TicketCounter.__table__).values(tenant_id=tenant_id, last_number=number)
    )
