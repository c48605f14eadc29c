"""Archiving and restoring customers: the everyday way to drop a customer, undone by a
restore with everything it had (links, module rows, files, timeline), because nothing is
removed. An archived customer leaves the list, search, `totalCount` and the counters (the
triggers of migration 0012_archive), sub-customer lists and folder counts; `customer(id:)`
still finds it, so it can be restored. Every other write on it is refused with
`CUSTOMER_ARCHIVED` (`core.customers.get_customer`); erasing it (`deleteCustomer`) is the
data-protection path.

Both functions take a list of ids (the bulk-action framework calls them as they are),
need `customers.delete` (archiving is what deleting used to be) and a customer the worker
may change, lock the rows in id order like every bulk write, and return the customers they
changed: archiving an archived one (or restoring a live one) changes nothing and emits
nothing."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from core import access
from core.auth import Principal
from core.customers import _emit, _flush, get_customers
from core.models import Customer, utcnow

ARCHIVE_PERMISSION = "customers.delete"


async def set_archived(
    session: AsyncSession,
    principal: Principal,
    ids: Sequence[int],
    archived: bool,
    field: str = "customerIds",
) -> tuple[list[Customer], list[Customer]]:
    """(every customer asked for, in input order; those whose state changed)."""
    access.require(principal, ARCHIVE_PERMISSION)
    customers = await get_customers(session, principal, ids, field, archived_ok=True)
    changed = [c for c in customers if (c.archived_at is None) == archived]
    now = utcnow()
    for customer in changed:
        customer.archived_at = now if archived else None
        customer.archived_by = principal.worker_id if archived else None
        customer.updated_at = now
    await _flush(session)
    name = "customer.archived" if archived else "customer.restored"
    await _emit(session, principal, name, changed)
    return customers, changed


async def archive_customers(
    session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[Customer]:
    """Archive these customers; the ones that were not archived yet, in input order."""
    return (await set_archived(session, principal, ids, True))[1]


async def restore_customers(
    session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[Customer]:
    """Bring archived customers back; the ones that were archived, in input order."""
    return (await set_archived(session, principal, ids, False))[1]
