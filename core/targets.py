"""The customers a change by filter targets: those the list shows for a `where` tree and a
search, that the worker may edit, in id order (bulk actions walk them by id; a segment's
members by filter take them at once)."""

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, filters
from core.auth import Principal
from core.customer_queries import CustomerFilter, customer_conditions
from core.models import Customer


async def matching(
    session: AsyncSession,
    principal: Principal,
    where: dict | None,
    search: str | None,
    decode_id: Callable,
    after: int = 0,
):
    """Ids of the customers a filter targets, in id order: visible as the list shows them,
    and editable."""
    conn = await session.connection()
    prepared = None
    if where:
        plugins = session.info.get("plugins")
        prepared = await filters.prepare(conn, principal, plugins, where, None, decode_id)
    found = CustomerFilter(search=search) if search and search.strip() else None
    conditions = await customer_conditions(conn, principal, found, where=prepared)
    query = select(Customer.id).where(
        access.visible_customers(principal), *conditions, Customer.id > after
    )
    if not (
        access.can(principal, "customers.view_all") and access.can(principal, "customers.edit")
    ):
        query = query.where(access.editable_customers(principal))
    return query.order_by(Customer.id)
