"""Two boards for the demo tenant: a sales pipeline (the customers with a lead source, a few
hundred cards) and an onboarding flow (the "Active Clients" folder, whose last column sets
the folder status to Active on drop), each with coloured columns, the agents assigned, and
most cards placed in a column (the rest wait in the first, as new members do)."""

import random

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import ranks
from core.models import Customer, CustomerFolder, Folder, Status, Worker, utcnow
from plugins.flow.models import Flow, FlowColumn, FlowPosition, FlowWorker

SOURCES = ("Website", "Referral", "Google Ads", "Trade show", "Cold call", "Instagram")
SALES = (
    ("New", "#94a3b8"),
    ("Contacted", "#60a5fa"),
    ("Proposal sent", "#a855f7"),
    ("Negotiation", "#f59e0b"),
    ("Won", "#22c55e"),
)
ONBOARDING = (
    ("Welcome call", "#38bdf8"),
    ("Account set up", "#6366f1"),
    ("Training", "#f97316"),
    ("Live", "#16a34a"),
)


async def _flow(session, tenant_id: int, name: str, columns, workers, **definition) -> list[int]:
    now = utcnow()
    flow = Flow(tenant_id=tenant_id, name=name, created_at=now, updated_at=now, **definition)
    session.add(flow)
    await session.flush()
    made = []
    for position, (column, color) in enumerate(columns):
        made.append(
            FlowColumn(
                tenant_id=tenant_id,
                flow_id=flow.id,
                name=column,
                color=color,
                position=position,
                on_drop={},
            )
        )
    session.add_all(made)
    session.add_all(FlowWorker(flow_id=flow.id, worker_id=w, tenant_id=tenant_id) for w in workers)
    await session.flush()
    flow.default_column_id = made[0].id
    return flow.id, made


async def _place(session, tenant_id, flow_id, columns, members, rng) -> None:
    """About three in four members placed, spread over the columns (fewer further on)."""
    by_column: dict[int, list[int]] = {c.id: [] for c in columns}
    weights = list(range(len(columns) + 1, 1, -1))
    for customer_id in members:
        if rng.random() < 0.75:
            by_column[rng.choices([c.id for c in columns], weights)[0]].append(customer_id)
    rows, now = [], utcnow()
    for column_id, ids in by_column.items():
        for customer_id, rank in zip(ids, ranks.spread(len(ids)), strict=True):
            rows.append(
                dict(
                    tenant_id=tenant_id,
                    flow_id=flow_id,
                    customer_id=customer_id,
                    column_id=column_id,
                    rank=rank,
                    hidden=False,
                    version=1,
                    updated_at=now,
                )
            )
    if rows:
        await session.execute(insert(FlowPosition.__table__), rows)


async def seed(session: AsyncSession, tenant_id: int, customer_ids: list[int], seed: int):
    rng = random.Random(seed * 7919 + 18)
    workers = list(
        await session.scalars(
            select(Worker.id).where(Worker.tenant_id == tenant_id).order_by(Worker.id)
        )
    )
    if not customer_ids:
        return
    lowered = [s.lower() for s in SOURCES]
    leads = list(
        await session.scalars(
            select(Customer.id)
            .where(Customer.tenant_id == tenant_id, func.lower(Customer.lead_source).in_(lowered))
            .order_by(Customer.id)
        )
    )
    flow_id, columns = await _flow(
        session, tenant_id, "Sales pipeline", SALES, workers, lead_sources=list(SOURCES)
    )
    await _place(session, tenant_id, flow_id, columns, leads, rng)
    folder = await session.scalar(
        select(Folder).where(Folder.tenant_id == tenant_id, Folder.name == "Active Clients")
    )
    if folder is None:
        return
    flow_id, columns = await _flow(
        session, tenant_id, "Onboarding", ONBOARDING, workers, folder_ids=[folder.id]
    )
    active = await session.scalar(
        select(Status.id).where(Status.folder_id == folder.id, Status.name == "Active")
    )
    if active is not None:
        columns[-1].on_drop = {"folderId": folder.id, "folderStatusId": active}
    members = list(
        await session.scalars(
            select(CustomerFolder.customer_id)
            .where(CustomerFolder.tenant_id == tenant_id, CustomerFolder.folder_id == folder.id)
            .order_by(CustomerFolder.customer_id)
        )
    )
    await _place(session, tenant_id, flow_id, columns, members, rng)
    await session.flush()
