"""Writing customers. Each function runs inside the caller's transaction and raises
`InvalidInput` / `NotFound` before anything is flushed, so a failed mutation writes nothing.

Every change to a customer or its links bumps its `version` and `updated_at`. This module
holds the customer row's own rules (create, update, erase, status, block) and the helpers
that `core/customer_links.py` (folders, tags, workers) and `core/sub_customers.py` share."""

from collections.abc import Iterable, Sequence
from types import SimpleNamespace

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from core import (
    access,
    custom_fields,
    duplicates,
    file_jobs,
    identities,  # noqa: F401 (its listener keeps customer_identities)
    standard_fields,
)
from core.auth import Principal
from core.contacts import normalize_contacts, search_text
from core.customer_queries import field_definitions
from core.errors import Forbidden, InvalidInput, NotFound, Problem, camel
from core.events import Event, emit
from core.json_rows import typed
from core.models import (
    Customer,
    CustomerFolder,
    CustomerTag,
    CustomerWorker,
    Folder,
    Status,
    Tag,
    Worker,
    utcnow,
)

KINDS = ("LEAD", "CUSTOMER")
MAX_BULK = 500
MAX_PARENT_DEPTH = 20
SUB_CUSTOMER_COPYABLE = (
    "company",
    "city",
    "lead_source",
    "phones",
    "emails",
    "status",
    "folders",
    "tags",
    "workers",
    "custom_fields",
    "industry",
    "website",
    "payment",
    "billing_address",
    "shipping_address",
)
PLAIN_FIELDS = ("avatar_url", "company", "lead_source", "city", "notes", "follow_up_at")
TEXT_LIMITS = {
    "name": 200,
    "avatar_url": 2000,
    "company": 200,
    "lead_source": 100,
    "city": 100,
    "notes": 20_000,
    "external_id": 100,
}


# --- loading and checking ---------------------------------------------------------------


async def module_hook(session: AsyncSession, hook: str, enabled_only: bool = False, **kwargs):
    """Let the modules take part (every installed one, or those the tenant enabled): the
    transaction was bound to them by `core.events.bind`."""
    plugins = session.info.get("plugins")
    if plugins is not None:
        enabled = session.info["modules"] if enabled_only else None
        await plugins.call(hook, enabled, session=session, **kwargs)


async def get_customers(
    session: AsyncSession,
    principal: Principal,
    ids: Sequence[int],
    field: str = "customerIds",
    for_edit: bool = True,
    archived_ok: bool = False,
) -> list[Customer]:
    """The visible customers with these ids, in order; a missing one is named by index. With
    `for_edit`, one the worker sees but may not change is `FORBIDDEN`, and an archived one
    `CUSTOMER_ARCHIVED` unless `archived_ok` (restore, hard delete)."""
    if len(ids) > MAX_BULK:
        raise InvalidInput.one(
            ("input", field), f"At most {MAX_BULK} customers at once.", "TOO_MANY"
        )
    query = select(Customer).where(access.visible_customers(principal), Customer.id.in_(ids))
    if for_edit:  # in id order: two bulk writes never wait for each other in a circle
        query = query.order_by(Customer.id).with_for_update(of=Customer)
    rows = await session.scalars(query)
    found = {c.id: c for c in rows}
    missing = [
        Problem(("input", field, str(i)), "Customer not found.", "NOT_FOUND")
        for i, cid in enumerate(ids)
        if cid not in found
    ]
    if missing:
        raise InvalidInput(missing)
    if for_edit:
        await _require_editable(session, principal, list(found))
        if not archived_ok:
            archived = [i for i, cid in enumerate(ids) if found[cid].archived_at is not None]
            if archived:
                raise InvalidInput([archived_problem(("input", field, str(i))) for i in archived])
    return [found[cid] for cid in dict.fromkeys(ids)]


def archived_problem(field: tuple[str, ...] = ("input",)) -> Problem:
    return Problem(field, "The customer is archived: restore it first.", "CUSTOMER_ARCHIVED")


