"""Demo rows: a few providers, policies for about a third of the customers, and claims in
every state of the workflow. Deterministic for a seed; dated around the demo's `BASE`."""

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.demo import BASE
from plugins.insurance.models import InsuranceClaim, InsurancePolicy, InsuranceProvider

PROVIDERS = (
    ("Northwind Mutual", "+44 20 7946 0100", "claims@northwind-mutual.example"),
    ("Harbor Health Insurance", "+44 161 496 0200", "service@harbor-health.example"),
    ("Alpine Assurance", None, "hello@alpine-assurance.example"),
    ("Meridian Life & Casualty", "+44 113 496 0300", None),
)
COVERS = (
    ("Home contents", 5_000_000),
    ("Private health", 20_000_000),
    ("Travel", 1_000_000),
    ("Car, comprehensive", 3_000_000),
    ("Professional liability", 50_000_000),
    ("Pet", 800_000),
)
INCIDENTS = (
    "Water damage in the kitchen",
    "Hospital stay after a fall",
    "Lost luggage",
    "Windscreen replaced",
    "Theft of a laptop",
    "Emergency vet visit",
)
STATUSES = ("SUBMITTED", "IN_REVIEW", "APPROVED", "REJECTED", "PAID")
STATUS_WEIGHTS = (2, 2, 1.5, 1.5, 3)


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(9), tzinfo=UTC) + timedelta(minutes=rng.randint(0, 480))


def _policy(rng: random.Random, tenant_id: int, customer_id: int, provider_id: int, n: int):
    cover, limit = rng.choice(COVERS)
    start = BASE.date() - timedelta(days=rng.randint(0, 700))
    end = start + timedelta(days=365 * rng.choice((1, 1, 2)) - 1)
    yearly = rng.random() < 0.4
    premium = limit // rng.randint(150, 400)
    cancelled = None
    if rng.random() < 0.08:
        cancelled = _at(start + (min(end, BASE.date()) - start) / 2, rng)
    return InsurancePolicy(
        tenant_id=tenant_id,
        customer_id=customer_id,
        provider_id=provider_id,
        number=f"P-{rng.randint(100_000, 999_999)}-{n}",
        coverage_description=cover,
        coverage_amount=limit,
        coverage_currency="GBP",
        premium_amount=premium if yearly else premium // 12,
        premium_currency="GBP",
        premium_period="YEARLY" if yearly else "MONTHLY",
        start_date=start,
        end_date=end,
        status="ACTIVE" if cancelled is None else "CANCELLED",
        cancelled_at=cancelled,
        created_at=_at(start, rng),
    )


def _claims(rng: random.Random, policy: InsurancePolicy) -> list[dict]:
    last_day = min(policy.end_date, BASE.date())
    if policy.cancelled_at is not None:
        last_day = min(last_day, policy.cancelled_at.date())
    rows = []
    for _ in range(rng.randint(1, 3)):
        incident = policy.start_date + timedelta(
            days=rng.randint(0, (last_day - policy.start_date).days)
        )
        status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
        submitted = _at(incident + timedelta(days=rng.randint(1, 10)), rng)
        decided = submitted + timedelta(days=rng.randint(3, 30))
        claimed = rng.randint(50, 5_000) * 100
        approved = min(claimed, policy.coverage_amount) * rng.choice((50, 80, 100)) // 100
        rows.append(
            {
                "tenant_id": policy.tenant_id,
                "customer_id": policy.customer_id,
                "policy_id": policy.id,
                "incident_date": incident,
                "description": rng.choice(INCIDENTS),
                "currency": policy.coverage_currency,
                "claimed_amount": claimed,
                "approved_amount": approved if status in ("APPROVED", "PAID") else None,
                "status": status,
                "note": "Receipts checked." if status in ("APPROVED", "PAID") else None,
                "submitted_at": submitted,
                "decided_at": decided if status in ("APPROVED", "REJECTED", "PAID") else None,
                "paid_at": decided + timedelta(days=5) if status == "PAID" else None,
                "updated_at": submitted,
            }
        )
    return rows


async def seed(session: AsyncSession, tenant_id: int, customer_ids: list[int], seed: int) -> None:
    rng = random.Random(f"insurance-{seed}")
    providers = [
        InsuranceProvider(tenant_id=tenant_id, name=name, phone=phone, email=email)
        for name, phone, email in PROVIDERS
    ]
    session.add_all(providers)
    await session.flush()
    policies = []
    for customer_id in customer_ids:
        if rng.random() < 0.3:
            for _ in range(rng.choice((1, 1, 1, 2))):
                provider_id = rng.choice(providers).id
                policies.append(_policy(rng, tenant_id, customer_id, provider_id, len(policies)))
    session.add_all(policies)
    await session.flush()
    claims = [row for p in policies if rng.random() < 0.5 for row in _claims(rng, p)]
    if claims:
        await session.execute(insert(InsuranceClaim), claims)
