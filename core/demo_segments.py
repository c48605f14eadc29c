"""The demo's segments (`core/demo.py` calls `add`): two dynamic ones on fields every demo
customer has, and a static one picked by hand, so a front end has each kind to show."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Customer
from core.segment_models import DYNAMIC, STATIC, Segment, SegmentMember

DYNAMIC_SEGMENTS = (
    (
        "London customers",
        "Customers (not leads) in London.",
        {
            "and": [
                {"field": "city", "op": "EQ", "value": "London"},
                {"field": "kind", "op": "EQ", "value": "CUSTOMER"},
            ]
        },
    ),
    (
        "Quiet for a month",
        "No activity in the last 30 days.",
        {"not": {"field": "lastActivityAt", "op": "WITHIN_LAST_DAYS", "value": 30}},
    ),
)


async def add(session: AsyncSession, tenant_id: int, admin_id: int, at: datetime) -> None:
    common = {"tenant_id": tenant_id, "created_by": admin_id, "created_at": at, "updated_at": at}
    for name, description, where in DYNAMIC_SEGMENTS:
        session.add(
            Segment(name=name, description=description, kind=DYNAMIC, filter=where, **common)
        )
    picked = Segment(
        name="Spring newsletter",
        description="Picked by hand for the spring mailing.",
        kind=STATIC,
        **common,
    )
    session.add(picked)
    await session.flush()
    ids = await session.scalars(
        select(Customer.id)
        .where(Customer.tenant_id == tenant_id, Customer.parent_id.is_(None))
        .order_by(Customer.id)
        .limit(12)
    )
    session.add_all(
        SegmentMember(
            segment_id=picked.id,
            customer_id=cid,
            tenant_id=tenant_id,
            added_at=at,
            added_by=admin_id,
        )
        for cid in ids
    )
    await session.flush()
