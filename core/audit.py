"""The audit log: every event of a write, kept with who did it and when, in the same
transaction (so a rolled-back change leaves no entry)."""

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access
from core.models import AuditEntry, Customer


def record(session: AsyncSession, event) -> None:
    """`event` is a `core.events.Event`."""
    session.add(
        AuditEntry(
            tenant_id=event.tenant_id,
            action=event.name,
            actor_id=event.actor_id,
            customer_id=event.customer_id,
            data=event.data,
            occurred_at=event.occurred_at,
        )
    )


def entries(principal, customer_id: int | None = None, actions: list[str] | None = None):
    """The principal's tenant's entries; those about customers only for customers they see."""
    query = select(AuditEntry.__table__).where(AuditEntry.tenant_id == principal.tenant_id)
    if not access.can(principal, "customers.view_all"):
        visible = select(Customer.id).where(access.visible_customers(principal))
        query = query.where(
            or_(AuditEntry.customer_id.is_(None), AuditEntry.customer_id.in_(visible))
        )
    if customer_id is not None:
        query = query.where(AuditEntry.customer_id == customer_id)
    if actions:
        query = query.where(AuditEntry.action.in_(actions))
    return query
