"""Customer mutations. Every single-customer action that a list selection also needs has a
`bulk…` twin in `schema/customers/bulk.py` (by ids or by filter, undoable)."""

from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry
from strawberry import UNSET

from core import customer_links as links
from core import customers as svc
from core import duplicates, merge
from core import sub_customers as subs
from schema.context import Info
from schema.customers.duplicates import DuplicateCandidate, candidates_of
from schema.customers.inputs import (
    ContactPointInput,
    CustomFieldValueInput,
    FolderPlacementInput,
    contact_dicts,
    custom_field_changes,
    field_changes,
    placements,
)
from schema.customers.merges import CustomerMerge
from schema.customers.standard import standard_changes, with_standard_members
from schema.customers.types import Customer, CustomerKind
from schema.ids import from_global_id, from_global_ids
from schema.payloads import DeletePayload, UserError, as_row, deleted, input_named, mutate


@strawberry.type(description="The customer as written, or why nothing was written.")
class CustomerPayload:
    customer: Customer | None
    user_errors: list[UserError]
    duplicates: list[DuplicateCandidate] = strawberry.field(
        default_factory=list,
        description="createCustomer, createSubCustomer and updateCustomer: visible customers "
        "sharing an email, phone or name and city the write added (a warning; under the "
        "BLOCK policy the write was refused with `DUPLICATE`). Empty for other mutations.",
    )


@strawberry.type(description="The customer merged into, and the merge's record for `undoMerge`.")
class MergeCustomersPayload:
    customer: Customer | None
    merge: CustomerMerge | None
    user_errors: list[UserError]


def _one(result, errors) -> CustomerPayload:
    return CustomerPayload(
        customer=Customer.from_row(as_row(result)) if result else None, user_errors=errors
    )


@strawberry.input
@with_standard_members(None)
class CreateCustomerInput:
    name: str
    kind: CustomerKind = CustomerKind.LEAD
    avatar_url: str | None = None
    status_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: the tenant's default status."
    )
    phones: list[ContactPointInput] | None = None
    emails: list[ContactPointInput] | None = None
    company: str | None = None
    lead_source: str | None = None
    city: str | None = None
    notes: str | None = None
    follow_up_at: datetime | None = None
    folders: list[FolderPlacementInput] | None = None
    tag_ids: list[strawberry.ID] | None = None
    worker_ids: list[strawberry.ID] | None = None
    custom_fields: list[CustomFieldValueInput] | None = None
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="Create it as a sub-customer of this customer (no copying)."
    )
    allow_duplicate: bool = strawberry.field(
        default=False,
        description="Write even when the tenant's duplicate policy is BLOCK (workers who may "
        "merge customers only; others are still refused).",
    )
    external_id: str | None = strawberry.field(
        default=None, description="Its id in another system; unique in the tenant (TAKEN)."
    )

    def to_core(self) -> dict:
        return {
            "external_id": self.external_id,
            "name": self.name,
            "kind": self.kind.value,
            "avatar_url": self.avatar_url,
            "status_id": None
            if self.status_id is None
            else from_global_id(self.status_id, "Status"),
            "phones": contact_dicts(self.phones) if self.phones is not None else None,
            "emails": contact_dicts(self.emails) if self.emails is not None else None,
            "company": self.company,
            "lead_source": self.lead_source,
            "city": self.city,
            "notes": self.notes,
            "follow_up_at": self.follow_up_at,
            "folders": placements(self.folders) if self.folders is not None else None,
            "tag_ids": from_global_ids(self.tag_ids, "Tag") if self.tag_ids is not None else None,
            "worker_ids": (
                from_global_ids(self.worker_ids, "Worker") if self.worker_ids is not None else None
            ),
            "custom_fields": (
                custom_field_changes(self.custom_fields) if self.custom_fields is not None else None
            ),
            **standard_changes(self),
            "allow_duplicate": self.allow_duplicate,
        }


@strawberry.input(
    description="A new customer under `parentId`. It starts from the parent fields the tenant "
    "chose to copy (`Tenant.subCustomerCopyFields`); whatever is given here wins."
)
class CreateSubCustomerInput(CreateCustomerInput):
    parent_id: strawberry.ID = strawberry.field(description="The parent customer.")


