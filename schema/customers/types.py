"""The `Customer` type and what hangs off it. Related rows load through the request's
DataLoaders, so a page of 50 costs the statements of a page of 5."""

from datetime import date as Date
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import Private
from strawberry.types.nodes import SelectedField

from core import custom_fields, filters
from core import customer_queries as q
from core.customer_counts import Count
from core.pagination import PageRequest, run_walk
from schema.avatar_links import DESCRIPTION as AVATAR_DESCRIPTION
from schema.avatar_links import AvatarSize, avatar_url
from schema.catalog.types import CustomFieldDefinition, Folder, Status, Tag
from schema.context import Info
from schema.customers.standard import (
    Address,
    CommunicationPreferences,
    CustomerContact,
    PaymentPreferences,
    address_of,
    communication_of,
    payment_of,
)
from schema.customers.viewer import CustomerViewerCan, viewer_can
from schema.customers.where import decode_id
from schema.relay import Connection, Node, connection
from schema.tabs import ProfileTab, shown_tabs, tabs_with_counts
from schema.team.types import Worker
from schema.timeline import TIMELINE_DESCRIPTION, TimelineEntry, TimelineFilter
from schema.timeline import timeline as customer_timeline

if TYPE_CHECKING:
    from schema.files import StoredFile
    from schema.segments.types import Segment


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
    ready: Private[dict]

    @strawberry.field(description="The customer's status in this folder's status list.")
    def status(self, info: Info) -> Status | None:
        return self.ready["status"] if "status" in self.ready else _status_of(info, self.status_id)


async def _status_of(info: Info, status_id: int | None) -> Status | None:
    if status_id is None:
        return None
    row = await info.context.loaders.status.load(status_id)
    return Status.from_row(row) if row else None


def _membership(row) -> FolderMembership:
    return FolderMembership(
        folder=Folder.from_row(row),
        added_at=row["added_at"],
        status_id=row["membership_status_id"],
        ready={},
    )


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


def _primary(contacts: list[CustomerContact]) -> CustomerContact | None:
    return contacts[0] if contacts and contacts[0].primary else None


