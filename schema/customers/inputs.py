"""Inputs of the customer queries and mutations, and their translation to core's terms."""

from datetime import date as Date
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import UNSET

from core import customer_queries as q
from core.errors import InvalidInput, Problem
from schema.customers.types import CustomerKind
from schema.ids import from_global_id, from_global_ids
from schema.relay import OrderDirection


@strawberry.input(description="Both ends optional; `from` is inclusive, `to` exclusive.")
class DateTimeRange:
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None


@strawberry.enum(description="How a list of tags must match.")
class TagMatch(Enum):
    ANY = "ANY"
    ALL = "ALL"


@strawberry.input(description="Customers with these tags.")
class TagFilter:
    ids: list[strawberry.ID]
    match: TagMatch = TagMatch.ANY


@strawberry.input(
    description="A condition on a custom field, values written as text (`42`, `2026-03-01`, "
    "`true`, an option). Give one of `equals`, `oneOf`, or a range with `min` / `max` "
    "(inclusive; numbers, dates and date-times)."
)
class CustomFieldPredicate:
    key: str
    equals: str | None = None
    one_of: list[str] | None = None
    min: str | None = None
    max: str | None = None


@strawberry.input(description="Every condition given must hold.")
class CustomerFilter:
    search: str | None = strawberry.field(
        default=None,
        description="Case-insensitive prefix or substring of the name, company, any email or "
        "any phone (digits only are compared for phones), or of a contact person's name, "
        "email or phone.",
    )
    kinds: list[CustomerKind] | None = None
    status_ids: list[strawberry.ID] | None = None
    folder_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="In any of these folders."
    )
    tags: TagFilter | None = None
    worker_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Assigned to any of these workers."
    )
    unassigned: bool | None = strawberry.field(
        default=None, description="true: no worker assigned; false: at least one."
    )
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="Direct sub-customers of this customer."
    )
    has_parent: bool | None = strawberry.field(
        default=None, description="false: top-level customers only."
    )
    blocked: bool | None = None
    created_at: DateTimeRange | None = None
    follow_up_at: DateTimeRange | None = None
    custom_fields: list[CustomFieldPredicate] | None = None

    def to_core(self) -> q.CustomerFilter:
        def ids(values, type_name):
            return None if values is None else from_global_ids(values, type_name)

        created = self.created_at or DateTimeRange()
        follow_up = self.follow_up_at or DateTimeRange()
        tags = self.tags
        return q.CustomerFilter(
            search=self.search,
            kinds=None if self.kinds is None else [k.value for k in self.kinds],
            status_ids=ids(self.status_ids, "Status"),
            folder_ids=ids(self.folder_ids, "Folder"),
            tag_ids_any=ids(tags.ids, "Tag") if tags and tags.match == TagMatch.ANY else None,
            tag_ids_all=ids(tags.ids, "Tag") if tags and tags.match == TagMatch.ALL else None,
            worker_ids=ids(self.worker_ids, "Worker"),
            unassigned=self.unassigned,
            parent_id=None
            if self.parent_id is None
            else from_global_id(self.parent_id, "Customer"),
            has_parent=self.has_parent,
            blocked=self.blocked,
            created_after=created.from_,
            created_before=created.to,
            follow_up_after=follow_up.from_,
            follow_up_before=follow_up.to,
            custom_fields=[
                q.FieldPredicate(p.key, p.equals, p.one_of, p.min, p.max)
                for p in self.custom_fields or []
            ],
        )


@strawberry.enum(description="Orders of the customer list.")
class CustomerOrderField(Enum):
    NAME = "NAME"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    FOLLOW_UP_AT = "FOLLOW_UP_AT"


