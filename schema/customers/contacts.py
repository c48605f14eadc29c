"""Mutations of a customer's contact people. Each changes the customer's record (its version,
its search text, its timeline) in the same transaction; the rules are in
`core/customer_contacts.py`."""

import strawberry
from strawberry import UNSET

from core import customer_contacts as svc
from schema.context import Info
from schema.customers.standard import CustomerContact
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.payloads import UserError, as_row, mutate

MEMBERS = ("name", "email", "phone", "job_title", "department")


@strawberry.input(description="A person at the customer.")
class AddContactInput:
    customer_id: strawberry.ID
    name: str
    email: str | None = None
    phone: str | None = None
    job_title: str | None = None
    department: str | None = None
    primary: bool | None = strawberry.field(
        default=None,
        description="true: becomes the primary contact (the old one stops being it); false: "
        "not; null: primary when the customer has none yet.",
    )


@strawberry.input(description="Only the members sent change; null clears an optional one.")
class UpdateContactInput:
    id: strawberry.ID
    name: str | None = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET
    job_title: str | None = UNSET
    department: str | None = UNSET
    primary: bool | None = strawberry.field(
        default=UNSET, description="true: make it the primary contact; false: no longer primary."
    )


@strawberry.input
class SetPrimaryContactInput:
    id: strawberry.ID


@strawberry.input
class RemoveContactInput:
    id: strawberry.ID


@strawberry.type(description="The contact and its customer as written, or why nothing was.")
class ContactPayload:
    contact: CustomerContact | None
    customer: Customer | None
    user_errors: list[UserError]


@strawberry.type(description="The customer without the removed contact, or why nothing changed.")
class RemoveContactPayload:
    removed_contact_id: strawberry.ID | None
    customer: Customer | None
    user_errors: list[UserError]


def _contact_id(value: str) -> int:
    return from_global_id(value, "CustomerContact")


async def _contact(info: Info, work, target: str = "id") -> ContactPayload:
    result, errors = await mutate(info, work, target)
    if not result:
        return ContactPayload(contact=None, customer=None, user_errors=errors)
    contact, customer = result
    return ContactPayload(
        contact=CustomerContact.from_row(as_row(contact)),
        customer=Customer.from_row(as_row(customer)),
        user_errors=errors,
    )


@strawberry.type
class ContactMutations:
    @strawberry.mutation(description="Add a contact person to a customer.")
    async def add_contact(self, info: Info, input: AddContactInput) -> ContactPayload:
        data = {key: getattr(input, key) for key in (*MEMBERS, "primary")}
        customer_id = from_global_id(input.customer_id, "Customer")
        return await _contact(
            info, lambda s, p: svc.add_contact(s, p, customer_id, data), "customerId"
        )

    @strawberry.mutation(description="Change a contact person.")
    async def update_contact(self, info: Info, input: UpdateContactInput) -> ContactPayload:
        changes = {key: getattr(input, key) for key in (*MEMBERS, "primary")}
        changes = {key: value for key, value in changes.items() if value is not UNSET}
        contact_id = _contact_id(input.id)
        return await _contact(info, lambda s, p: svc.update_contact(s, p, contact_id, changes))

    @strawberry.mutation(
        description="Make a contact the customer's primary one (the old one stops being it)."
    )
    async def set_primary_contact(
        self, info: Info, input: SetPrimaryContactInput
    ) -> ContactPayload:
        contact_id = _contact_id(input.id)
        return await _contact(info, lambda s, p: svc.set_primary_contact(s, p, contact_id))

    @strawberry.mutation(
        description="Remove a contact person. Removing the primary one leaves the customer "
        "without a primary contact until `setPrimaryContact`."
    )
    async def remove_contact(self, info: Info, input: RemoveContactInput) -> RemoveContactPayload:
        contact_id = _contact_id(input.id)
        result, errors = await mutate(info, lambda s, p: svc.remove_contact(s, p, contact_id))
        return RemoveContactPayload(
            removed_contact_id=input.id if result else None,
            customer=Customer.from_row(as_row(result)) if result else None,
            user_errors=errors,
        )
