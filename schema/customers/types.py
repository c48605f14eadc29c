"""The `Customer` type and what hangs off it. Related rows load through the request's
DataLoaders, so a page of 50 costs the statements of a page of 5."""

from datetime import date as Date
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Private

from core import custom_fields
from core import customer_queries as q
from core.pagination import PageRequest
from schema.catalog.types import CustomFieldDefinition, Folder, Status, Tag
from schema.context import Info
from schema.relay import Connection, Node, connection
from schema.team.types import Worker


@strawberry.enum(description="A lead is a prospect; converting makes it a customer.")
class CustomerKind(Enum):
    LEAD = "LEAD"
    CUSTOMER = "CUSTOMER"


@strawberry.type(description="A phone number or an email address with its label.")
class ContactPoint:
    label: str | None = strawberry.field(description="E.g. `mobile`, `work`.")
    value: str
    primary: bool = strawberry.field(description="Exactly one of a non-empty list is primary.")


@strawberry.type(description="A customer's place in a folder, with the folder's own status.")
class FolderMembership:
    folder: Folder
    added_at: datetime
    status_id: Private[int | None]

    @strawberry.field(description="The customer's status in this folder's status list.")
    async def status(self, info: Info) -> Status | None:
        if self.status_id is None:
            return None
        row = await info.context.loaders.status.load(self.status_id)
        return Status.from_row(row) if row else None


@strawberry.type(
    description="A custom field shown on this customer, with its value in the field that "
    "matches the definition's type (the others are null)."
)
class CustomFieldValue:
    definition: CustomFieldDefinition
    text: str | None = strawberry.field(description="TEXT, LONG_TEXT and SINGLE_SELECT.")
    number: float | None
    date: Date | None
    date_time: datetime | None
    boolean: bool | None
    options: list[str] | None = strawberry.field(description="MULTI_SELECT (in option order).")

    @classmethod
    def of(cls, defn: dict, stored) -> "CustomFieldValue":
        value = custom_fields.typed(defn, stored)
        kind = defn["type"]
        return cls(
            definition=CustomFieldDefinition.from_row(defn),
            text=value if kind in ("TEXT", "LONG_TEXT", "SINGLE_SELECT") else None,
            number=value if kind == "NUMBER" else None,
            date=value if kind == "DATE" else None,
            date_time=value if kind == "DATE_TIME" else None,
            boolean=value if kind == "BOOLEAN" else None,
            options=value if kind == "MULTI_SELECT" else None,
        )


def _contacts(items) -> list[ContactPoint]:
    return [
        ContactPoint(label=i.get("label"), value=i["value"], primary=i["primary"]) for i in items
    ]


@strawberry.type(description="A lead or customer of the business.")
class Customer(Node):
    kind: CustomerKind
    name: str
    avatar_url: str | None
    phones: list[ContactPoint]
    emails: list[ContactPoint]
    company: str | None
    lead_source: str | None
    city: str | None
    notes: str | None
    follow_up_at: datetime | None
    blocked: bool
    blocked_reason: str | None
    blocked_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = strawberry.field(
        description="Grows with every change; send it as `expectedVersion` to refuse stale edits."
    )
    status_id: Private[int | None]
    parent_id: Private[int | None]
    values: Private[dict]

    @classmethod
    def from_row(cls, row) -> "Customer":
        return cls(
            pk=row["id"],
            kind=CustomerKind(row["kind"]),
            name=row["name"],
            avatar_url=row["avatar_url"],
            phones=_contacts(row["phones"] or []),
            emails=_contacts(row["emails"] or []),
            company=row["company"],
            lead_source=row["lead_source"],
            city=row["city"],
            notes=row["notes"],
            follow_up_at=row["follow_up_at"],
            blocked=row["blocked"],
            blocked_reason=row["blocked_reason"],
            blocked_at=row["blocked_at"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            version=row["version"],
            status_id=row["status_id"],
            parent_id=row["parent_id"],
            values=row["custom_fields"] or {},
        )

    @strawberry.field(description="The primary phone, if any.")
    def primary_phone(self) -> str | None:
        return next((p.value for p in self.phones if p.primary), None)

    @strawberry.field(description="The primary email, if any.")
    def primary_email(self) -> str | None:
        return next((e.value for e in self.emails if e.primary), None)

    @strawberry.field(description="Status from the tenant's customer status list.")
    async def status(self, info: Info) -> Status | None:
        if self.status_id is None:
            return None
        row = await info.context.loaders.status.load(self.status_id)
        return Status.from_row(row) if row else None

    @strawberry.field
    async def tags(self, info: Info) -> list[Tag]:
        return [Tag.from_row(r) for r in await info.context.loaders.tags_of.load(self.pk)]

    @strawberry.field(description="Folders the customer is in, each with its folder status.")
    async def folders(self, info: Info) -> list[FolderMembership]:
        rows = await info.context.loaders.memberships_of.load(self.pk)
        return [
            FolderMembership(
                folder=Folder.from_row(r),
                added_at=r["added_at"],
                status_id=r["membership_status_id"],
            )
            for r in rows
        ]

    @strawberry.field(description="Workers assigned to this customer.")
    async def workers(self, info: Info) -> list[Worker]:
        return [Worker.from_row(r) for r in await info.context.loaders.workers_of.load(self.pk)]

    @strawberry.field(description="The customer this one is a sub-customer of.")
    async def parent(self, info: Info) -> "Customer | None":
        if self.parent_id is None:
            return None
        row = await info.context.loaders.customer.load(self.parent_id)
        return Customer.from_row(row) if row else None

    @strawberry.field(description="How many direct sub-customers this customer has.")
    async def sub_customer_count(self, info: Info) -> int:
        return await info.context.loaders.sub_customer_count.load(self.pk)

    @strawberry.field(description="Direct sub-customers, by name.")
    async def sub_customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection["Customer"]:
        page = PageRequest(first, after, last, before)
        return await customer_page(info, q.CustomerFilter(parent_id=self.pk), page, "NAME", False)

    @strawberry.field(
        description="Custom fields shown for this customer (its folders and the fields' "
        "conditions decide), in order, with their values (null values included)."
    )
    async def custom_fields(self, info: Info) -> list[CustomFieldValue]:
        loaders = info.context.loaders
        definitions = await loaders.field_definitions.load(0)
        if not definitions:
            return []
        folder_ids = [r["id"] for r in await loaders.memberships_of.load(self.pk)]
        shown = custom_fields.visible(definitions, folder_ids, self.values)
        return [CustomFieldValue.of(d, self.values.get(d["key"])) for d in shown]


async def customer_page(
    info: Info, f: q.CustomerFilter | None, page: PageRequest, order: str, descending: bool
) -> Connection[Customer]:
    ctx = info.context
    principal = ctx.principal
    async with ctx.read() as conn:
        result = await q.list_customers(conn, principal, f, page, order, descending)

    async def count() -> int:
        async with ctx.read() as conn:
            return await q.count_customers(conn, principal, f)

    return connection(result, Customer.from_row, count)