async def _require_editable(session: AsyncSession, principal: Principal, ids: list[int]) -> None:
    if access.can(principal, "customers.view_all") and access.can(principal, "customers.edit"):
        return
    editable = set(
        await session.scalars(
            select(Customer.id).where(access.editable_customers(principal), Customer.id.in_(ids))
        )
    )
    if set(ids) - editable:
        raise Forbidden("You may see this customer but not change it.")


async def get_customer(
    session: AsyncSession,
    principal: Principal,
    customer_id: int,
    for_edit: bool = True,
    archived_ok: bool = False,
) -> Customer:
    """For editing (module writes too, through `core.records.for_update`): locked, editable
    and not archived (`CUSTOMER_ARCHIVED`) unless `archived_ok`."""
    query = select(Customer).where(access.visible_customers(principal), Customer.id == customer_id)
    if for_edit:  # PostgreSQL: a concurrent write waits here and then reads the new version
        query = query.with_for_update(of=Customer)
    customer = await session.scalar(query)
    if customer is None:
        raise NotFound("Customer")
    if for_edit:
        await _require_editable(session, principal, [customer.id])
        if customer.archived_at is not None and not archived_ok:
            raise InvalidInput([archived_problem()])
    return customer


async def _parent(session: AsyncSession, principal: Principal, parent_id: int) -> Customer:
    try:
        parent = await get_customer(session, principal, parent_id, for_edit=False)
    except NotFound as exc:
        raise InvalidInput.one(("input", "parentId"), "Customer not found.", "NOT_FOUND") from exc
    if parent.archived_at is not None:
        raise InvalidInput([archived_problem(("input", "parentId"))])
    return parent


async def _emit(session, principal: Principal, name: str, customers, **data) -> None:
    for customer in customers:
        await emit(
            session, Event(name, principal.tenant_id, customer.id, data, principal.worker_id)
        )


# The event of each link table: data `{"added": [ref], "removed": [ref]}` (see `ref`).
LINK_EVENTS = {
    CustomerFolder: "customer.folder_changed",
    CustomerTag: "customer.tags_changed",
    CustomerWorker: "customer.workers_changed",
}


def ref(row) -> dict:
    """How an event names a folder, tag, worker or status: its id, and its name at the time
    (so a history still reads right after a rename or a delete)."""
    return {"id": row.id, "name": row.name}


async def emit_link_changes(
    session: AsyncSession,
    tenant_id: int,
    actor_id: int | None,
    link,
    changes: Iterable[tuple[Customer, Sequence, Sequence]],
) -> None:
    """One event per customer whose links to folders, tags or workers (`link`) changed:
    `changes` holds (customer, rows added, rows removed); customers without either get none."""
    for customer, added, removed in changes:
        if added or removed:
            data = {"added": [ref(r) for r in added], "removed": [ref(r) for r in removed]}
            await emit(session, Event(LINK_EVENTS[link], tenant_id, customer.id, data, actor_id))


async def _status_refs(session, ids: Iterable[int | None]) -> dict[int, dict]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(Status.id, Status.name).where(Status.id.in_(wanted)))
    return {row.id: ref(row) for row in rows}


async def _emit_status_changes(
    session, principal: Principal, changes: Sequence[tuple[Customer, int | None]]
) -> None:
    """`customer.status_changed` {from: ref | null, to: ref | null} for each (customer, the
    status it had); the customer holds the new one."""
    names = await _status_refs(
        session, [before for _, before in changes] + [c.status_id for c, _ in changes]
    )
    for customer, before in changes:
        data = {"from": names.get(before), "to": names.get(customer.status_id)}
        await _emit(session, principal, "customer.status_changed", [customer], **data)


