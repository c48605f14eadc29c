"""Archive and restore one customer (`core/archive.py`); several at once are bulk actions
(`schema/customers/bulk.py`), undoable like the others. The payload returns the customer as
it now is (an already archived one unchanged)."""

import strawberry

from core import archive
from schema.context import Info
from schema.customers.mutations import CustomerPayload, _single_path
from schema.customers.mutations import _one as _one_payload
from schema.ids import from_global_id
from schema.payloads import mutate


@strawberry.input(description="The customer to archive.")
class ArchiveCustomerInput:
    customer_id: strawberry.ID


@strawberry.input(description="The archived customer to bring back.")
class RestoreCustomerInput:
    customer_id: strawberry.ID


async def _one(info: Info, customer_id: strawberry.ID, archived: bool) -> CustomerPayload:
    ids = [from_global_id(customer_id, "Customer")]

    async def work(session, principal):
        return (await archive.set_archived(session, principal, ids, archived))[0]

    result, errors = await mutate(info, work, "customerId")
    return _one_payload(result[0] if result else None, [_single_path(e) for e in errors])


@strawberry.type
class ArchiveMutations:
    @strawberry.mutation(
        description="Archive a customer: out of lists, search and counts, everything kept "
        "(`restoreCustomer` brings it back). Needs `customers.delete`; archiving an "
        "archived customer changes nothing."
    )
    async def archive_customer(self, info: Info, input: ArchiveCustomerInput) -> CustomerPayload:
        return await _one(info, input.customer_id, True)

    @strawberry.mutation(
        description="Bring an archived customer back with everything it had. Needs "
        "`customers.delete`."
    )
    async def restore_customer(self, info: Info, input: RestoreCustomerInput) -> CustomerPayload:
        return await _one(info, input.customer_id, False)
