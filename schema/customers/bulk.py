"""Bulk customer mutations (`core/bulk.py`): each takes `customerIds` (at most 500, all or
none) or a filter (`where`, `search`: everyone the list shows that the worker may edit). A
filter matching more than `BULK_INLINE_MAX` runs as a job; either way the payload names the
`bulkAction` that `undoBulkAction` reverts."""

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import UNSET

from core import bulk
from core.keyset import Order
from schema.context import Info
from schema.customers.inputs import (
    CustomFieldValueInput,
    FolderPlacementInput,
    field_changes,
    placements,
)
from schema.customers.standard import standard_changes, with_standard_members
from schema.customers.types import Customer, CustomerKind
from schema.customers.where import CustomerWhere, decode_id
from schema.ids import from_global_id, from_global_ids
from schema.jobs import Job, job_row
from schema.kit import tenant_list
from schema.payloads import UserError, as_row, mutate
from schema.relay import Connection, Node

NEWEST_FIRST = Order("bulk_actions.newest", (), bulk.BULK_ACTIONS.c.id, descending=True)


@strawberry.enum(
    description="RUNNING (a job is applying it), DONE, FAILED (stopped part way: what was "
    "done can be undone), UNDOING (a job is reverting it), UNDONE."
)
class BulkActionState(Enum):
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"
    UNDOING = "UNDOING"
    UNDONE = "UNDONE"


@strawberry.type(
    description="One bulk change of customers, undoable until `undoableUntil`. An undo "
    "restores each customer the action changed, unless the customer changed again since "
    "(then it is skipped and counted in `skipped`)."
)
class BulkAction(Node):
    action: str = strawberry.field(description="e.g. `add_customer_tags`, `update_customers`.")
    state: BulkActionState
    count: int = strawberry.field(description="Customers it really changed (so far).")
    undone: int = strawberry.field(description="Customers its undo restored.")
    skipped: int = strawberry.field(
        description="Customers its undo left alone: changed since, deleted or out of reach."
    )
    created_at: datetime
    undoable_until: datetime
    job_id: strawberry.Private[int | None]
    undo_job_id: strawberry.Private[int | None]

    @strawberry.field(description="The job applying it, when it was too big for the request.")
    async def job(self, info: Info) -> Job | None:
        return await _job(info, self.job_id)

    @strawberry.field(description="The job undoing it, when the undo was too big for a request.")
    async def undo_job(self, info: Info) -> Job | None:
        return await _job(info, self.undo_job_id)

    @classmethod
    def from_row(cls, row) -> "BulkAction":
        get = row.__getitem__ if isinstance(row, dict) else lambda key: getattr(row, key)
        return cls(
            pk=get("id"),
            action=get("action"),
            state=BulkActionState(get("state")),
            count=get("count"),
            undone=get("undone"),
            skipped=get("skipped"),
            created_at=get("created_at"),
            undoable_until=get("undo_until"),
            job_id=get("job_id"),
            undo_job_id=get("undo_job_id"),
        )


async def _job(info: Info, pk: int | None) -> Job | None:
    if pk is None:
        return None
    row = await job_row(info, pk)
    return Job.from_row(row) if row else None


async def _by_ids(conn, principal, ids):
    rows = await conn.execute(bulk.visible(principal).where(bulk.BULK_ACTIONS.c.id.in_(ids)))
    found = {r["id"]: dict(r) for r in rows.mappings()}
    return [found.get(i) for i in ids]


async def bulk_action_row(info: Info, pk: int) -> dict | None:
    return await info.context.loaders.custom("bulk_actions.by_id", _by_ids).load(pk)


@strawberry.type(
    description="The customers as written (in input order) when it ran in the request, or "
    "the `job` applying it when it was too big; the `bulkAction` to undo it either way."
)
class CustomersPayload:
    customers: list[Customer]
    job: Job | None
    bulk_action: BulkAction | None
    user_errors: list[UserError]


def _payload(outcome: bulk.Outcome | None, errors) -> CustomersPayload:
    if outcome is None:
        return CustomersPayload(customers=[], job=None, bulk_action=None, user_errors=errors)
    return CustomersPayload(
        customers=[Customer.from_row(as_row(c)) for c in outcome.customers or []],
        job=Job.from_row(outcome.job) if outcome.job is not None else None,
        bulk_action=BulkAction.from_row(outcome.row),
        user_errors=errors,
    )


