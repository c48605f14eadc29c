"""Demo appointments: about a third of the customers get a few, a month either side of the
day the demo is seeded (so some are always upcoming), never double-booking a worker, and
some customers hold prepaid credits that their completed appointments used."""

import random
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Worker, utcnow
from plugins.appointments.models import Appointment, AppointmentCredit

LOCATIONS = ("Room 1", "Room 2", "Main office", "Video call", "At the customer's", None)
NOTES = (
    "First consultation.",
    "Follow-up on last visit.",
    "Bring the signed forms.",
    "Prefers mornings.",
    None,
    None,
)
REASONS = ("Customer is ill.", "Clash with another appointment.", "Asked to postpone.")


def _status(rng: random.Random, past: bool) -> str:
    roll = rng.random()
    if past:
        return "COMPLETED" if roll < 0.7 else "NO_SHOW" if roll < 0.8 else "CANCELLED"
    return "BOOKED" if roll < 0.5 else "CONFIRMED" if roll < 0.9 else "CANCELLED"


async def seed(session: AsyncSession, tenant_id: int, customer_ids: list[int], seed: int) -> None:
    rng = random.Random(f"appointments-{seed}")
    worker_ids = list(
        await session.scalars(
            select(Worker.id).where(Worker.tenant_id == tenant_id).order_by(Worker.id)
        )
    )
    if not worker_ids:
        return
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    taken: set[tuple[int, int, int]] = set()
    appointments, credits = [], []
    for customer_id in customer_ids:
        if rng.random() >= 0.3:
            continue
        balance = rng.choice((0, 0, 5, 10))
        if balance:
            credits.append((customer_id, balance, None))
        for _ in range(rng.randint(1, 4)):
            worker_id, day, hour = rng.choice(worker_ids), rng.randint(-30, 30), rng.randint(8, 17)
            if (worker_id, day, hour) in taken:
                continue
            taken.add((worker_id, day, hour))
            start = today + timedelta(days=day, hours=hour)
            status = _status(rng, day < 0)
            used = status == "COMPLETED" and balance > 0
            balance -= used
            appointments.append(
                {
                    "tenant_id": tenant_id,
                    "customer_id": customer_id,
                    "worker_id": worker_id,
                    "start_at": start,
                    "end_at": start + timedelta(minutes=rng.choice((30, 45, 60))),
                    "status": status,
                    "location": rng.choice(LOCATIONS),
                    "notes": rng.choice(NOTES),
                    "reminders": [{"minutesBefore": 1440}] if rng.random() < 0.5 else [],
                    "prepaid": used and rng.random() < 0.5,
                    "credit_used": used,
                    "cancel_reason": rng.choice(REASONS) if status == "CANCELLED" else None,
                    "created_at": start - timedelta(days=rng.randint(1, 20)),
                    "updated_at": start - timedelta(days=1),
                }
            )
            if used:
                credits.append((customer_id, -1, len(appointments) - 1))
    if not appointments:
        return
    ids = list(
        await session.scalars(
            insert(Appointment).returning(Appointment.id, sort_by_parameter_order=True),
            appointments,
        )
    )
    await session.execute(
        insert(AppointmentCredit),
        [
            {
                "tenant_id": tenant_id,
                "customer_id": customer_id,
                "change": change,
                "appointment_id": None if index is None else ids[index],
                "created_at": today - timedelta(days=40),
            }
            for customer_id, change, index in credits
        ],
    )