async def check_refs(
    session: AsyncSession, model, tenant_id: int, ids: Iterable[int], field: tuple[str, ...]
) -> list:
    """Rows of `model` with these ids in the tenant, or `InvalidInput` naming the unknown ones."""
    ids = list(ids)
    rows = await session.scalars(
        select(model).where(model.tenant_id == tenant_id, model.id.in_(ids))
    )
    found = {r.id: r for r in rows}
    problems = [
        Problem((*field, str(i)), f"{model.__name__} not found.", "NOT_FOUND")
        for i, ref in enumerate(ids)
        if ref not in found
    ]
    if problems:
        raise InvalidInput(problems)
    return [found[ref] for ref in dict.fromkeys(ids)]


async def _customer_status(session, tenant_id: int, status_id: int | None, field) -> int | None:
    if status_id is None:
        return await session.scalar(
            select(Status.id).where(
                Status.tenant_id == tenant_id, Status.folder_id.is_(None), Status.is_default
            )
        )
    status = await session.scalar(
        select(Status).where(Status.tenant_id == tenant_id, Status.id == status_id)
    )
    if status is None or status.folder_id is not None:
        raise InvalidInput.one(field, "Status not found in the customer status list.", "NOT_FOUND")
    return status.id


async def _folder_status(session, tenant_id: int, folder_id: int, status_id, field) -> int | None:
    if status_id is None:
        return await session.scalar(
            select(Status.id).where(
                Status.tenant_id == tenant_id, Status.folder_id == folder_id, Status.is_default
            )
        )
    found = await session.scalar(
        select(Status.id).where(
            Status.tenant_id == tenant_id, Status.id == status_id, Status.folder_id == folder_id
        )
    )
    if found is None:
        raise InvalidInput.one(field, "Status not found in this folder's status list.", "NOT_FOUND")
    return found


def _text(data: dict, key: str, problems: list[Problem], required: bool = False):
    value = data.get(key)
    if isinstance(value, str):
        value = value.strip() or None
    if required and not value:
        problems.append(Problem(("input", camel(key)), "This field is required.", "REQUIRED"))
    limit = TEXT_LIMITS.get(key)
    if value and limit and len(value) > limit:
        problems.append(Problem(("input", camel(key)), f"At most {limit} characters.", "TOO_LONG"))
    return value


def _touch(customers: Iterable[Customer]) -> None:
    now = utcnow()
    for customer in customers:
        customer.updated_at = now


async def _bump(session: AsyncSession, customers: Iterable[Customer], **values) -> None:
    """A new version (and `values`) for locked customers in one UPDATE, where the ORM would
    send one versioned UPDATE per customer (asyncpg reports no row counts for a batch): a
    bulk action's chunk of 200 spent most of its time there."""
    by_id = {c.id: c for c in customers}
    if not by_id:
        return
    now = utcnow()
    rows = await session.execute(
        update(Customer)
        .where(Customer.id.in_(list(by_id)))
        .values(updated_at=now, version=Customer.version + 1, **values)
        .returning(Customer.id, Customer.version)
        .execution_options(synchronize_session=False)
    )
    for customer_id, version in rows:
        customer = by_id[customer_id]
        for key, value in {"updated_at": now, "version": version, **values}.items():
            set_committed_value(customer, key, value)


def _refresh_search(customer: Customer) -> None:
    customer.sort_name = customer.name.lower()
    customer.search_text = search_text(
        customer.name,
        customer.company,
        customer.emails,
        customer.phones,
        customer.contact_search_text,
    )


async def _folder_ids(session, customer_id: int) -> list[int]:
    rows = await session.scalars(
        select(CustomerFolder.folder_id).where(CustomerFolder.customer_id == customer_id)
    )
    return list(rows)


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except StaleDataError as exc:
        raise InvalidInput.one(
            ("input", "expectedVersion"),
            "The customer was changed by someone else; reload it and try again.",
            "VERSION_CONFLICT",
        ) from exc


# --- create, update, delete ---------------------------------------------------------------


