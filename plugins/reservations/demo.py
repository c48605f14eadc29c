"""Demo resources and reservations: four resources with opening hours, and about a third of
the customers with a few reservations within three weeks either side of the day the demo
is seeded (so some are always upcoming), inside opening hours and never beyond capacity."""

import random
from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import utcnow
from core.tenants import tenant_zone
from plugins.reservations.models import Reservation, ReservationResource
from plugins.reservations.service import local_instant

WEEKDAYS, WEEK = range(5), range(7)
# name, kind, capacity, days open, opens, closes (hours, the tenant's zone)
RESOURCES = (
    ("Meeting room A", "ROOM", 1, WEEKDAYS, 8, 18),
    ("Conference hall", "ROOM", 40, range(6), 9, 21),
    ("Projector", "EQUIPMENT", 2, WEEKDAYS, 8, 18),
    ("Table 4", "TABLE", 6, WEEK, 11, 23),
)
NOTES = ("Window seat, please.", "Needs a flip chart.", "Birthday.", None, None, None)


def _status(rng: random.Random, past: bool) -> str:
    roll = rng.random()
    if past:
        return "COMPLETED" if roll < 0.75 else "NO_SHOW" if roll < 0.85 else "CANCELLED"
    return "PENDING" if roll < 0.4 else "CONFIRMED" if roll < 0.9 else "CANCELLED"


async def seed(session: AsyncSession, tenant_id: int, customer_ids: list[int], seed: int) -> None:
    rng = random.Random(f"reservations-{seed}")
    now = utcnow()
    resources = []
    for name, kind, capacity, days, opens, closes in RESOURCES:
        hours = [{"weekday": d, "opens": opens * 60, "closes": closes * 60} for d in days]
        resource = ReservationResource(
            tenant_id=tenant_id,
            name=name,
            kind=kind,
            capacity=capacity,
            opening_hours=hours,
            active=True,
            version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(resource)
        resources.append((resource, days, opens, closes))
    await session.flush()
    zone = await tenant_zone(session, tenant_id)
    today = now.astimezone(zone).date()
    load: dict[tuple[int, int, int], int] = {}  # (resource, day, hour): party units held
    rows = []
    for customer_id in customer_ids:
        if rng.random() >= 0.3:
            continue
        for _ in range(rng.randint(1, 3)):
            resource, days, opens, closes = rng.choice(resources)
            offset = rng.randint(-21, 21)
            day = today + timedelta(days=offset)
            if day.weekday() not in days:
                continue
            hour = rng.randint(opens, closes - 1)
            length = min(rng.randint(1, 2), closes - hour)
            party = rng.randint(1, max(1, resource.capacity // 4))
            status = _status(rng, offset < 0)
            slots = [(resource.id, offset, h) for h in range(hour, hour + length)]
            holds = status in ("PENDING", "CONFIRMED")
            if holds and any(load.get(s, 0) + party > resource.capacity for s in slots):
                continue
            for s in slots if holds else ():
                load[s] = load.get(s, 0) + party
            rows.append(
                {
                    "tenant_id": tenant_id,
                    "customer_id": customer_id,
                    "resource_id": resource.id,
                    "start_at": local_instant(day, hour * 60, zone),
                    "end_at": local_instant(day, (hour + length) * 60, zone),
                    "party_size": party,
                    "note": rng.choice(NOTES),
                    "status": status,
                    "cancel_reason": "Plans changed." if status == "CANCELLED" else None,
                    "version": 1,
                    "created_by_id": None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    if rows:
        await session.execute(insert(Reservation), rows)
