"""Demo messages for about a fifth of the demo customers: emails and texts both ways, as the
console provider leaves them (DELIVERED or READ; nothing goes to a network), dated around
the demo's own clock (`core.demo.BASE`) so every seeding gives the same rows. Two messages
from strangers wait in the unmatched inbox."""

import random
from datetime import timedelta

from sqlalchemy import insert, select

from core.demo import BASE
from core.models import Customer, Worker
from plugins.communications.models import Message

EMAILS = (
    ("Your appointment", "<p>Hello, this confirms your appointment on <b>Tuesday</b>.</p>"),
    ("Invoice", "<p>Please find the details of your invoice below. Thank you!</p>"),
    ("Question about my order", "<p>Hi, when will my order arrive?</p>"),
)
TEXTS = ("See you tomorrow at 10.", "Thanks, received!", "Can we move it to Friday?")
STRANGERS = (
    ("EMAIL", "jordan.lee@newmail.example", "Price list?", "<p>Could you send me prices?</p>"),
    ("SMS", "+15550109999", None, "Hi, are you open on Sundays?"),
)


async def seed(session, tenant_id: int, customer_ids: list[int], seed: int) -> None:
    rng = random.Random(seed * 1013 + 71)
    workers = list(
        await session.scalars(
            select(Worker.id).where(Worker.tenant_id == tenant_id).order_by(Worker.id)
        )
    )
    if not customer_ids or not workers:
        return
    chosen = sorted(rng.sample(customer_ids, k=max(1, len(customer_ids) // 5)))
    rows = await session.execute(
        select(Customer.id, Customer.emails, Customer.phones).where(Customer.id.in_(chosen))
    )
    messages = []
    for customer_id, emails, phones in rows:
        email = (emails or [{}])[0].get("value") or "customer@example.com"
        phone = (phones or [{}])[0].get("value") or "+15550100000"
        at = BASE - timedelta(days=rng.randint(1, 90))
        for n in range(rng.randint(2, 5)):
            inbound = rng.random() < 0.4
            channel = rng.choice(("EMAIL", "EMAIL", "SMS", "WHATSAPP"))
            address = email if channel == "EMAIL" else phone
            subject, body = rng.choice(EMAILS) if channel == "EMAIL" else (None, rng.choice(TEXTS))
            at += timedelta(hours=rng.randint(1, 72))
            messages.append(
                dict(
                    tenant_id=tenant_id,
                    customer_id=customer_id,
                    direction="INBOUND" if inbound else "OUTBOUND",
                    channel=channel,
                    provider="console",
                    provider_message_id=f"demo-{customer_id}-{n}",
                    from_address=address if inbound else None,
                    to_address=None if inbound else address,
                    subject=subject,
                    body=body,
                    status="DELIVERED" if inbound or rng.random() < 0.6 else "READ",
                    author_id=None if inbound else rng.choice(workers),
                    created_at=at,
                    updated_at=at,
                )
            )
    for n, (channel, sender, subject, body) in enumerate(STRANGERS):
        at = BASE - timedelta(hours=5 - n)
        messages.append(
            dict(
                tenant_id=tenant_id, customer_id=None, direction="INBOUND", channel=channel,
                provider="console", provider_message_id=f"demo-unmatched-{n}",
                from_address=sender, to_address=None, subject=subject, body=body,
                status="DELIVERED", author_id=None, created_at=at, updated_at=at,
            )
        )  # fmt: skip
    if messages:
        await session.execute(insert(Message.__table__), messages)
