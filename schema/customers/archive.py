"""Archive and restore (`core/archive.py`), one customer or up to 500 at once, all or none.
The payloads return every customer asked for, as it now is (an already archived one
unchanged)."""

import strawberry

from core import archive
from schema.context import Info
from schema.customers.mutations import CustomerPayload, CustomersPayload, _many, _single_path
from schema.ids import from_global_id, from_global_ids
from schema.payloads import mutate


@strawberry.input(description="The customer to archive.")
class ArchiveCustomerInput:
    customer_id: strawberry.ID


@strawberry.input(description="The archived customer to bring back.")
class RestoreCustomerInput:
    customer_id: strawberry.ID


@strawberry.input(description="Up to 500 customers, all or none.")
class BulkArchiveCustomersInput:
    customer_ids: list[strawberry.ID]


@strawberry.input(description="Up to 500 archived customers, all or none.")
class BulkRestoreCustomersInput:
    customer_ids: list[strawberry.ID]


async def _archive(info: Info, ids: list[int], archived: bool) -> CustomersPayload:
    async def work(session, principal):
        return (await archive.set_archived(session, principal, ids, archived))[0]

    result, errors = await mutate(info, work, "customerIds")
    return _many(result, errors)


async def _one(info: Info, customer_id: strawberry.ID, archived: bool) -> CustomerPayload:
    many = await _archive(info, [from_global_id(customer_id, "Customer")], archived)
    return CustomerPayload(
        customer=many.customers[0] if many.customers else None,
        user_errors=[_single_path(e) for e in many.user_errors],
    )


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

    @strawberry.mutation(description="Archive several customers. All or nothing.")
    async def bulk_archive_customers(
        self, info: Info, input: BulkArchiveCustomersInput
    ) -> CustomersPayload:
        return await _archive(info, from_global_ids(input.customer_ids, "Customer"), True)

    @strawberry.mutation(description="Restore several archived customers. All or nothing.")
    async def bulk_restore_customers(
        self, info: Info, input: BulkRestoreCustomersInput
    ) -> CustomersPayload:
        return await _archive(info, from_global_ids(input.customer_ids, "Customer"), False)