@strawberry.input(description="Only the members sent change; null clears an optional field.")
@with_standard_members(UNSET)
class UpdateCustomerInput:
    id: strawberry.ID
    expected_version: int | None = strawberry.field(
        default=None, description="The `version` the edit is based on; a newer one is a conflict."
    )
    kind: CustomerKind | None = UNSET
    name: str | None = UNSET
    avatar_url: str | None = UNSET
    status_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="null: back to the tenant's default status."
    )
    phones: list[ContactPointInput] | None = UNSET
    emails: list[ContactPointInput] | None = UNSET
    company: str | None = UNSET
    lead_source: str | None = UNSET
    city: str | None = UNSET
    notes: str | None = UNSET
    follow_up_at: datetime | None = UNSET
    custom_fields: list[CustomFieldValueInput] | None = strawberry.field(
        default=UNSET, description="Only the fields listed change."
    )
    allow_duplicate: bool = strawberry.field(
        default=False,
        description="Write even when the tenant's duplicate policy is BLOCK (workers who may "
        "merge customers only; others are still refused).",
    )
    external_id: str | None = strawberry.field(
        default=UNSET, description="Its id in another system; unique in the tenant (TAKEN)."
    )

    def to_core(self) -> dict:
        changes = field_changes(
            self,
            {
                "external_id": "external_id",
                "name": "name",
                "avatar_url": "avatar_url",
                "company": "company",
                "lead_source": "lead_source",
                "city": "city",
                "notes": "notes",
                "follow_up_at": "follow_up_at",
            },
        )
        for key in ("phones", "emails"):
            if getattr(self, key) is not UNSET:
                changes[key] = contact_dicts(getattr(self, key))
        return {**changes, **standard_changes(self), "allow_duplicate": self.allow_duplicate}


@strawberry.input
class CustomerIdInput:
    id: strawberry.ID


DeleteCustomerInput = input_named(CustomerIdInput, "DeleteCustomerInput")
ConvertLeadInput = input_named(CustomerIdInput, "ConvertLeadInput")
UnblockCustomerInput = input_named(CustomerIdInput, "UnblockCustomerInput")
UnlinkSubCustomerInput = input_named(CustomerIdInput, "UnlinkSubCustomerInput")


@strawberry.input
class BlockCustomerInput:
    id: strawberry.ID
    reason: str = strawberry.field(description="Shown on the profile; required.")


@strawberry.input(
    description="The source's data, links, sub-customers and module rows move to "
    "the target, which keeps its own values; the source is deleted."
)
class MergeCustomersInput:
    source_id: strawberry.ID
    target_id: strawberry.ID


@strawberry.input
class LinkSubCustomerInput:
    id: strawberry.ID = strawberry.field(description="The customer to place under the parent.")
    parent_id: strawberry.ID


# Inputs of the actions with a bulk twin: `customerId` here, a target there.


def _action_input(name: str, description: str, members: dict):
    single = type(name, (), {"__annotations__": {"customer_id": strawberry.ID, **members}})
    return strawberry.input(single, description=description)


SetCustomerStatusInput = _action_input(
    "SetCustomerStatusInput",
    "A status from the customer status list.",
    {"status_id": strawberry.ID},
)
AddCustomerToFoldersInput = _action_input(
    "AddCustomerToFoldersInput",
    "Folders to add; a folder the customer is already in is left as it is.",
    {"folders": list[FolderPlacementInput]},
)
RemoveCustomerFromFoldersInput = _action_input(
    "RemoveCustomerFromFoldersInput", "Folders to leave.", {"folder_ids": list[strawberry.ID]}
)
SetCustomerFolderStatusInput = _action_input(
    "SetCustomerFolderStatusInput",
    "A status of the folder's own list, for customers in that folder.",
    {"folder_id": strawberry.ID, "status_id": strawberry.ID},
)
AddCustomerTagsInput = _action_input(
    "AddCustomerTagsInput", "Tags to add.", {"tag_ids": list[strawberry.ID]}
)
RemoveCustomerTagsInput = _action_input(
    "RemoveCustomerTagsInput", "Tags to remove.", {"tag_ids": list[strawberry.ID]}
)
AssignWorkersInput = _action_input(
    "AssignWorkersInput", "Workers to assign.", {"worker_ids": list[strawberry.ID]}
)
UnassignWorkersInput = _action_input(
    "UnassignWorkersInput", "Workers to unassign.", {"worker_ids": list[strawberry.ID]}
)