@strawberry.type(description="A lead or customer of the business.")
class Customer(Node):
    kind: CustomerKind
    name: str
    stored_avatar_url: Private[str | None]
    avatar_key: Private[str | None]
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
    salutation: str | None = strawberry.field(description='E.g. "Dr.", "Ms.".')
    job_title: str | None
    date_of_birth: Date | None
    website: str | None = strawberry.field(description="Normalised, with its scheme.")
    industry: str | None
    payment: PaymentPreferences
    communication: CommunicationPreferences
    created_at: datetime
    updated_at: datetime
    version: int = strawberry.field(
        description="Grows with every change; send it as `expectedVersion` to refuse stale edits."
    )
    archived_at: datetime | None = strawberry.field(
        description="When it was archived (`archiveCustomer`); null for a live customer. An "
        "archived customer is out of lists and counts until `restoreCustomer`."
    )
    external_id: str | None = strawberry.field(
        default=None,
        description="The customer's id in another system (imports match on it); unique in "
        "the tenant.",
    )
    status_id: Private[int | None]
    parent_id: Private[int | None]
    archived_by_id: Private[int | None]
    values: Private[dict]
    ready: Private[dict]

    @strawberry.field(description=AVATAR_DESCRIPTION)
    def avatar_url(self, info: Info, size: AvatarSize = AvatarSize.SMALL) -> str | None:
        return avatar_url(info, self.avatar_key, self.stored_avatar_url, size)

    @classmethod
    def from_row(cls, row) -> "Customer":
        return cls(
            pk=row["id"],
            kind=CustomerKind(row["kind"]),
            name=row["name"],
            stored_avatar_url=row["avatar_url"],
            avatar_key=row.get("avatar_key"),
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
            salutation=row["salutation"],
            job_title=row["job_title"],
            date_of_birth=row["date_of_birth"],
            website=row["website"],
            industry=row["industry"],
            payment=payment_of(row),
            communication=communication_of(row),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            version=row["version"],
            archived_at=row.get("archived_at"),
            external_id=row.get("external_id"),
            status_id=row["status_id"],
            parent_id=row["parent_id"],
            archived_by_id=row.get("archived_by"),
            values=row["custom_fields"] or {},
            ready={},
        )

    @strawberry.field(description="The primary phone, if any.")
    def primary_phone(self) -> str | None:
        return next((p.value for p in self.phones if p.primary), None)

    @strawberry.field(description="The primary email, if any.")
    def primary_email(self) -> str | None:
        return next((e.value for e in self.emails if e.primary), None)

    # Related rows: a list page fetches them for all its rows at once (`prefetch`), so these
    # resolvers answer synchronously; a single customer loads them through the loaders.

    @strawberry.field(description="Status from the tenant's customer status list.")
    def status(self, info: Info) -> Status | None:
        return self.ready["status"] if "status" in self.ready else self._status(info)

    @strawberry.field
    def tags(self, info: Info) -> list[Tag]:
        return self.ready["tags"] if "tags" in self.ready else self._tags(info)

    @strawberry.field(description="Folders the customer is in, each with its folder status.")
    def folders(self, info: Info) -> list[FolderMembership]:
        return self.ready["folders"] if "folders" in self.ready else self._folders(info)

    @strawberry.field(description="Workers assigned to this customer.")
    def workers(self, info: Info) -> list[Worker]:
        return self.ready["workers"] if "workers" in self.ready else self._workers(info)

    @strawberry.field(description="The customer this one is a sub-customer of.")
    def parent(self, info: Info) -> "Customer | None":
        return self.ready["parent"] if "parent" in self.ready else self._parent(info)

    @strawberry.field(description="Who archived it; null when live or the worker is gone.")
    async def archived_by(self, info: Info) -> Worker | None:
        if self.archived_by_id is None:
            return None
        row = await info.context.loaders.worker.load(self.archived_by_id)
        return Worker.from_row(row) if row else None

    @strawberry.field(description="How many direct live sub-customers this customer has.")
    def sub_customer_count(self, info: Info) -> int:
        if "sub_customer_count" in self.ready:
            return self.ready["sub_customer_count"]
        return info.context.loaders.sub_customer_count.load(self.pk)

    @strawberry.field(
        description="People at this customer (usually a company), the primary one first, then "
        "in the order they were added; at most 100."
    )
    def contacts(self, info: Info) -> list[CustomerContact]:
        return self.ready["contacts"] if "contacts" in self.ready else self._contacts(info)

    @strawberry.field(description="The primary contact person, if one is marked.")
    def primary_contact(self, info: Info) -> CustomerContact | None:
        if "contacts" in self.ready:
            return _primary(self.ready["contacts"])
        return self._primary_contact(info)

    async def _primary_contact(self, info: Info) -> CustomerContact | None:
        return _primary(await self._contacts(info))

    @strawberry.field
    def billing_address(self, info: Info) -> Address | None:
        return self._address(info, "BILLING")

    @strawberry.field
    def shipping_address(self, info: Info) -> Address | None:
        return self._address(info, "SHIPPING")

    def _address(self, info: Info, kind: str):
        if "addresses" in self.ready:
            return address_of(self.ready["addresses"], kind)
        return self._load_address(info, kind)

    async def _load_address(self, info: Info, kind: str) -> Address | None:
        return address_of(await info.context.loaders.addresses_of.load(self.pk), kind)

    async def _contacts(self, info: Info) -> list[CustomerContact]:
        rows = await info.context.loaders.contacts_of.load(self.pk)
        return [CustomerContact.from_row(r) for r in rows]

    async def _status(self, info: Info) -> Status | None:
        return await _status_of(info, self.status_id)

    async def _tags(self, info: Info) -> list[Tag]:
        return [Tag.from_row(r) for r in await info.context.loaders.tags_of.load(self.pk)]

    async def _folders(self, info: Info) -> list[FolderMembership]:
        return [_membership(r) for r in await info.context.loaders.memberships_of.load(self.pk)]

    async def _workers(self, info: Info) -> list[Worker]:
        return [Worker.from_row(r) for r in await info.context.loaders.workers_of.load(self.pk)]

    async def _parent(self, info: Info) -> "Customer | None":
        if self.parent_id is None:
            return None
        row = await info.context.loaders.customer.load(self.parent_id)
        return Customer.from_row(row) if row else None

    @strawberry.field(
        description="Direct sub-customers, by name. One query per customer: select it on a "
        "profile; on a list page use `subCustomerCount`."
    )
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
        description="Files uploaded for this customer (`uploadFile`), newest first; at most "
        "100 a page (default 20). Needs `files.view`. The base of the Files tab."
    )
    async def uploaded_files(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated["StoredFile", strawberry.lazy("schema.files")]]:
        from schema.files import customer_files  # schema.files builds on this module

        return await customer_files(info, self.pk, first, after)

    @strawberry.field(
        description="The segments the customer is in, by name: its static memberships and the "
        "dynamic segments it matches now (the tenant's first `SEGMENTS_DYNAMIC_MAX` by name; "
        "one whose filter no longer holds is left out). A list page pays a few statements "
        "for all its rows."
    )
    async def segments(
        self, info: Info
    ) -> list[Annotated["Segment", strawberry.lazy("schema.segments.types")]]:
        from schema.segments.types import customer_segments  # it builds on this module

        return await customer_segments(info, self.pk)

    @strawberry.field(description=TIMELINE_DESCRIPTION)
    async def timeline(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: TimelineFilter | None = None,
    ) -> Connection[TimelineEntry]:
        return await customer_timeline(self, info, first, after, filter)

    @strawberry.field(
        description="The profile tabs this worker may open for this customer, in order, with "
        "badge counts: the enabled modules' tabs, less those the worker lacks the permission "
        "for and those one of the customer's folders hides."
    )
    async def profile_tabs(self, info: Info) -> list[ProfileTab]:
        ctx = info.context
        principal = ctx.principal
        memberships = await ctx.loaders.memberships_of.load(self.pk)
        tabs = shown_tabs(ctx.registry, principal, memberships)
        counts = await ctx.loaders.badges.load(self.pk) if len(tabs) > 1 else {}
        return tabs_with_counts(tabs, counts)

    @strawberry.field(
        description="What you may do to this customer (edit, delete, each module's actions), "
        "answered from the same rules as the mutations: grey out what they would refuse."
    )
    async def viewer_can(self, info: Info) -> CustomerViewerCan:
        return await viewer_can(info, self.pk)

    @strawberry.field(
        description="Custom fields shown for this customer (its folders and the fields' "
        "conditions decide), in order, with their values (null values included)."
    )
    def custom_fields(self, info: Info) -> list[CustomFieldValue]:
        if "custom_fields" in self.ready:
            return self.ready["custom_fields"]
        return self._custom_fields(info)

    async def _custom_fields(self, info: Info) -> list[CustomFieldValue]:
        loaders = info.context.loaders
        definitions = await loaders.field_definitions.load(0)
        memberships = await loaders.memberships_of.load(self.pk) if definitions else []
        return self.shown_fields(definitions, memberships)

    def shown_fields(self, definitions: list[dict], memberships: list[dict]):
        folder_ids = [r["id"] for r in memberships]
        shown = custom_fields.visible(definitions, folder_ids, self.values)
        return [CustomFieldValue.of(d, self.values.get(d["key"])) for d in shown]


