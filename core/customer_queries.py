"""Reading customers: the filtered, ordered list behind the left panel, its count, and the
batched lookups the GraphQL loaders call. Everything returns plain rows."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, and_, exists, func, or_, select

from core import custom_fields
from core import customer_counts as counts
from core.access import can, visible_customer_ids, visible_customers
from core.auth import Principal
from core.customer_search import CANDIDATES, search_condition
from core.errors import InvalidInput, Problem
from core.filters import Prepared
from core.models import (
    Customer as C,
)
from core.models import (
    CustomerAddress,
    CustomerContact,
    CustomerFolder,
    CustomerTag,
    CustomerWorker,
    CustomFieldDefinition,
    Folder,
    Status,
    Tag,
    Tenant,
    Worker,
)
from core.pagination import Page, PageRequest, Walk, plan_walk, run_walk

ORDER_COLUMNS = {
    "NAME": (C.sort_name, False),
    "CREATED_AT": (C.created_at, False),
    "UPDATED_AT": (C.updated_at, False),
    "FOLLOW_UP_AT": (C.follow_up_at, True),
}

# What search reads is no column of the API.
LIST_COLUMNS = [
    c for c in C.__table__.columns if c.key not in ("search_text", "contact_search_text")
]


@dataclass
class FieldPredicate:
    key: str
    equals: str | None = None
    one_of: list[str] | None = None
    minimum: str | None = None
    maximum: str | None = None


@dataclass
class CustomerFilter:
    search: str | None = None
    kinds: list[str] | None = None
    status_ids: list[int] | None = None
    folder_ids: list[int] | None = None
    tag_ids_any: list[int] | None = None
    tag_ids_all: list[int] | None = None
    worker_ids: list[int] | None = None
    unassigned: bool | None = None
    parent_id: int | None = None
    has_parent: bool | None = None
    blocked: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    follow_up_after: datetime | None = None
    follow_up_before: datetime | None = None
    custom_fields: list[FieldPredicate] = field(default_factory=list)
    # EXCLUDE, INCLUDE or ONLY; None: EXCLUDE unless `where` names an archive field.
    archived: str | None = None


ARCHIVED = {
    "EXCLUDE": C.archived_at.is_(None),
    "ONLY": C.archived_at.is_not(None),
    "INCLUDE": None,
}


def archived_condition(f: CustomerFilter | None, where: Prepared | None = None):
    """Which customers the archive leaves in: the live ones unless asked for otherwise."""
    mode = f.archived if f is not None else None
    if mode is None:
        if where is not None and where.asks_for_archived:
            return None
        mode = "EXCLUDE"
    if mode not in ARCHIVED:
        raise InvalidInput.one(("archived",), f"Unknown archive mode {mode}.", "INVALID_VALUE")
    return ARCHIVED[mode]


def _filter_conditions(dialect: str, f: CustomerFilter, definitions: dict[str, dict]) -> list:
    conditions = []
    if f.kinds:
        conditions.append(C.kind.in_(f.kinds))
    if f.status_ids:
        conditions.append(C.status_id.in_(f.status_ids))
    if f.folder_ids:
        conditions.append(
            exists().where(
                CustomerFolder.customer_id == C.id, CustomerFolder.folder_id.in_(f.folder_ids)
            )
        )
    if f.tag_ids_any:
        conditions.append(
            exists().where(CustomerTag.customer_id == C.id, CustomerTag.tag_id.in_(f.tag_ids_any))
        )
    for tag_id in f.tag_ids_all or []:
        conditions.append(
            exists().where(CustomerTag.customer_id == C.id, CustomerTag.tag_id == tag_id)
        )
    if f.worker_ids:
        conditions.append(
            exists().where(
                CustomerWorker.customer_id == C.id, CustomerWorker.worker_id.in_(f.worker_ids)
            )
        )
    if f.unassigned is not None:
        assigned = exists().where(CustomerWorker.customer_id == C.id)
        conditions.append(~assigned if f.unassigned else assigned)
    if f.parent_id is not None:
        conditions.append(C.parent_id == f.parent_id)
    if f.has_parent is not None:
        conditions.append(C.parent_id.is_not(None) if f.has_parent else C.parent_id.is_(None))
    if f.blocked is not None:
        conditions.append(C.blocked.is_(f.blocked))
    for column, low, high in (
        (C.created_at, f.created_after, f.created_before),
        (C.follow_up_at, f.follow_up_after, f.follow_up_before),
    ):
        if low is not None:
            conditions.append(column >= low)
        if high is not None:
            conditions.append(column < high)
    problems = []
    for index, p in enumerate(f.custom_fields):
        path = ("filter", "customFields", str(index))
        defn = definitions.get(p.key)
        if defn is None:
            problems.append(Problem(path, f"There is no custom field '{p.key}'.", "NOT_FOUND"))
            continue
        try:
            conditions.append(
                custom_fields.predicate(dialect, defn, p.equals, p.one_of, p.minimum, p.maximum)
            )
        except custom_fields.ValueError_ as exc:
            problems.append(Problem(path, f"{defn['label']}: {exc}.", "INVALID"))
    if problems:
        raise InvalidInput(problems)
    return conditions


def field_definitions_query(tenant_id: int) -> Select:
    return (
        select(CustomFieldDefinition.__table__)
        .where(CustomFieldDefinition.tenant_id == tenant_id)
        .order_by(CustomFieldDefinition.position, CustomFieldDefinition.id)
    )


async def field_definitions(conn, tenant_id: int) -> list[dict]:
    rows = await conn.execute(field_definitions_query(tenant_id))
    return [dict(r) for r in rows.mappings()]


async def check_statuses(conn, principal: Principal, status_ids: list[int]) -> None:
    """A folder's status in `statusIds` would match nothing (customers hold their folder
    statuses on the membership): say so instead of answering an empty list."""
    rows = await conn.execute(
        select(Status.id).where(
            Status.tenant_id == principal.tenant_id,
            Status.id.in_(status_ids),
            Status.folder_id.is_not(None),
        )
    )
    wrong = {row.id for row in rows}
    problems = [
        Problem(
            ("filter", "statusIds", str(index)),
            'This is a folder\'s status: filter on it with `where: {field: "folderStatus"}`.',
            "INVALID_VALUE",
        )
        for index, status_id in enumerate(status_ids)
        if status_id in wrong
    ]
    if problems:
        raise InvalidInput(problems)


async def customer_conditions(
    conn,
    principal: Principal,
    f: CustomerFilter | None,
    search_candidates: int = CANDIDATES,
    page_size: int | None = None,
    where: Prepared | None = None,
) -> list:
    """What the list asks beyond visibility: the filter, then the `where` tree (both must
    hold). A worker who chose not to see sub-customers in the list sees them only when
    asking for them. The search comes last: how it is looked up depends on the others
    (`core/customer_search.py`)."""
    conditions = []
    archived = archived_condition(f, where)
    if archived is not None:
        conditions.append(archived)
    asks_for_children = f is not None and (f.parent_id is not None or f.has_parent is not None)
    asks_for_children = asks_for_children or (where is not None and where.asks_for_children)
    if not principal.show_sub_customers and not asks_for_children:
        conditions.append(C.parent_id.is_(None))
    if where is not None and where.condition is not None:
        conditions.append(where.condition)
    if f is not None:
        if f.status_ids:
            await check_statuses(conn, principal, f.status_ids)
        definitions = {}
        if f.custom_fields:
            definitions = {d["key"]: d for d in await field_definitions(conn, principal.tenant_id)}
        conditions += _filter_conditions(conn.dialect.name, f, definitions)
        if f.search and f.search.strip():
            search = search_condition(
                conn, f.search, principal, conditions, search_candidates, page_size
            )
            conditions.append(await search)
    return conditions


async def filtered_customers(
    conn,
    principal: Principal,
    f: CustomerFilter | None,
    walking: bool = False,
    search_candidates: int = CANDIDATES,
    page_size: int | None = None,
    where: Prepared | None = None,
) -> Select:
    """The select of visible customers matching `f` and `where` (no order, no limit);
    `walking` for a page (see `visible_customers`)."""
    conditions = await customer_conditions(conn, principal, f, search_candidates, page_size, where)
    return select(*LIST_COLUMNS).where(visible_customers(principal, walking), *conditions)


async def list_customers(
    conn,
    principal: Principal,
    f: CustomerFilter | None,
    page: PageRequest,
    order_by: str = "CREATED_AT",
    descending: bool = True,
    search_candidates: int = CANDIDATES,
    where: Prepared | None = None,
    extra_columns: Sequence = (),
) -> Page:
    """A page by one of `ORDER_COLUMNS`, or by `where.sort` (any sortable field of the
    filter language; the id breaks ties, and the cursors name the field). `extra_columns`
    (labelled expressions, e.g. an export's module summaries) ride along in the rows."""
    walk = await customer_walk(
        conn, principal, f, page, order_by, descending, search_candidates, where, extra_columns
    )
    return await run_walk(conn, walk)


async def customer_walk(
    conn,
    principal: Principal,
    f: CustomerFilter | None,
    page: PageRequest,
    order_by: str = "CREATED_AT",
    descending: bool = True,
    search_candidates: int = CANDIDATES,
    where: Prepared | None = None,
    extra_columns: Sequence = (),
    bounds: tuple | None = None,
) -> Walk:
    """`list_customers`' selects, not run (the compiled path builds its answer around them;
    `bounds`: `plan_walk`'s)."""
    size = page.validated().size
    query = await filtered_customers(conn, principal, f, True, search_candidates, size, where)
    if extra_columns:
        query = query.add_columns(*extra_columns)
    sort = where.sort if where is not None else None
    if sort is not None and sort.name is not None:
        expression, valued_id = sort.expression, None
        if sort.backing is not None:
            # A value kept in a per-customer table: join it, so the rows with a value are
            # a walk of its `(tenant_id, column, customer_id)` index (the ids are equal in
            # the join), not the value computed for every customer and sorted.
            expression, tenant_id = sort.backing
            table = expression.table
            on = and_(table.c.customer_id == C.id, table.c.tenant_id == tenant_id)
            query, valued_id = query.outerjoin(table, on), table.c.customer_id
        query = query.add_columns(expression.label("sort_value"))
        return plan_walk(
            query,
            page,
            expression,
            C.id,
            descending,
            sort.nullable,
            name=sort.name,
            value_key="sort_value",
            valued_id_column=valued_id,
            bounds=bounds,
        )
    column, nullable = (sort.expression, sort.nullable) if sort else ORDER_COLUMNS[order_by]
    return plan_walk(query, page, column, C.id, descending, nullable, bounds=bounds)


async def count_customers(
    conn,
    principal: Principal,
    f: CustomerFilter | None,
    cap: int,
    search_candidates: int = CANDIDATES,
    where: Prepared | None = None,
) -> counts.Count:
    """Exact from the tenant's counters when they answer `f` for this principal
    (`core/customer_counts.py`); a restricted worker's whole list from their links alone (an
    index-only union) rather than by testing every customer; otherwise the matching visible
    rows, counted up to `cap`."""
    key = counts.counter_key(f) if can(principal, "customers.view_all") else None
    if where is not None and where.condition is not None:
        key = None
    if key is not None:
        value = await counts.counted(conn, principal.tenant_id, key, principal.show_sub_customers)
        return counts.Count(value)
    conditions = await customer_conditions(conn, principal, f, search_candidates, where=where)
    counted = visible_customer_ids(principal)
    if counted is not None and len(conditions) == 1 and conditions[0] is ARCHIVED["EXCLUDE"]:
        return await _live_of(conn, principal, counted, cap)
    if counted is None or conditions:
        counted = select(C.id).where(visible_customers(principal), *conditions)
    return await counts.capped(conn, counted, cap)


async def _live_of(conn, principal: Principal, visible_ids: Select, cap: int) -> counts.Count:
    """A restricted worker's whole list: their links' ids (index-only) less the archived
    ones among them (few, from the archived rows' partial index)."""
    archived = await conn.scalar(
        select(func.count()).where(
            C.tenant_id == principal.tenant_id,
            C.archived_at.is_not(None),
            C.id.in_(visible_ids),
        )
    )
    found = await counts.capped(conn, visible_ids, cap + archived)
    if not found.exact:
        return counts.Count(cap, exact=False)
    return counts.Count(found.value - archived)


async def customers_by_ids(conn, principal: Principal, ids: Sequence[int]) -> dict[int, dict]:
    rows = await conn.execute(
        select(*LIST_COLUMNS).where(visible_customers(principal), C.id.in_(ids))
    )
    return {r["id"]: dict(r) for r in rows.mappings()}


def sub_customer_counts_query(principal: Principal, ids) -> Select:
    return (
        select(C.parent_id, func.count().label("n"))
        .where(visible_customers(principal), C.parent_id.in_(ids), C.archived_at.is_(None))
        .group_by(C.parent_id)
    )


async def sub_customer_counts(conn, principal: Principal, ids: Sequence[int]) -> dict[int, int]:
    rows = await conn.execute(sub_customer_counts_query(principal, ids))
    return {key: count for key, count in rows}


async def _grouped(conn, query, key: str) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = defaultdict(list)
    for row in (await conn.execute(query)).mappings():
        grouped[row[key]].append(dict(row))
    return grouped


def tags_query(tenant_id: int, customer_ids) -> Select:
    return (
        select(CustomerTag.customer_id, *Tag.__table__.columns)
        .join(Tag, Tag.id == CustomerTag.tag_id)
        .where(CustomerTag.tenant_id == tenant_id, CustomerTag.customer_id.in_(customer_ids))
        .order_by(Tag.position, Tag.name)
    )


async def tags_of(conn, tenant_id: int, customer_ids: Sequence[int]) -> dict[int, list[dict]]:
    return await _grouped(conn, tags_query(tenant_id, customer_ids), "customer_id")


def workers_query(tenant_id: int, customer_ids) -> Select:
    return (
        select(CustomerWorker.customer_id, CustomerWorker.assigned_at, *Worker.__table__.columns)
        .join(Worker, Worker.id == CustomerWorker.worker_id)
        .where(CustomerWorker.tenant_id == tenant_id, CustomerWorker.customer_id.in_(customer_ids))
        .order_by(Worker.position, Worker.name)
    )


async def workers_of(conn, tenant_id: int, customer_ids: Sequence[int]) -> dict[int, list[dict]]:
    return await _grouped(conn, workers_query(tenant_id, customer_ids), "customer_id")


def memberships_query(tenant_id: int, customer_ids) -> Select:
    """Folder memberships with the folder's columns and the membership's own status id."""
    return (
        select(
            CustomerFolder.customer_id,
            CustomerFolder.status_id.label("membership_status_id"),
            CustomerFolder.added_at,
            *Folder.__table__.columns,
        )
        .join(Folder, Folder.id == CustomerFolder.folder_id)
        .where(CustomerFolder.tenant_id == tenant_id, CustomerFolder.customer_id.in_(customer_ids))
        .order_by(Folder.position, Folder.id)
    )


async def memberships_of(
    conn, tenant_id: int, customer_ids: Sequence[int]
) -> dict[int, list[dict]]:
    return await _grouped(conn, memberships_query(tenant_id, customer_ids), "customer_id")


def contacts_query(tenant_id: int, customer_ids) -> Select:
    """Contact people, the primary first, then in their order."""
    return (
        select(CustomerContact.__table__)
        .where(
            CustomerContact.tenant_id == tenant_id, CustomerContact.customer_id.in_(customer_ids)
        )
        .order_by(CustomerContact.is_primary.desc(), CustomerContact.position, CustomerContact.id)
    )


async def contacts_of(conn, tenant_id: int, customer_ids: Sequence[int]) -> dict[int, list[dict]]:
    return await _grouped(conn, contacts_query(tenant_id, customer_ids), "customer_id")


async def contacts_by_ids(conn, principal: Principal, ids: Sequence[int]) -> dict[int, dict]:
    """Contacts of customers the principal may see."""
    rows = await conn.execute(
        select(CustomerContact.__table__)
        .join(C, C.id == CustomerContact.customer_id)
        .where(visible_customers(principal), CustomerContact.id.in_(ids))
    )
    return {r["id"]: dict(r) for r in rows.mappings()}


def addresses_query(tenant_id: int, customer_ids) -> Select:
    return select(CustomerAddress.__table__).where(
        CustomerAddress.tenant_id == tenant_id, CustomerAddress.customer_id.in_(customer_ids)
    )


async def addresses_of(conn, tenant_id: int, customer_ids: Sequence[int]) -> dict[int, list[dict]]:
    return await _grouped(conn, addresses_query(tenant_id, customer_ids), "customer_id")


async def rows_by_ids(conn, model, tenant_id: int, ids: Sequence[int]) -> dict[int, dict]:
    rows = await conn.execute(
        select(model.__table__).where(model.tenant_id == tenant_id, model.id.in_(ids))
    )
    return {r["id"]: dict(r) for r in rows.mappings()}


async def statuses(conn, tenant_id: int, folder_ids: Sequence[int | None]) -> dict:
    """Status lists keyed by folder id (None: the tenant's own list), in order."""
    folder_keys = [f for f in folder_ids if f is not None]
    condition = Status.folder_id.in_(folder_keys)
    if None in folder_ids:
        condition = or_(condition, Status.folder_id.is_(None))
    query = (
        select(Status.__table__)
        .where(Status.tenant_id == tenant_id, condition)
        .order_by(Status.position, Status.id)
    )
    return await _grouped(conn, query, "folder_id")


async def folder_customer_counts(conn, principal: Principal, folder_ids: Sequence[int]) -> dict:
    if can(principal, "customers.view_all"):
        return await counts.counted_by_ref(conn, principal.tenant_id, "folder", folder_ids)
    rows = await conn.execute(
        select(CustomerFolder.folder_id, func.count())
        .join(C, C.id == CustomerFolder.customer_id)
        .where(
            visible_customers(principal),
            CustomerFolder.folder_id.in_(folder_ids),
            C.archived_at.is_(None),
        )
        .group_by(CustomerFolder.folder_id)
    )
    return {key: count for key, count in rows}


async def tenants_by_ids(conn, ids: Sequence[int]) -> dict[int, dict]:
    rows = await conn.execute(select(Tenant.__table__).where(Tenant.id.in_(ids)))
    return {r["id"]: dict(r) for r in rows.mappings()}


async def ordered(conn, model, tenant_id: int) -> list[dict]:
    """A tenant's folders, tags or workers in their list order."""
    rows = await conn.execute(
        select(model.__table__)
        .where(model.tenant_id == tenant_id)
        .order_by(model.position, model.id)
    )
    return [dict(r) for r in rows.mappings()]
