"""A customer's links: folders (with the folder's own status), tags and assigned workers,
for one customer or a bulk selection. Each change locks the customers (`get_customers`),
bumps their versions in one statement and emits one link event per customer; a link that is
already there (or already gone) changes nothing."""

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access
from core.auth import Principal
from core.customers import (
    _bump,
    _emit,
    _flush,
    _folder_status,
    _status_refs,
    check_refs,
    emit_link_changes,
    get_customers,
    ref,
)
from core.errors import InvalidInput, Problem
from core.models import (
    Customer,
    CustomerFolder,
    CustomerTag,
    CustomerWorker,
    Folder,
    Tag,
    Worker,
)


async def add_to_folders(
    session: AsyncSession,
    principal: Principal,
    ids: Sequence[int],
    placements: Sequence[tuple[int, int | None]],
) -> list[Customer]:
    access.require(principal, "customers.edit")
    tenant_id = principal.tenant_id
    customers = await get_customers(session, principal, ids)
    folders = await check_refs(
        session, Folder, tenant_id, [f for f, _ in placements], ("input", "folders")
    )
    status_of = {}
    for index, (folder_id, status_id) in enumerate(placements):
        field = ("input", "folders", str(index), "statusId")
        status_of[folder_id] = await _folder_status(session, tenant_id, folder_id, status_id, field)
    existing = await _existing_links(session, CustomerFolder, "folder_id", customers)
    changes = []
    for customer in customers:
        added = [f for f in folders if (customer.id, f.id) not in existing]
        for folder in added:
            session.add(
                CustomerFolder(
                    tenant_id=tenant_id,
                    customer_id=customer.id,
                    folder_id=folder.id,
                    status_id=status_of[folder.id],
                )
            )
        if added:
            changes.append((customer, added, []))
    await _flush(session)
    await _bump(session, (c for c, _, _ in changes))
    await emit_link_changes(session, tenant_id, principal.worker_id, CustomerFolder, changes)
    return customers


async def remove_from_folders(
    session: AsyncSession, principal: Principal, ids: Sequence[int], folder_ids: Sequence[int]
) -> list[Customer]:
    return await _unlink(
        session, principal, ids, CustomerFolder, "folder_id", Folder, folder_ids, "folderIds"
    )


async def set_folder_status(
    session: AsyncSession, principal: Principal, ids: Sequence[int], folder_id: int, status_id: int
) -> list[Customer]:
    access.require(principal, "customers.edit")
    customers = await get_customers(session, principal, ids)
    folder = await session.scalar(
        select(Folder).where(Folder.tenant_id == principal.tenant_id, Folder.id == folder_id)
    )
    if folder is None:
        raise InvalidInput.one(("input", "folderId"), "Folder not found.", "NOT_FOUND")
    status = await _folder_status(
        session, principal.tenant_id, folder_id, status_id, ("input", "statusId")
    )
    memberships = {
        m.customer_id: m
        for m in await session.scalars(
            select(CustomerFolder).where(
                CustomerFolder.folder_id == folder_id,
                CustomerFolder.customer_id.in_([c.id for c in customers]),
            )
        )
    }
    problems = [
        Problem(
            ("input", "customerIds", str(i)), "The customer is not in this folder.", "NOT_IN_FOLDER"
        )
        for i, customer_id in enumerate(ids)
        if customer_id not in memberships
    ]
    if problems:
        raise InvalidInput(problems)
    changed = [(c, memberships[c.id].status_id) for c in customers]
    changed = [(c, before) for c, before in changed if before != status]
    for customer, _ in changed:
        memberships[customer.id].status_id = status
    await _flush(session)
    await _bump(session, (c for c, _ in changed))
    names = await _status_refs(session, [status, *(before for _, before in changed)])
    for customer, before in changed:
        data = {"folder": ref(folder), "from": names.get(before), "to": names.get(status)}
        await _emit(session, principal, "customer.folder_status_changed", [customer], **data)
    return customers


async def add_tags(
    session: AsyncSession, principal: Principal, ids: Sequence[int], tag_ids: Sequence[int]
) -> list[Customer]:
    return await _link(session, principal, ids, CustomerTag, "tag_id", Tag, tag_ids, "tagIds")


async def remove_tags(
    session: AsyncSession, principal: Principal, ids: Sequence[int], tag_ids: Sequence[int]
) -> list[Customer]:
    return await _unlink(session, principal, ids, CustomerTag, "tag_id", Tag, tag_ids, "tagIds")


async def assign_workers(
    session: AsyncSession, principal: Principal, ids: Sequence[int], worker_ids: Sequence[int]
) -> list[Customer]:
    return await _link(
        session, principal, ids, CustomerWorker, "worker_id", Worker, worker_ids, "workerIds"
    )


async def unassign_workers(
    session: AsyncSession, principal: Principal, ids: Sequence[int], worker_ids: Sequence[int]
) -> list[Customer]:
    return await _unlink(
        session, principal, ids, CustomerWorker, "worker_id", Worker, worker_ids, "workerIds"
    )


async def _existing_links(session, link, column: str, customers) -> set[tuple[int, int]]:
    rows = await session.execute(
        select(link.customer_id, getattr(link, column)).where(
            link.customer_id.in_([c.id for c in customers])
        )
    )
    return {(a, b) for a, b in rows}


async def _link(session, principal, ids, link, column, target, target_ids, field) -> list[Customer]:
    access.require(principal, "customers.edit")
    customers = await get_customers(session, principal, ids)
    targets = await check_refs(session, target, principal.tenant_id, target_ids, ("input", field))
    existing = await _existing_links(session, link, column, customers)
    changes = []
    for customer in customers:
        added = [t for t in targets if (customer.id, t.id) not in existing]
        for item in added:
            session.add(
                link(tenant_id=principal.tenant_id, customer_id=customer.id, **{column: item.id})
            )
        if added:
            changes.append((customer, added, []))
    await _flush(session)
    await _bump(session, (c for c, _, _ in changes))
    await emit_link_changes(session, principal.tenant_id, principal.worker_id, link, changes)
    return customers


async def _unlink(
    session, principal, ids, link, column, target, target_ids, field
) -> list[Customer]:
    access.require(principal, "customers.edit")
    customers = await get_customers(session, principal, ids)
    targets = await check_refs(session, target, principal.tenant_id, target_ids, ("input", field))
    existing = await _existing_links(session, link, column, customers)
    changes = []
    for customer in customers:
        removed = [t for t in targets if (customer.id, t.id) in existing]
        if removed:
            changes.append((customer, [], removed))
    await session.execute(
        delete(link).where(
            link.customer_id.in_([c.id for c, _, _ in changes]),
            getattr(link, column).in_([t.id for t in targets]),
        )
    )
    await _flush(session)
    await _bump(session, (c for c, _, _ in changes))
    await emit_link_changes(session, principal.tenant_id, principal.worker_id, link, changes)
    return customers


# --- sub-customers ------------------------------------------------------------------------------
