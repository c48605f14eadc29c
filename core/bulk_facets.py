"""What a bulk action changes about a customer, as its undo needs it. A facet takes a
snapshot of that part of some customers (before and after the action), says what really
changed for one customer (the JSON "before" an undo restores, or None: nothing changed, so
nothing is recorded and nothing undone), and reverts a group of customers to their "before".

Reverts go through the same core functions as the actions (the rules, events and version
steps stay one), except the field facet, which writes the old column values back: they
passed validation when they were written."""

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import archive, segments, standard_fields
from core import customer_links as links
from core import customers as svc
from core.auth import Principal
from core.json_rows import plain, typed
from core.models import (
    Customer,
    CustomerAddress,
    CustomerFolder,
    CustomerTag,
    CustomerWorker,
    Folder,
    Status,
    Tag,
    Worker,
)
from core.segment_models import Segment, SegmentMember

Snapshot = Callable[[AsyncSession, Sequence[Customer]], Awaitable[dict[int, Any]]]
Revert = Callable[[AsyncSession, Principal, list[tuple[Customer, dict]]], Awaitable[None]]


@dataclass(frozen=True)
class Facet:
    snapshot: Snapshot
    diff: Callable[[Any, Any], dict | None]
    revert: Revert


def _groups(changes: list[tuple[Customer, dict]], key: Callable[[dict], Any]):
    """Customers whose "before" asks for the same revert, so each group is one core call."""
    found: dict[str, tuple[Any, list[int]]] = {}
    for customer, before in changes:
        value = key(before)
        found.setdefault(json.dumps(value, sort_keys=True), (value, []))[1].append(customer.id)
    return found.values()


async def _existing(session, model, tenant_id: int, ids) -> set[int]:
    """Referenced rows deleted since the action are left out of the revert."""
    if not ids:
        return set()
    rows = await session.scalars(
        select(model.id).where(model.tenant_id == tenant_id, model.id.in_(list(ids)))
    )
    return set(rows)


# --- status ----------------------------------------------------------------------------------


async def _status_snapshot(session, customers):
    return {c.id: c.status_id for c in customers}


def _status_diff(before, after):
    return None if before == after else {"status_id": before}


async def _status_revert(session, principal, changes):
    for status_id, ids in _groups(changes, lambda b: b["status_id"]):
        if status_id is not None and not await _existing(
            session, Status, principal.tenant_id, [status_id]
        ):
            status_id = None  # deleted since: the default status, as for a new customer
        await svc.set_status(session, principal, ids, status_id)


STATUS = Facet(_status_snapshot, _status_diff, _status_revert)


# --- tags and workers --------------------------------------------------------------------------


def _link_facet(link, column: str, target, add, remove) -> Facet:
    async def snapshot(session, customers):
        found: dict[int, list[int]] = {c.id: [] for c in customers}
        rows = await session.execute(
            select(link.customer_id, getattr(link, column)).where(link.customer_id.in_(list(found)))
        )
        for customer_id, other in rows:
            found[customer_id].append(other)
        return {k: sorted(v) for k, v in found.items()}

    def diff(before, after):
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        return {"added": added, "removed": removed} if added or removed else None

    async def revert(session, principal, changes):
        for value, ids in _groups(changes, lambda b: [b["added"], b["removed"]]):
            added, removed = value
            present = await _existing(session, target, principal.tenant_id, added)
            if present:
                await remove(session, principal, ids, [t for t in added if t in present])
            kept = await _existing(session, target, principal.tenant_id, removed)
            if kept:
                await add(session, principal, ids, [t for t in removed if t in kept])

    return Facet(snapshot, diff, revert)


TAGS = _link_facet(CustomerTag, "tag_id", Tag, links.add_tags, links.remove_tags)
WORKERS = _link_facet(
    CustomerWorker, "worker_id", Worker, links.assign_workers, links.unassign_workers
)


# --- folders (membership and the status within) --------------------------------------------


async def _folders_snapshot(session, customers):
    found: dict[int, dict[str, int | None]] = {c.id: {} for c in customers}
    rows = await session.execute(
        select(
            CustomerFolder.customer_id, CustomerFolder.folder_id, CustomerFolder.status_id
        ).where(CustomerFolder.customer_id.in_(list(found)))
    )
    for customer_id, folder_id, status_id in rows:
        found[customer_id][str(folder_id)] = status_id
    return found


def _folders_diff(before: dict, after: dict):
    added = sorted(int(f) for f in after.keys() - before.keys())
    removed = sorted([int(f), before[f]] for f in before.keys() - after.keys())
    status = sorted(
        [int(f), before[f]] for f in before.keys() & after.keys() if before[f] != after[f]
    )
    if not (added or removed or status):
        return None
    return {"added": added, "removed": removed, "status": status}