def new_customer_values(data: dict, problems: list[Problem]) -> dict:
    """The checked `customers` columns of a new customer that need no database (name, plain
    text, kind, phones, emails, external id, standard fields); problems are appended. Shared
    by `create_customer` and the CSV import's bulk rows, so both apply one set of rules."""
    values = {key: _text(data, key, problems) for key in PLAIN_FIELDS if key != "follow_up_at"}
    values["name"] = _text(data, "name", problems, required=True)
    values["external_id"] = _text(data, "external_id", problems)
    kind = data.get("kind") or "LEAD"
    if kind not in KINDS:
        problems.append(Problem(("input", "kind"), f"Unknown kind {kind}.", "INVALID"))
    values["kind"] = kind
    for kind_, key in (("phone", "phones"), ("email", "emails")):
        try:
            values[key] = normalize_contacts(kind_, data.get(key) or [], key)
        except InvalidInput as exc:
            values[key] = []
            problems += exc.problems
    # A plain holder, not a `Customer`: an instrumented object per line was most of an
    # import's checking time.
    standard = SimpleNamespace(
        **{**dict.fromkeys(standard_fields.COLUMNS), "do_not_contact": False}
    )
    standard_fields.apply(standard, {k: data.get(k) for k in standard_fields.KEYS}, problems)
    values.update({column: getattr(standard, column) for column in standard_fields.COLUMNS})
    return values


async def check_external_id(
    session: AsyncSession, tenant_id: int, external_id: str | None, own_id: int | None = None
) -> None:
    """TAKEN rather than the unique index's error (a 500) when another customer has it."""
    if external_id is None:
        return
    taken = await session.scalar(
        select(Customer.id).where(
            Customer.tenant_id == tenant_id,
            Customer.external_id == external_id,
            Customer.id != (own_id or 0),
        )
    )
    if taken is not None:
        raise InvalidInput.one(
            ("input", "externalId"), "Another customer has this external id.", "TAKEN"
        )


async def create_customer(session: AsyncSession, principal: Principal, data: dict) -> Customer:
    """`data` holds the customer's fields plus `folders` [(folder_id, status_id)], `tag_ids`,
    `worker_ids`, `custom_fields` [(key, value)] and `parent_id`."""
    access.require(principal, "customers.edit")
    tenant_id = principal.tenant_id
    problems: list[Problem] = []
    columns = new_customer_values(data, problems)
    addresses = standard_fields.addresses(
        {k: v for k, v in data.items() if k in standard_fields.ADDRESS_KINDS and v}, problems
    )
    if problems:
        raise InvalidInput(problems)
    await check_external_id(session, tenant_id, columns["external_id"])

    status_id = await _customer_status(
        session, tenant_id, data.get("status_id"), ("input", "statusId")
    )
    placements = list(data.get("folders") or [])
    folders = await check_refs(
        session, Folder, tenant_id, [f for f, _ in placements], ("input", "folders")
    )
    tags = await check_refs(session, Tag, tenant_id, data.get("tag_ids") or [], ("input", "tagIds"))
    workers = await check_refs(
        session, Worker, tenant_id, data.get("worker_ids") or [], ("input", "workerIds")
    )
    parent_id = data.get("parent_id")
    if parent_id is not None:
        await _parent(session, principal, parent_id)
    membership_status = {}
    for index, (folder_id, folder_status) in enumerate(placements):
        field = ("input", "folders", str(index), "statusId")
        membership_status[folder_id] = await _folder_status(
            session, tenant_id, folder_id, folder_status, field
        )
    definitions = await field_definitions(await session.connection(), tenant_id)
    values_cf = custom_fields.apply_changes(
        definitions,
        {},
        list(data.get("custom_fields") or []),
        [f.id for f in folders],
        check_all_required=True,
    )

    now = utcnow()
    customer = Customer(
        tenant_id=tenant_id,
        status_id=status_id,
        follow_up_at=data.get("follow_up_at"),
        parent_id=parent_id,
        custom_fields=values_cf,
        created_at=now,
        updated_at=now,
        **columns,
    )
    _refresh_search(customer)
    session.add(customer)
    await session.flush()
    await standard_fields.save_addresses(session, customer, addresses)
    if not access.can(principal, "customers.view_all") and principal.worker_id not in {
        w.id for w in workers
    }:
        workers = [*workers, await session.get(Worker, principal.worker_id)]
    session.add_all(
        [
            CustomerFolder(
                tenant_id=tenant_id,
                customer_id=customer.id,
                folder_id=f.id,
                status_id=membership_status[f.id],
                added_at=now,
            )
            for f in folders
        ]
        + [CustomerTag(tenant_id=tenant_id, customer_id=customer.id, tag_id=t.id) for t in tags]
        + [
            CustomerWorker(tenant_id=tenant_id, customer_id=customer.id, worker_id=w.id)
            for w in workers
        ]
    )
    await session.flush()
    await _emit(session, principal, "customer.created", [customer])
    for link, rows in ((CustomerFolder, folders), (CustomerTag, tags), (CustomerWorker, workers)):
        await emit_link_changes(
            session, tenant_id, principal.worker_id, link, [(customer, rows, [])]
        )
    await duplicates.check(session, principal, customer, set(), bool(data.get("allow_duplicate")))
    return customer


