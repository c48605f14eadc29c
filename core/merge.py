"""Merging two records of the same person: the target keeps its own values and takes what
it lacks from the source; links, sub-customers and every module's rows move over; the
source is deleted. All in the caller's transaction, so a refusal changes nothing."""

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, customer_contacts, merge_undo, standard_fields
from core.auth import Principal
from core.contacts import normalize_contacts
from core.customers import (
    PLAIN_FIELDS,
    _flush,
    _refresh_search,
    _touch,
    emit_link_changes,
    get_customer,
    module_hook,
)
from core.errors import InvalidInput, NotFound
from core.events import Event, emit
from core.files import move_files
from core.models import (
    Customer,
    CustomerAddress,
    CustomerFolder,
    CustomerTag,
    CustomerWorker,
    Folder,
    Tag,
    Worker,
)


async def _is_ancestor(session: AsyncSession, ancestor_id: int, customer: Customer) -> bool:
    parent_id, seen = customer.parent_id, set()
    while parent_id is not None and parent_id not in seen:
        if parent_id == ancestor_id:
            return True
        seen.add(parent_id)
        parent_id = await session.scalar(select(Customer.parent_id).where(Customer.id == parent_id))
    return False


def _merged_contacts(kind: str, target: list[dict], source: list[dict]) -> list[dict]:
    seen = {item["value"] for item in target}
    extra = [{**item, "primary": False} for item in source if item["value"] not in seen]
    return normalize_contacts(kind, [*target, *extra], kind + "s")


async def _move_links(
    session: AsyncSession, link, column: str, source_id: int, target_id: int
) -> list[int]:
    """Move the source's links the target lacks; returns the ids the target gained."""
    target_has = set(
        await session.scalars(select(getattr(link, column)).where(link.customer_id == target_id))
    )
    rows = await session.scalars(select(link).where(link.customer_id == source_id))
    gained = []
    for row in list(rows):
        if getattr(row, column) in target_has:
            await session.delete(row)
        else:
            row.customer_id = target_id
            gained.append(getattr(row, column))
    return gained


def _merge_standard(target, source, new: dict) -> None:
    """Blanks of the target from the source; a channel's consent moves with its time; a
    do-not-contact request of either record holds for the merged one."""
    for column in standard_fields.COLUMNS:
        if column.endswith("_consent_at") or column == "do_not_contact":
            continue
        if getattr(target, column) is None and getattr(source, column) is not None:
            new[column] = getattr(source, column)
            if column.endswith("_consent"):
                new[column + "_at"] = getattr(source, column + "_at")
    if source.do_not_contact and not target.do_not_contact:
        new["do_not_contact"] = True


def planned_values(target, source) -> dict:
    """{column: the target's value after the merge}, for the columns that change; `target`
    and `source` are customers or rows of `customers` (the preview reads rows)."""
    new: dict = {}
    for key in PLAIN_FIELDS:
        if getattr(target, key) is None and getattr(source, key) is not None:
            new[key] = getattr(source, key)
    for kind in ("phone", "email"):
        mine = getattr(target, kind + "s") or []
        merged = _merged_contacts(kind, mine, getattr(source, kind + "s") or [])
        if merged != mine:
            new[kind + "s"] = merged
    custom = {**(source.custom_fields or {}), **(target.custom_fields or {})}
    if custom != (target.custom_fields or {}):
        new["custom_fields"] = custom
    _merge_standard(target, source, new)
    if target.kind == "LEAD" and source.kind == "CUSTOMER":
        new["kind"] = "CUSTOMER"
    return new


async def _move_addresses(session: AsyncSession, source: Customer, target: Customer) -> None:
    """The source's billing or shipping address, where the target has none of that kind."""
    held = set(
        await session.scalars(
            select(CustomerAddress.kind).where(CustomerAddress.customer_id == target.id)
        )
    )
    await session.execute(
        update(CustomerAddress)
        .where(CustomerAddress.customer_id == source.id, CustomerAddress.kind.not_in(held))
        .values(customer_id=target.id)
        .execution_options(synchronize_session=False)
    )


async def merge_pair(
    session: AsyncSession, principal: Principal, source_id: int, target_id: int
) -> tuple[Customer, Customer]:
    """The two customers, locked, or the refusal a merge of them gets."""
    access.require(principal, "customers.delete")
    if source_id == target_id:
        raise InvalidInput.one(("input", "sourceId"), "Pick two different customers.", "SAME")
    source = await get_customer(session, principal, source_id)
    try:
        target = await get_customer(session, principal, target_id)
    except NotFound as exc:
        raise InvalidInput.one(("input", "targetId"), "Customer not found.", "NOT_FOUND") from exc
    if await _is_ancestor(session, source.id, target):
        raise InvalidInput.one(
            ("input", "targetId"),
            "The target is a sub-customer of the source; merge the other way round.",
            "CYCLE",
        )
    return source, target


async def merge_customers(
    session: AsyncSession,
    principal: Principal,
    source_id: int,
    target_id: int,
    undo_days: int = merge_undo.DEFAULT_UNDO_DAYS,
) -> Customer:
    """Also records the merge (`core/merge_undo.py`); its row is
    `session.info["merge"]`."""
    source, target = await merge_pair(session, principal, source_id, target_id)
    record = await merge_undo.Recorder.start(session, principal.tenant_id, source, target)
    taken = planned_values(target, source)
    record.took(target, taken)
    for key, value in taken.items():
        setattr(target, key, value)
    await _move_addresses(session, source, target)
    await customer_contacts.move_contacts(session, source, target)
    gained = {}
    for link, column, model in (
        (CustomerFolder, "folder_id", Folder),
        (CustomerTag, "tag_id", Tag),
        (CustomerWorker, "worker_id", Worker),
    ):
        ids = await _move_links(session, link, column, source.id, target.id)
        record.gained(link, ids)
        rows = await session.scalars(select(model).where(model.id.in_(ids))) if ids else []
        gained[link] = sorted(rows, key=lambda row: row.id)
    children = await session.scalars(
        update(Customer)
        .where(Customer.tenant_id == principal.tenant_id, Customer.parent_id == source.id)
        .values(parent_id=target.id, version=Customer.version + 1)
        .returning(Customer.id)
        .execution_options(synchronize_session=False)
    )
    record.children(list(children))
    await move_files(session, principal.tenant_id, source.id, target.id)
    await module_hook(
        session,
        "hub_customers_merging",
        tenant_id=principal.tenant_id,
        source_id=source.id,
        target_id=target.id,
    )
    merge = await record.finish(principal.worker_id, undo_days)
    await emit(
        session,
        Event(
            "customer.merged",
            principal.tenant_id,
            target.id,
            {"sourceId": source.id, "mergeId": merge.id},
            principal.worker_id,
        ),
    )
    for link, rows in gained.items():  # what the target took over: its folders, tags, workers
        await emit_link_changes(
            session, principal.tenant_id, principal.worker_id, link, [(target, rows, [])]
        )
    await emit(
        session,
        Event(
            "customer.merged_away",
            principal.tenant_id,
            source.id,
            {"intoId": target.id},
            principal.worker_id,
        ),
    )
    await session.delete(source)
    _refresh_search(target)
    _touch([target])
    await _flush(session)
    return target