TARGET = {
    "customer_ids": (
        list[strawberry.ID] | None,
        "These customers (at most 500, all or none). Or give `where` / `search`.",
    ),
    "where": (
        CustomerWhere | None,
        "Every customer the list shows for this filter that you may edit.",
    ),
    "search": (str | None, "With or without `where`: the list's search."),
}


def bulk_input(name: str, description: str, members: dict) -> type:
    """`<name>`: a target (`customerIds`, or `where` / `search`) and the action's members."""
    cls = type(name, (), {"__annotations__": {}})
    for key, (kind, text) in TARGET.items():
        cls.__annotations__[key] = kind
        setattr(cls, key, strawberry.field(default=None, description=text))
    cls.__annotations__.update(members)
    return strawberry.input(
        cls,
        description=description + " Up to `BULK_INLINE_MAX` customers in the request, all "
        "or none; more by filter as a job.",
    )


async def run_bulk(info: Info, name: str, input, args: Callable[[], dict]) -> CustomersPayload:
    settings = info.context.settings

    def work(session, principal):
        ids = None
        if input.customer_ids is not None:
            ids = from_global_ids(input.customer_ids, "Customer")
        return bulk.run(
            session,
            principal,
            name,
            args(),
            ids=ids,
            where=input.where.to_dict() if input.where is not None else None,
            search=input.search,
            decode_id=decode_id,
            inline_max=settings.bulk_inline_max,
            undo_hours=settings.bulk_undo_hours,
        )

    outcome, errors = await mutate(info, work)
    return _payload(outcome, errors)


def bulk_field(name: str, description: str, input_type: type, args: Callable) -> object:
    async def resolve(info: Info, input: input_type) -> CustomersPayload:  # type: ignore[valid-type]
        return await run_bulk(info, name, input, lambda: args(input))

    return strawberry.mutation(resolver=resolve, description=description)


def _ids(member: str, type_name: str, key: str) -> Callable:
    return lambda i: {key: from_global_ids(getattr(i, member), type_name)}


# (action name, input name, description, members, core args of an input)
ACTIONS = [
    (
        "set_customer_status",
        "BulkSetCustomerStatusInput",
        "Set several customers' status.",
        {"status_id": strawberry.ID},
        lambda i: {"status_id": from_global_id(i.status_id, "Status")},
    ),
    (
        "add_customer_to_folders",
        "BulkAddCustomerToFoldersInput",
        "Place several customers in folders; a folder a customer is in already is left as it is.",
        {"folders": list[FolderPlacementInput]},
        lambda i: {"folders": [list(p) for p in placements(i.folders)]},
    ),
    (
        "remove_customer_from_folders",
        "BulkRemoveCustomerFromFoldersInput",
        "Take several customers out of folders.",
        {"folder_ids": list[strawberry.ID]},
        _ids("folder_ids", "Folder", "folder_ids"),
    ),
    (
        "set_customer_folder_status",
        "BulkSetCustomerFolderStatusInput",
        "Set several customers' status within a folder they are in.",
        {"folder_id": strawberry.ID, "status_id": strawberry.ID},
        lambda i: {
            "folder_id": from_global_id(i.folder_id, "Folder"),
            "status_id": from_global_id(i.status_id, "Status"),
        },
    ),
    (
        "add_customer_tags",
        "BulkAddCustomerTagsInput",
        "Tag several customers.",
        {"tag_ids": list[strawberry.ID]},
        _ids("tag_ids", "Tag", "tag_ids"),
    ),
    (
        "remove_customer_tags",
        "BulkRemoveCustomerTagsInput",
        "Remove tags from several customers.",
        {"tag_ids": list[strawberry.ID]},
        _ids("tag_ids", "Tag", "tag_ids"),
    ),
    (
        "assign_workers",
        "BulkAssignWorkersInput",
        "Assign workers to several customers.",
        {"worker_ids": list[strawberry.ID]},
        _ids("worker_ids", "Worker", "worker_ids"),
    ),
    (
        "unassign_workers",
        "BulkUnassignWorkersInput",
        "Unassign workers from several customers.",
        {"worker_ids": list[strawberry.ID]},
        _ids("worker_ids", "Worker", "worker_ids"),
    ),
    (
        "archive_customers",
        "BulkArchiveCustomersInput",
        "Archive several customers: out of lists, search and counts, everything kept. Needs "
        "`customers.delete`.",
        {},
        lambda i: {},
    ),
    (
        "add_customers_to_segment",
        "BulkAddCustomersToSegmentInput",
        "Add several customers to a static segment (those in it already stay as they are). "
        "Needs `segments.manage`.",
        {"segment_id": strawberry.ID},
        lambda i: {"segment_id": from_global_id(i.segment_id, "Segment")},
    ),
    (
        "remove_customers_from_segment",
        "BulkRemoveCustomersFromSegmentInput",
        "Take several customers out of a static segment. Needs `segments.manage`.",
        {"segment_id": strawberry.ID},
        lambda i: {"segment_id": from_global_id(i.segment_id, "Segment")},
    ),
    (
        "restore_customers",
        "BulkRestoreCustomersInput",
        "Bring several archived customers back (by filter: `where` naming `archived`). Needs "
        "`customers.delete`.",
        {},
        lambda i: {},
    ),
]