async def update_customer(
    session: AsyncSession,
    principal: Principal,
    customer_id: int,
    changes: dict,
    expected_version: int | None = None,
) -> Customer:
    """`changes` holds only the fields the caller sent; None clears an optional field
    (`allow_duplicate`: see `core/duplicates.py`)."""
    access.require(principal, "customers.edit")
    allow_duplicate = bool(changes.pop("allow_duplicate", False))
    customer = await get_customer(session, principal, customer_id)
    identities_before = duplicates.snapshot(customer)
    status_before = customer.status_id
    if expected_version is not None and expected_version != customer.version:
        raise InvalidInput.one(
            ("input", "expectedVersion"),
            f"The customer is at version {customer.version}, not {expected_version}; "
            "reload it and try again.",
            "VERSION_CONFLICT",
        )
    problems: list[Problem] = []
    if "name" in changes:
        customer.name = _text(changes, "name", problems, required=True)
    for key in PLAIN_FIELDS:
        if key in changes:
            value = changes[key] if key == "follow_up_at" else _text(changes, key, problems)
            setattr(customer, key, value)
    for kind, key in (("phone", "phones"), ("email", "emails")):
        if key in changes:
            try:
                setattr(customer, key, normalize_contacts(kind, changes[key] or [], key))
            except InvalidInput as exc:
                problems += exc.problems
    external_before = customer.external_id
    if "external_id" in changes:
        customer.external_id = _text(changes, "external_id", problems)
    if "kind" in changes:
        if changes["kind"] not in KINDS:
            problems.append(Problem(("input", "kind"), "Unknown kind.", "INVALID"))
        else:
            customer.kind = changes["kind"]
    standard_fields.apply(customer, changes, problems)
    addresses = standard_fields.addresses(changes, problems)
    if problems:
        raise InvalidInput(problems)
    if customer.external_id != external_before:
        with session.no_autoflush:
            await check_external_id(session, principal.tenant_id, customer.external_id, customer.id)
    await standard_fields.save_addresses(session, customer, addresses)
    with session.no_autoflush:  # one flush, so one version step, whatever changed
        if "status_id" in changes:
            customer.status_id = await _customer_status(
                session, principal.tenant_id, changes["status_id"], ("input", "statusId")
            )
        if changes.get("custom_fields"):
            definitions = await field_definitions(await session.connection(), principal.tenant_id)
            customer.custom_fields = custom_fields.apply_changes(
                definitions,
                customer.custom_fields or {},
                list(changes["custom_fields"]),
                await _folder_ids(session, customer.id),
                check_all_required=False,
            )
    _refresh_search(customer)
    _touch([customer])
    await _flush(session)
    await _emit(session, principal, "customer.updated", [customer], changed=sorted(changes))
    if status_before != customer.status_id:
        await _emit_status_changes(session, principal, [(customer, status_before)])
    await duplicates.check(session, principal, customer, identities_before, allow_duplicate)
    return customer


