"""Demo payouts for about a sixth of the demo customers, in every status, dated around the
demo's own clock (`core.demo.BASE`) so every seeding gives the same rows. Created by a
manager or admin and approved by an owner or admin other than the creator, as the four-eyes
rule wants. Written directly; each payout that was sent emits the `payout.sent` (and one
that then failed the `payout.failed`) it emitted live, with the same balance entry, so the
customer's payments balance moves as it would have (`core/demo_events.py`)."""

import random
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import demo_events
from core.demo import BASE
from core.events import Event
from core.models import Worker
from plugins.payouts import service
from plugins.payouts.models import KINDS, METHODS, Payout

NOTES = {
    "REFUND": ("Refund for a cancelled visit.", "Overcharged in March.", None),
    "COMMISSION": ("Referral commission, Q4.", "Partner commission.", None),
    "REBATE": ("Loyalty rebate.", "Volume rebate for last year.", None),
    "OTHER": ("Goodwill gesture.", None),
}
# status, weight
STATUSES = (("PENDING", 3), ("APPROVED", 2), ("SENT", 6), ("FAILED", 1), ("CANCELLED", 1))


async def seed(session: AsyncSession, tenant_id: int, customer_ids: list[int], seed: int):
    rng = random.Random(seed * 1013 + 12)
    rows = (
        await session.execute(
            select(Worker.id, Worker.role).where(Worker.tenant_id == tenant_id).order_by(Worker.id)
        )
    ).all()
    makers = [w for w, role in rows if role in ("owner", "admin", "manager")]
    approvers = [w for w, role in rows if role in ("owner", "admin")]
    if not customer_ids or len(approvers) < 2 or not makers:
        return
    chosen = sorted(rng.sample(customer_ids, k=max(1, len(customer_ids) // 6)))
    payouts = []
    for customer_id in chosen:
        for _ in range(rng.choice((1, 1, 2, 3))):
            kind = rng.choice(KINDS)
            status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
            created = BASE - timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 600))
            maker = rng.choice(makers)
            approver = rng.choice([w for w in approvers if w != maker])
            approved = created + timedelta(hours=rng.randint(1, 48))
            sent = approved + timedelta(hours=rng.randint(1, 72))
            was_approved = status in ("APPROVED", "SENT", "FAILED") or (
                status == "CANCELLED" and rng.random() < 0.5
            )
            ended = sent + timedelta(days=rng.randint(1, 5))
            payouts.append(
                dict(
                    tenant_id=tenant_id,
                    customer_id=customer_id,
                    amount=rng.choice((1_500, 2_500, 4_990, 7_500, 12_000, 25_000)),
                    currency=rng.choices(("EUR", "GBP", "USD"), (6, 3, 1))[0],
                    kind=kind,
                    method=rng.choice(METHODS),
                    status=status,
                    reference=f"TRX-{rng.randint(100000, 999999)}"
                    if status in ("SENT", "FAILED")
                    else None,
                    note=rng.choice(NOTES[kind]),
                    reason={
                        "FAILED": "Bank returned it: account closed.",
                        "CANCELLED": "Duplicate.",
                    }.get(status),
                    created_by_id=maker,
                    approved_by_id=approver if was_approved else None,
                    created_at=created,
                    updated_at=ended if status in ("FAILED", "CANCELLED") else created,
                    approved_at=approved if was_approved else None,
                    sent_at=sent if status in ("SENT", "FAILED") else None,
                    failed_at=ended if status == "FAILED" else None,
                    cancelled_at=ended if status == "CANCELLED" else None,
                )
            )
    returning = insert(Payout.__table__).returning(
        Payout.__table__.c.id, sort_by_parameter_order=True
    )
    ids = (await session.execute(returning, payouts)).scalars().all()
    for pk, row in zip(ids, payouts, strict=True):
        if row["sent_at"] is not None:
            _moved(session, SimpleNamespace(**row, id=pk))


def _moved(session: AsyncSession, payout: SimpleNamespace) -> None:
    """The events that moved the customer's balance live, with the same balance entries:
    `payout.sent`, and for one that then failed `payout.failed` (`core/demo_events.py`
    hands them to payments after the demo data)."""
    moves = [("payout.sent", "APPROVED", "SENT", payout.sent_at, service.sent_entry(payout))]
    if payout.failed_at is not None:
        returned = service.returned_entry(payout)
        moves.append(("payout.failed", "SENT", "FAILED", payout.failed_at, returned))
    for name, old, new, at, entry in moves:
        data = service.event_data(payout, balance_entry=entry) | {"status": new, "from": old}
        event = Event(name, payout.tenant_id, payout.customer_id, data, payout.approved_by_id,
                      occurred_at=at)  # fmt: skip
        demo_events.emit(session, event)