@strawberry.input(
    description="Ties are broken by the customer's id, so pages stay stable; empty values come "
    "last. A cursor belongs to its order: under another order it is INVALID_CURSOR."
)
class CustomerOrder:
    field: CustomerOrderField = CustomerOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC
    key: str | None = strawberry.field(
        default=None,
        description="Sort on any sortable field of the filter language instead of `field` "
        "(`city`, `company`, `customFields.<key>`, `tickets.open`, `lastActivityAt`…; "
        "`customerFilterFields` lists them). Name, dates, company, city and lead source "
        "page on an index; custom fields and module summaries are computed per customer, "
        "so on a big list filter first.",
    )


@strawberry.input(
    description="A phone or email; exactly one of a list may be primary "
    "(the first is, when none is marked)."
)
class ContactPointInput:
    value: str
    label: str | None = None
    primary: bool = False


@strawberry.input(
    description="A custom field value: set the member that matches the field's type "
    "(`option` for SINGLE_SELECT, `options` for MULTI_SELECT). No member at all clears it."
)
class CustomFieldValueInput:
    key: str
    text: str | None = None
    number: float | None = None
    date: Date | None = None
    date_time: datetime | None = None
    boolean: bool | None = None
    option: str | None = None
    options: list[str] | None = None


@strawberry.input(description="A folder to place the customer in, with its folder status.")
class FolderPlacementInput:
    folder_id: strawberry.ID
    status_id: strawberry.ID | None = strawberry.field(
        default=None, description="A status of this folder's list; default: its default status."
    )


def contact_dicts(items: list[ContactPointInput] | None) -> list[dict]:
    return [{"value": i.value, "label": i.label, "primary": i.primary} for i in items or []]


def custom_field_changes(
    items: list[CustomFieldValueInput] | None, field: str = "customFields"
) -> list[tuple[str, Any]]:
    changes, problems, seen = [], [], set()
    for index, item in enumerate(items or []):
        given = [
            v
            for v in (
                item.text,
                item.number,
                item.date,
                item.date_time,
                item.boolean,
                item.option,
                item.options,
            )
            if v is not None
        ]
        if item.key in seen:
            problems.append(
                Problem(("input", field, str(index)), f"'{item.key}' is listed twice.", "DUPLICATE")
            )
            continue
        seen.add(item.key)
        if len(given) > 1:
            problems.append(
                Problem(("input", field, str(index)), "Give one value per field.", "INVALID")
            )
            continue
        value = given[0] if given else None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        changes.append((item.key, value))
    if problems:
        raise InvalidInput(problems)
    return changes


def placements(items: list[FolderPlacementInput] | None) -> list[tuple[int, int | None]]:
    return [
        (
            from_global_id(p.folder_id, "Folder"),
            None if p.status_id is None else from_global_id(p.status_id, "Status"),
        )
        for p in items or []
    ]


def sent(obj, names: dict[str, str]) -> dict:
    """Core-named changes for the input members the client actually sent (UNSET is absent)."""
    values = {core: getattr(obj, attr, UNSET) for attr, core in names.items()}
    return {core: value for core, value in values.items() if value is not UNSET}


def field_changes(obj, names: dict[str, str]) -> dict:
    """An update-shaped input's changes (`updateCustomer`, `bulkUpdateCustomers`): the plain
    members in `names`, then kind, status and custom fields when sent."""
    changes = sent(obj, names)
    if obj.kind is not UNSET:
        changes["kind"] = obj.kind.value if obj.kind else None
    if obj.status_id is not UNSET:
        changes["status_id"] = (
            None if obj.status_id is None else from_global_id(obj.status_id, "Status")
        )
    if obj.custom_fields is not UNSET:
        changes["custom_fields"] = custom_field_changes(obj.custom_fields)
    return changes


@strawberry.enum(description="Archived customers in a list.")
class ArchivedCustomers(Enum):
    EXCLUDE = "EXCLUDE"
    INCLUDE = "INCLUDE"
    ONLY = "ONLY"


def with_archived(f: q.CustomerFilter | None, archived: "ArchivedCustomers | None"):
    if archived is None:
        return f
    f = f or q.CustomerFilter()
    f.archived = archived.value
    return f
