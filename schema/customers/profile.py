"""`customer(id:)` reads the customer together with what its selected fields show (folders,
tags, workers, statuses, custom field definitions, the parent, the sub-customer count, the
tabs' badges) in one statement, and primes the request's loaders with it: the resolvers of
`Customer` then find everything there, as they do on any other path."""

from sqlalchemy import or_, select, union_all
from sqlalchemy.orm import aliased

from core import customer_queries as q
from core import multiread
from core.access import visible_customers
from core.models import Customer as C
from core.models import CustomerFolder, Status
from schema import overview
from schema.context import Context, Info
from schema.tabs import add_badge_rows, badge_queries

RELATIONS = frozenset(
    {
        "status",
        "tags",
        "folders",
        "workers",
        "parent",
        "subCustomerCount",
        "customFields",
        "profileTabs",
        "contacts",
        "primaryContact",
        "billingAddress",
        "shippingAddress",
    }
)
MEMBERSHIPS = frozenset({"folders", "customFields", "profileTabs"})


async def load_customer(info: Info, pk: int) -> dict | None:
    """The customer's row (None if unknown or not visible), its selected relations primed."""
    wanted = overview.plan(
        info, "core.profile", lambda fields: RELATIONS & {f.name for f in fields}
    )
    if wanted:
        await overview.read_once(info, "core.profile", pk, frozenset(wanted), read_profiles)
    return await info.context.loaders.customer.load(pk)


def _statuses(tenant_id: int, seen, wanted: frozenset[str]):
    """The customers' statuses, their folder memberships' and, for `folders`, the whole
    status lists of those folders (`Folder.statuses`)."""
    links = select(CustomerFolder.status_id).where(CustomerFolder.customer_id.in_(seen))
    shown = [
        Status.id.in_(select(C.status_id).where(C.id.in_(seen))),
        Status.id.in_(links),
    ]
    if "folders" in wanted:
        folders = select(CustomerFolder.folder_id).where(CustomerFolder.customer_id.in_(seen))
        shown.append(Status.folder_id.in_(folders))
    return (
        select(Status.__table__)
        .where(Status.tenant_id == tenant_id, or_(*shown))
        .order_by(Status.position, Status.id)
    )


async def read_profiles(conn, ctx: Context, ids: list[int], wanted: frozenset[str]) -> None:
    principal, loaders = ctx.principal, ctx.loaders
    tenant_id = principal.tenant_id
    seen_cte = select(C.id).where(visible_customers(principal), C.id.in_(ids)).cte("seen")
    seen = select(seen_cte.c.id)
    shown = C.id.in_(ids)
    if "parent" in wanted:  # one IN over a union: an OR of two would scan the tenant
        child = aliased(C)
        asked = select(child.id).where(child.tenant_id == tenant_id, child.id.in_(ids))
        parents = select(child.parent_id).where(child.tenant_id == tenant_id, child.id.in_(ids))
        shown = C.id.in_(union_all(asked, parents))
    parts = {"customers": select(*q.LIST_COLUMNS).where(visible_customers(principal), shown)}
    if wanted & MEMBERSHIPS:
        parts["memberships"] = q.memberships_query(tenant_id, seen)
    if "tags" in wanted:
        parts["tags"] = q.tags_query(tenant_id, seen)
    if "workers" in wanted:
        parts["workers"] = q.workers_query(tenant_id, seen)
    if wanted & {"contacts", "primaryContact"}:
        parts["contacts"] = q.contacts_query(tenant_id, seen)
    if wanted & {"billingAddress", "shippingAddress"}:
        parts["addresses"] = q.addresses_query(tenant_id, seen)
    if "subCustomerCount" in wanted:
        parts["sub_customer_counts"] = q.sub_customer_counts_query(principal, seen)
    if "customFields" in wanted:
        parts["definitions"] = q.field_definitions_query(tenant_id)
    if wanted & {"status", "folders"}:
        parts["statuses"] = _statuses(tenant_id, seen, wanted)
    badges = {}
    if "profileTabs" in wanted and not _counted_apart(ctx):
        badges = badge_queries(ctx.plugins, principal, seen)
        parts.update({("badge", tab): query for tab, query in badges.items()})
    found = dict(zip(parts, await multiread.read(conn, list(parts.values())), strict=True))

    rows = {row["id"]: row for row in found["customers"]}
    visible = [i for i in ids if i in rows]
    parents = {rows[i]["parent_id"] for i in visible} if "parent" in wanted else set()
    for customer_id in {*ids, *rows, *parents} - {None}:  # a parent not read is not visible
        loaders.customer.prime(customer_id, rows.get(customer_id))
    for part, loader in (
        ("memberships", loaders.memberships_of),
        ("tags", loaders.tags_of),
        ("workers", loaders.workers_of),
        ("contacts", loaders.contacts_of),
        ("addresses", loaders.addresses_of),
    ):
        if part in found:
            grouped = overview.grouped(found[part])
            for customer_id in visible:
                loader.prime(customer_id, grouped.get(customer_id, []))
    if "sub_customer_counts" in found:
        counts = overview.by_customer(found["sub_customer_counts"])
        for customer_id in visible:
            loaders.sub_customer_count.prime(customer_id, counts.get(customer_id, 0))
    if "definitions" in found:
        loaders.field_definitions.prime(0, found["definitions"])
    if "statuses" in found:
        _prime_statuses(ctx, found["statuses"], found.get("memberships", []), wanted)
    if badges:
        counts = {customer_id: {} for customer_id in visible}
        add_badge_rows(counts, badges, [found["badge", tab] for tab in badges])
        for customer_id, by_tab in counts.items():
            loaders.badges.prime(customer_id, by_tab)


def _prime_statuses(ctx: Context, statuses: list[dict], memberships, wanted) -> None:
    loaders = ctx.loaders
    for row in statuses:
        loaders.status.prime(row["id"], row)
    if "folders" not in wanted:
        return
    lists = overview.grouped(statuses, "folder_id")
    for membership in memberships:
        loaders.statuses_of.prime(membership["id"], lists.get(membership["id"], []))


def _counted_apart(ctx: Context) -> bool:
    """Whether an enabled module still counts its badges itself (`hub_badge_counts`)."""
    if ctx.plugins is None:
        return False
    caller = ctx.plugins.caller("hub_badge_counts", ctx.principal.modules)
    return bool(caller.get_hookimpls())
