"""Demo time for about a third of the demo customers over the 60 days before the demo's
clock (`core.demo.BASE`), the workers' clocked sessions, and two timers running at BASE,
so the Working time tab, its badge and "working now" show something. Deterministic."""

import random
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.demo import BASE
from core.models import Worker
from plugins.working_time import queries as q

NOTES = (
    "Phone call",
    "Prepared the offer",
    "On-site visit",
    "Follow-up email",
    "Paperwork",
    None,
)
RATES = (None, 6000, 8500, 12000)


async def seed(session: AsyncSession, tenant_id: int, customer_ids: list[int], seed: int):
    rng = random.Random(seed * 1009 + 50)
    workers = list(
        await session.scalars(
            select(Worker.id).where(Worker.tenant_id == tenant_id).order_by(Worker.id)
        )
    )
    if not customer_ids or not workers:
        return
    zone = await q.tenant_zone(session, tenant_id)
    chosen = sorted(rng.sample(customer_ids, k=max(1, len(customer_ids) // 3)))
    entries = []
    for customer_id in chosen:
        for _ in range(rng.randint(1, 5)):
            start = BASE - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 480))
            seconds = rng.randint(1, 16) * 900
            billable, rate = rng.random() < 0.7, rng.choice(RATES)
            entries.append(
                _entry(tenant_id, customer_id, rng.choice(workers), start, zone)
                | {
                    "ended_at": start + timedelta(seconds=seconds),
                    "duration_seconds": seconds,
                    "note": rng.choice(NOTES),
                    "billable": billable,
                    "rate_minor": rate,
                    "currency": "EUR" if rate else None,
                    "amount_minor": (seconds * rate + 1800) // 3600 if billable and rate else None,
                }
            )
    for worker_id, customer_id in zip(workers[:2], chosen[:2], strict=False):
        entries.append(
            _entry(tenant_id, customer_id, worker_id, BASE - timedelta(minutes=25), zone)
        )
    await session.execute(insert(q.T), entries)
    sessions = []
    for worker_id in workers:
        for day in range(1, 15):
            start = BASE - timedelta(days=day, hours=rng.randint(0, 2))
            end = start + timedelta(hours=rng.randint(6, 9), minutes=rng.randint(0, 59))
            sessions.append(
                {
                    "tenant_id": tenant_id,
                    "worker_id": worker_id,
                    "started_at": start,
                    "ended_at": end,
                }
            )
    await session.execute(insert(q.S), sessions)


def _entry(tenant_id: int, customer_id: int, worker_id: int, start, zone) -> dict:
    """A running timer; logged entries add their end."""
    return {
        "tenant_id": tenant_id,
        "customer_id": customer_id,
        "worker_id": worker_id,
        "started_at": start,
        "ended_at": None,
        "work_date": start.astimezone(zone).date(),
        "duration_seconds": None,
        "note": None,
        "billable": True,
        "rate_minor": None,
        "currency": None,
        "amount_minor": None,
        "created_at": start,
        "updated_at": start,
    }