def _status(i):
    return lambda s, p, ids: svc.set_status(s, p, ids, from_global_id(i.status_id, "Status"))


def _add_folders(i):
    return lambda s, p, ids: links.add_to_folders(s, p, ids, placements(i.folders))


def _remove_folders(i):
    return lambda s, p, ids: links.remove_from_folders(
        s, p, ids, from_global_ids(i.folder_ids, "Folder")
    )


def _folder_status(i):
    return lambda s, p, ids: links.set_folder_status(
        s, p, ids, from_global_id(i.folder_id, "Folder"), from_global_id(i.status_id, "Status")
    )


def _links(action, member: str, type_name: str):
    return lambda i: (
        lambda s, p, ids: action(s, p, ids, from_global_ids(getattr(i, member), type_name))
    )


ACTIONS: list[tuple[str, str, type, Callable]] = [
    (
        "set_customer_status",
        "Set the customer's status.",
        SetCustomerStatusInput,
        _status,
    ),
    (
        "add_customer_to_folders",
        "Place the customer in folders.",
        AddCustomerToFoldersInput,
        _add_folders,
    ),
    (
        "remove_customer_from_folders",
        "Take the customer out of folders.",
        RemoveCustomerFromFoldersInput,
        _remove_folders,
    ),
    (
        "set_customer_folder_status",
        "Set the customer's status within a folder.",
        SetCustomerFolderStatusInput,
        _folder_status,
    ),
    (
        "add_customer_tags",
        "Tag the customer.",
        AddCustomerTagsInput,
        _links(links.add_tags, "tag_ids", "Tag"),
    ),
    (
        "remove_customer_tags",
        "Remove tags from the customer.",
        RemoveCustomerTagsInput,
        _links(links.remove_tags, "tag_ids", "Tag"),
    ),
    (
        "assign_workers",
        "Assign workers to the customer.",
        AssignWorkersInput,
        _links(links.assign_workers, "worker_ids", "Worker"),
    ),
    (
        "unassign_workers",
        "Unassign workers from the customer.",
        UnassignWorkersInput,
        _links(links.unassign_workers, "worker_ids", "Worker"),
    ),
]


def _single_field(description: str, input_type: type, make: Callable):
    async def resolve(info: Info, input: input_type) -> CustomerPayload:  # type: ignore[valid-type]
        work = make(input)
        ids = [from_global_id(input.customer_id, "Customer")]
        result, errors = await mutate(info, lambda s, p: work(s, p, ids))
        errors = [_single_path(e) for e in errors]
        return _one(result[0] if result else None, errors)

    return strawberry.mutation(resolver=resolve, description=description)


def _single_path(error: UserError) -> UserError:
    """Core names customers by their place in a list; a single action has `customerId`."""
    if error.field and error.field[:2] == ["input", "customerIds"]:
        error.field = ["input", "customerId"]
    return error


async def _run_one(
    info: Info, work: Callable[..., Awaitable], target: str = "id"
) -> CustomerPayload:
    result, errors = await mutate(info, work, target)
    return _one(result, errors)


async def _checked(info: Info, work: Callable[..., Awaitable], target: str = "id"):
    """`_run_one` for writes checked for duplicates: the candidates go in the payload, also
    when the BLOCK policy refused the write (read before the rollback expires them)."""
    found: list[DuplicateCandidate] = []

    async def run(session, principal):
        try:
            customer = await work(session, principal)
        except duplicates.DuplicateFound as exc:
            found.extend(candidates_of(exc.candidates))
            raise
        found.extend(candidates_of(session.info.get("duplicates", {}).get(customer.id, [])))
        return customer

    payload = await _run_one(info, run, target)
    payload.duplicates = found
    return payload