async def _folders_revert(session, principal, changes):
    tenant_id = principal.tenant_id
    for value, ids in _groups(changes, lambda b: [b["added"], b["removed"], b["status"]]):
        added, removed, status = value
        folders = await _existing(
            session, Folder, tenant_id, added + [f for f, _ in removed + status]
        )
        if any(f in folders for f in added):
            await links.remove_from_folders(
                session, principal, ids, [f for f in added if f in folders]
            )
        statuses = await _existing(session, Status, tenant_id, [s for _, s in removed + status])
        placements = [(f, s if s in statuses else None) for f, s in removed if f in folders]
        if placements:
            await links.add_to_folders(session, principal, ids, placements)
        for folder_id, status_id in status:
            if folder_id in folders:
                chosen = status_id if status_id in statuses else None
                await links.set_folder_status(session, principal, ids, folder_id, chosen)


FOLDERS = Facet(_folders_snapshot, _folders_diff, _folders_revert)


# --- archived or not ---------------------------------------------------------------------------


async def _archived_snapshot(session, customers):
    return {c.id: c.archived_at is not None for c in customers}


def _archived_diff(before, after):
    return None if before == after else {"archived": before}


async def _archived_revert(session, principal, changes):
    for archived, ids in _groups(changes, lambda b: b["archived"]):
        await archive.set_archived(session, principal, ids, archived)


ARCHIVED = Facet(_archived_snapshot, _archived_diff, _archived_revert)


# --- static segments ---------------------------------------------------------------------------


async def _segments_snapshot(session, customers):
    found: dict[int, list[int]] = {c.id: [] for c in customers}
    rows = await session.execute(
        select(SegmentMember.customer_id, SegmentMember.segment_id).where(
            SegmentMember.customer_id.in_(list(found))
        )
    )
    for customer_id, segment_id in rows:
        found[customer_id].append(segment_id)
    return {cid: sorted(ids) for cid, ids in found.items()}


def _segments_diff(before, after):
    joined, left = sorted(set(after) - set(before)), sorted(set(before) - set(after))
    return {"joined": joined, "left": left} if joined or left else None


async def _segments_revert(session, principal, changes):
    for (joined, left), ids in _groups(changes, lambda b: (b["joined"], b["left"])):
        alive = await _existing(session, Segment, principal.tenant_id, [*joined, *left])
        for segment_id in alive & set(joined):
            await segments.set_members(session, principal, segment_id, ids, add=False)
        for segment_id in alive & set(left):
            await segments.set_members(session, principal, segment_id, ids, add=True)


SEGMENTS = Facet(_segments_snapshot, _segments_diff, _segments_revert)


# --- fields (columns and addresses) ------------------------------------------------------------

# Derived, bookkeeping or not a field: never restored from a snapshot.
NOT_FIELDS = frozenset(
    {
        "id",
        "tenant_id",
        "version",
        "created_at",
        "updated_at",
        "sort_name",
        "search_text",
        "contact_search_text",
        "parent_id",
        "archived_at",
        "archived_by",
    }
)
FIELD_COLUMNS = [c for c in Customer.__table__.columns if c.key not in NOT_FIELDS]


async def _fields_snapshot(session, customers):
    addresses: dict[int, dict] = {c.id: {} for c in customers}
    keys = {kind: key for key, kind in standard_fields.ADDRESS_KINDS.items()}
    names = (*standard_fields.ADDRESS_LIMITS, "country")
    rows = await session.scalars(
        select(CustomerAddress).where(CustomerAddress.customer_id.in_(list(addresses)))
    )
    for row in rows:
        addresses[row.customer_id][keys[row.kind]] = {n: getattr(row, n) for n in names}
    return {
        c.id: {
            "columns": {col.key: plain(getattr(c, col.key)) for col in FIELD_COLUMNS},
            "addresses": addresses[c.id],
        }
        for c in customers
    }


def _fields_diff(before, after):
    columns = {k: v for k, v in before["columns"].items() if after["columns"].get(k, v) != v}
    addresses = {
        key: before["addresses"].get(key)
        for key in standard_fields.ADDRESS_KINDS
        if before["addresses"].get(key) != after["addresses"].get(key)
    }
    if not columns and not addresses:
        return None
    return {"columns": columns, "addresses": addresses}


async def _fields_revert(session, principal, changes):
    for customer, before in changes:
        for key, value in typed(Customer.__table__, before["columns"]).items():
            setattr(customer, key, value)
        wanted = {
            standard_fields.ADDRESS_KINDS[key]: value for key, value in before["addresses"].items()
        }
        await standard_fields.save_addresses(session, customer, wanted)
        svc._refresh_search(customer)
    svc._touch(c for c, _ in changes)
    await svc._flush(session)
    for customer, before in changes:
        changed = sorted([*before["columns"], *before["addresses"]])
        await svc._emit(session, principal, "customer.updated", [customer], changed=changed)


FIELDS = Facet(_fields_snapshot, _fields_diff, _fields_revert)
