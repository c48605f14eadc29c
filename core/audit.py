"""The event log: every event of a write, kept with who did it and when, in the same
transaction as the change (so a rolled-back change leaves no entry). It is the audit log,
the customers' timelines, and the outbox the bus is fed from."""

from collections.abc import Collection

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access
from core.models import Customer, EventRecord
from core.one_of import one_of


def record(session: AsyncSession, event) -> EventRecord:
    """`event` is a `core.events.Event`."""
    row = EventRecord(
        tenant_id=event.tenant_id,
        action=event.name,
        actor_id=event.actor_id,
        customer_id=event.customer_id,
        data=event.data,
        occurred_at=event.occurred_at,
    )
    session.add(row)
    return row


def entries(principal, customer_id: int | None = None, actions: list[str] | None = None):
    """The principal's tenant's entries; those about customers only for customers they see."""
    query = select(EventRecord.__table__).where(EventRecord.tenant_id == principal.tenant_id)
    if not access.can(principal, "customers.view_all"):
        visible = select(Customer.id).where(access.visible_customers(principal))
        query = query.where(
            or_(EventRecord.customer_id.is_(None), EventRecord.customer_id.in_(visible))
        )
    if customer_id is not None:
        query = query.where(EventRecord.customer_id == customer_id)
    if actions:
        query = query.where(EventRecord.action.in_(actions))
    return query


def customer_timeline(principal, customer_id: int, actions: Collection[str]):
    """One customer's entries (`entries`, so the visibility rule holds), only of `actions`
    (what the caller may show). A customer id is never handed out twice (on SQLite thanks
    to AUTOINCREMENT, migration 0006), so every entry with it is this customer's."""
    return entries(principal, customer_id).where(one_of(EventRecord.action, sorted(actions)))