async def delete_customer(session: AsyncSession, principal: Principal, customer_id: int) -> int:
    """Erasure for data-protection requests (`customers.erase`; archiving is the everyday
    removal): module rows go through `hub_customer_deleting`, uploaded files through a job
    enqueued in this transaction (`core/file_jobs.py`). Archived customers too. Sub-customers
    are kept and become top-level customers."""
    access.require(principal, "customers.erase")
    return await erase_customer(session, principal, customer_id)


async def erase_customer(session: AsyncSession, principal: Principal, customer_id: int) -> int:
    """`delete_customer` without its permission: for undoing what the principal's own
    action created (an import's revert needs `customers.import`, not `customers.erase`)."""
    customer = await get_customer(session, principal, customer_id, archived_ok=True)
    await _emit(session, principal, "customer.deleted", [customer])
    await module_hook(
        session, "hub_customer_deleting", tenant_id=principal.tenant_id, customer_id=customer.id
    )
    await session.delete(customer)
    await session.flush()
    await file_jobs.enqueue_removal(session, principal, customer_id)
    return customer_id


async def convert_lead(session: AsyncSession, principal: Principal, customer_id: int) -> Customer:
    access.require(principal, "customers.edit")
    customer = await get_customer(session, principal, customer_id)
    if customer.kind != "LEAD":
        raise InvalidInput.one(("input", "id"), "This is already a customer.", "ALREADY_CUSTOMER")
    customer.kind = "CUSTOMER"
    _touch([customer])
    await _flush(session)
    await _emit(session, principal, "customer.updated", [customer], changed=["kind"])
    return customer


async def set_status(
    session: AsyncSession, principal: Principal, ids: Sequence[int], status_id: int
) -> list[Customer]:
    access.require(principal, "customers.edit")
    customers = await get_customers(session, principal, ids)
    status = await _customer_status(session, principal.tenant_id, status_id, ("input", "statusId"))
    changed = [(c, c.status_id) for c in customers if c.status_id != status]
    await _bump(session, (c for c, _ in changed), status_id=status)
    await _emit_status_changes(session, principal, changed)
    return customers


async def set_blocked(
    session: AsyncSession, principal: Principal, customer_id: int, reason: str | None, blocked: bool
) -> Customer:
    access.require(principal, "customers.edit")
    customer = await get_customer(session, principal, customer_id)
    if blocked:
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput.one(
                ("input", "reason"), "Say why the customer is blocked.", "REQUIRED"
            )
        if len(reason) > 500:
            raise InvalidInput.one(("input", "reason"), "At most 500 characters.", "TOO_LONG")
        customer.blocked, customer.blocked_reason, customer.blocked_at = True, reason, utcnow()
    else:
        customer.blocked, customer.blocked_reason, customer.blocked_at = False, None, None
    _touch([customer])
    await _flush(session)
    await _emit(session, principal, "customer.updated", [customer], changed=["blocked"])
    return customer


# --- folders, tags, workers -------------------------------------------------------------------


async def restore_columns(
    session: AsyncSession, principal: Principal, customer_id: int, before: dict
) -> Customer:
    """Put back columns as a reverted CSV import found them (`before`: column -> JSON value,
    written by the import when it updated the customer); they were valid then."""
    access.require(principal, "customers.edit")
    customer = await get_customer(session, principal, customer_id)
    for column, value in typed(Customer.__table__, before).items():
        setattr(customer, column, value)
    _refresh_search(customer)
    _touch([customer])
    await _flush(session)
    await _emit(session, principal, "customer.updated", [customer], changed=sorted(before))
    return customer