@strawberry.input(description="Only the members sent change; null clears an optional field.")
@with_standard_members(UNSET)
class CustomerFieldsInput:
    kind: CustomerKind | None = UNSET
    status_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="null: back to the tenant's default status."
    )
    company: str | None = UNSET
    lead_source: str | None = UNSET
    city: str | None = UNSET
    notes: str | None = UNSET
    follow_up_at: datetime | None = UNSET
    custom_fields: list[CustomFieldValueInput] | None = strawberry.field(
        default=UNSET, description="Only the fields listed change (by key)."
    )

    def to_core(self) -> dict:
        names = {k: k for k in ("company", "lead_source", "city", "notes", "follow_up_at")}
        return {**field_changes(self, names), **standard_changes(self)}


BulkUpdateCustomersInput = bulk_input(
    "BulkUpdateCustomersInput",
    "The same field values for several customers, checked as `updateCustomer` checks them.",
    {"fields": CustomerFieldsInput},
)


@strawberry.input(description="The bulk action to revert.")
class UndoBulkActionInput:
    bulk_action_id: strawberry.ID


@strawberry.type(
    description="The bulk action (UNDONE, or UNDOING with its `undoJob` when big), "
    "or why nothing changed."
)
class UndoBulkActionPayload:
    bulk_action: BulkAction | None
    job: Job | None
    user_errors: list[UserError]


class BulkMutations:
    @strawberry.mutation(
        description="Set the same fields on several customers (names, phones and e-mails "
        "stay per customer). Standard fields and custom fields by key."
    )
    async def bulk_update_customers(
        self, info: Info, input: BulkUpdateCustomersInput
    ) -> CustomersPayload:  # type: ignore[valid-type]
        return await run_bulk(
            info, "update_customers", input, lambda: {"changes": input.fields.to_core()}
        )

    @strawberry.mutation(
        description="Revert a bulk action within `BULK_UNDO_HOURS`: each customer it changed "
        "gets back what it had, unless it changed again since (skipped, counted). "
        "ALREADY_UNDONE, BULK_RUNNING, BULK_UNDO_EXPIRED."
    )
    async def undo_bulk_action(
        self, info: Info, input: UndoBulkActionInput
    ) -> UndoBulkActionPayload:
        pk = from_global_id(input.bulk_action_id, "BulkAction")
        inline_max = info.context.settings.bulk_inline_max

        def work(session, principal):
            return bulk.undo(session, principal, pk, inline_max=inline_max)

        outcome, errors = await mutate(info, work, "bulkActionId")
        if outcome is None:
            return UndoBulkActionPayload(bulk_action=None, job=None, user_errors=errors)
        return UndoBulkActionPayload(
            bulk_action=BulkAction.from_row(outcome.row),
            job=Job.from_row(outcome.job) if outcome.job is not None else None,
            user_errors=errors,
        )


for _name, _input_name, _description, _members, _args in ACTIONS:
    _input = bulk_input(_input_name, _description, _members)
    globals()[_input_name] = _input
    setattr(BulkMutations, "bulk_" + _name, bulk_field(_name, _description, _input, _args))

BulkMutations = strawberry.type(BulkMutations)


@strawberry.type
class BulkQueries:
    @strawberry.field(description="One bulk action you ran (any with `jobs.view_all`).")
    async def bulk_action(self, info: Info, id: strawberry.ID) -> BulkAction | None:
        row = await bulk_action_row(info, from_global_id(id, "BulkAction"))
        return BulkAction.from_row(row) if row else None

    @strawberry.field(
        description="Bulk actions, newest first: yours, or the tenant's with `jobs.view_all`."
    )
    async def bulk_actions(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="At most 100.")] = None,
        after: str | None = None,
    ) -> Connection[BulkAction]:
        query = bulk.visible(info.context.principal)
        return await tenant_list(info, query, NEWEST_FIRST, first, after, BulkAction.from_row)