def node_fields(info: Info) -> set[str]:
    """Names of the fields selected on the nodes of the connection this resolver returns
    (under `nodes` or `edges { node }`, fragments included)."""
    names: set[str] = set()

    def walk(selections, level: str) -> None:
        for selection in selections:
            if not isinstance(selection, SelectedField):
                walk(selection.selections, level)
            elif level == "node":
                names.add(selection.name)
            elif level == "connection" and selection.name == "nodes":
                walk(selection.selections, "node")
            elif level == "connection" and selection.name == "edges":
                walk(selection.selections, "edge")
            elif level == "edge" and selection.name == "node":
                walk(selection.selections, "node")

    for field in info.selected_fields:
        walk(field.selections, "connection")
    return names


async def prefetch(info: Info, customers: list[Customer], wanted: set[str]) -> None:
    """Load the selected relations of a whole page up front: one statement per relation,
    and the per-row resolvers then answer without a coroutine each."""
    if not customers:
        return
    loaders = info.context.loaders
    ids = [c.pk for c in customers]
    memberships = None
    if wanted & {"folders", "customFields"}:
        memberships = await loaders.memberships_of.load_many(ids)
    if "tags" in wanted:
        for customer, rows in zip(customers, await loaders.tags_of.load_many(ids), strict=True):
            customer.ready["tags"] = [Tag.from_row(r) for r in rows]
    if "workers" in wanted:
        for customer, rows in zip(customers, await loaders.workers_of.load_many(ids), strict=True):
            customer.ready["workers"] = [Worker.from_row(r) for r in rows]
    if wanted & {"contacts", "primaryContact"}:
        for customer, rows in zip(customers, await loaders.contacts_of.load_many(ids), strict=True):
            customer.ready["contacts"] = [CustomerContact.from_row(r) for r in rows]
    if wanted & {"billingAddress", "shippingAddress"}:
        for customer, rows in zip(
            customers, await loaders.addresses_of.load_many(ids), strict=True
        ):
            customer.ready["addresses"] = rows
    if "subCustomerCount" in wanted:
        counts = await loaders.sub_customer_count.load_many(ids)
        for customer, count in zip(customers, counts, strict=True):
            customer.ready["sub_customer_count"] = count
    if "parent" in wanted:
        parent_ids = list({c.parent_id for c in customers if c.parent_id is not None})
        parents = dict(zip(parent_ids, await loaders.customer.load_many(parent_ids), strict=True))
        for customer in customers:
            row = parents.get(customer.parent_id)
            customer.ready["parent"] = Customer.from_row(row) if row else None
    if "customFields" in wanted:
        definitions = await loaders.field_definitions.load(0)
        for customer, rows in zip(customers, memberships, strict=True):
            customer.ready["custom_fields"] = customer.shown_fields(definitions, rows)
    status_ids = set()
    if "status" in wanted:
        status_ids |= {c.status_id for c in customers}
    if "folders" in wanted:
        status_ids |= {r["membership_status_id"] for rows in memberships for r in rows}
    status_ids.discard(None)
    statuses = {}
    if status_ids:
        rows = await loaders.status.load_many(list(status_ids))
        statuses = {r["id"]: Status.from_row(r) for r in rows if r}
    if "status" in wanted:
        for customer in customers:
            customer.ready["status"] = statuses.get(customer.status_id)
    if "folders" in wanted:
        for customer, rows in zip(customers, memberships, strict=True):
            folders = [_membership(r) for r in rows]
            for membership in folders:
                membership.ready["status"] = statuses.get(membership.status_id)
            customer.ready["folders"] = folders