def _cid(value: str) -> int:
    return from_global_id(value, "Customer")


class CustomerMutations:
    @strawberry.mutation(description="Create a lead or customer.")
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> CustomerPayload:
        def work(session, principal):
            data = input.to_core()
            if input.parent_id is not None:
                data["parent_id"] = _cid(input.parent_id)
            return svc.create_customer(session, principal, data)

        return await _checked(info, work)

    @strawberry.mutation(description="Change a customer's fields.")
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> CustomerPayload:
        return await _checked(
            info,
            lambda s, p: svc.update_customer(
                s, p, _cid(input.id), input.to_core(), input.expected_version
            ),
        )

    @strawberry.mutation(
        description="Erase a customer for good (data-protection requests; `archiveCustomer` "
        "is the everyday removal): its module rows now, its files by a job right after. Needs "
        "`customers.erase`. Its sub-customers become top-level."
    )
    async def delete_customer(self, info: Info, input: DeleteCustomerInput) -> DeletePayload:
        return await deleted(info, input.id, lambda s, p: svc.delete_customer(s, p, _cid(input.id)))

    @strawberry.mutation(
        description="Merge two records of the same customer into one (`mergePreview` shows "
        "what moves; `undoMerge` takes the returned merge back)."
    )
    async def merge_customers(
        self, info: Info, input: MergeCustomersInput
    ) -> MergeCustomersPayload:
        days = info.context.settings.merge_undo_days
        recorded = []

        async def work(s, p):
            customer = await merge.merge_customers(
                s, p, _cid(input.source_id), _cid(input.target_id), days
            )
            recorded.append(CustomerMerge.from_row(as_row(s.info["merge"])))
            return customer

        result, errors = await mutate(info, work, "sourceId")
        return MergeCustomersPayload(
            customer=Customer.from_row(as_row(result)) if result else None,
            merge=recorded[0] if result else None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Turn a lead into a customer.")
    async def convert_lead(self, info: Info, input: ConvertLeadInput) -> CustomerPayload:
        return await _run_one(info, lambda s, p: svc.convert_lead(s, p, _cid(input.id)))

    @strawberry.mutation(description="Block a customer, saying why.")
    async def block_customer(self, info: Info, input: BlockCustomerInput) -> CustomerPayload:
        return await _run_one(
            info, lambda s, p: svc.set_blocked(s, p, _cid(input.id), input.reason, True)
        )

    @strawberry.mutation(description="Lift a block.")
    async def unblock_customer(self, info: Info, input: UnblockCustomerInput) -> CustomerPayload:
        return await _run_one(info, lambda s, p: svc.set_blocked(s, p, _cid(input.id), None, False))

    @strawberry.mutation(description="Create a customer under a parent.")
    async def create_sub_customer(
        self, info: Info, input: CreateSubCustomerInput
    ) -> CustomerPayload:
        def work(session, principal):
            data = {k: v for k, v in input.to_core().items() if v is not None}
            return subs.create_sub_customer(session, principal, _cid(input.parent_id), data)

        return await _checked(info, work, "parentId")

    @strawberry.mutation(description="Place a customer under a parent (no cycles).")
    async def link_sub_customer(self, info: Info, input: LinkSubCustomerInput) -> CustomerPayload:
        return await _run_one(
            info, lambda s, p: subs.set_parent(s, p, _cid(input.id), _cid(input.parent_id))
        )

    @strawberry.mutation(description="Make a sub-customer top-level again.")
    async def unlink_sub_customer(
        self, info: Info, input: UnlinkSubCustomerInput
    ) -> CustomerPayload:
        return await _run_one(info, lambda s, p: subs.set_parent(s, p, _cid(input.id), None))


for _name, _description, _single, _make in ACTIONS:
    setattr(CustomerMutations, _name, _single_field(_description, _single, _make))

CustomerMutations = strawberry.type(CustomerMutations)