async def page_walk(
    ctx,
    conn,
    f: q.CustomerFilter | None,
    page: PageRequest,
    order: str,
    descending: bool,
    where: dict | None = None,
    sort_key: str | None = None,
    bounds: tuple | None = None,
):
    """(the page's selects, the prepared `where`): what both execution paths run."""
    principal, cap = ctx.principal, ctx.settings.search_candidates
    prepared = None
    if where or sort_key:
        prepared = await filters.prepare(conn, principal, ctx.plugins, where, sort_key, decode_id)
    walk = await q.customer_walk(
        conn, principal, f, page, order, descending, cap, prepared, bounds=bounds
    )
    return walk, prepared


async def customer_page(
    info: Info,
    f: q.CustomerFilter | None,
    page: PageRequest,
    order: str,
    descending: bool,
    where: dict | None = None,
    sort_key: str | None = None,
) -> Connection[Customer]:
    ctx = info.context
    principal = ctx.principal
    cap = ctx.settings.search_candidates
    async with ctx.read() as conn:
        walk, prepared = await page_walk(ctx, conn, f, page, order, descending, where, sort_key)
        result = await run_walk(conn, walk)
    customers = [Customer.from_row(r) for r in result.rows]
    await prefetch(info, customers, node_fields(info))

    async def count() -> Count:
        async with ctx.read() as conn:
            count_cap = ctx.settings.count_cap
            return await q.count_customers(conn, principal, f, count_cap, cap, prepared)

    return connection(result, customers, count)
