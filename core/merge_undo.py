"""Undoing a merge: every merge records what it did in `customer_merges`, and `undo_merge`
puts it back within `MERGE_UNDO_DAYS`.

The record (`Recorder`, written in the merge's transaction):
- `source`: the source's whole row, its folder / tag / worker links, contacts and addresses,
  as they were (JSON; dates as ISO text);
- `moved`: per table the ids of the rows that moved to the target (files, contacts,
  addresses and every module's tables with a `customer_id`: found before the modules' hook
  runs and checked after it, so a module that moves, keeps or drops rows is recorded as it
  behaved), the links the target gained, the sub-customers that moved;
- `taken`: per target column its value before and after the merge.

Undo inserts the source again under its own id (ids are never reused, so it is still
free), moves back exactly the recorded rows that are still on the target, removes the links
the target gained, re-creates the source's links, contacts' order and the addresses the
merge dropped, and restores each taken column unless the target changed it since (then the
newer value stays, and the column is reported in `kept`). Rows created on the target after
the merge stay there. A module's own side effects beyond moving rows (payments' default
method flag, checklists' template slot) are not reverted."""

from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import and_, delete, insert, literal, select, union_all, update

from core import access, identities
from core.auth import Principal
from core.contacts import people_text
from core.customers import _refresh_search, _touch, emit_link_changes, get_customer
from core.errors import InvalidInput, NotFound
from core.events import Event, emit
from core.json_rows import plain, typed
from core.models import (
    Customer,
    CustomerAddress,
    CustomerContact,
    CustomerFolder,
    CustomerMerge,
    CustomerTag,
    CustomerWorker,
    Folder,
    Status,
    StoredFile,
    Tag,
    Worker,
    utcnow,
)
from core.segment_models import Segment, SegmentMember

DEFAULT_UNDO_DAYS = 30
CORE_TABLES = (StoredFile.__table__, CustomerContact.__table__, CustomerAddress.__table__)
# Tables with a `customer_id` that a merge does not move: the customer's history stays with
# its id, the identities follow the customer's fields, the records are about merges.
NOT_MOVED = {"events", "customer_identities", "customer_merges"}
LINKS = (
    ("folders", CustomerFolder, "folder_id", Folder),
    ("tags", CustomerTag, "tag_id", Tag),
    ("workers", CustomerWorker, "worker_id", Worker),
    ("segments", SegmentMember, "segment_id", Segment),
)


def movable_tables(plugins) -> list[tuple[str | None, object]]:
    """(module or None for core, table) of every table whose rows follow a merge."""
    found: list[tuple[str | None, object]] = [(None, t) for t in CORE_TABLES]
    if plugins is not None:
        for module, tables in sorted(plugins.per_module("hub_tables").items()):
            for table in tables or []:
                if "customer_id" in table.c and "id" in table.c and table.name not in NOT_MOVED:
                    found.append((module, table))
    return found


def _row(obj) -> dict:
    return {c.key: plain(getattr(obj, c.key)) for c in obj.__table__.columns}


async def _ids_by_table(session, tables, tenant_id: int, customer_id: int, only=None) -> dict:
    """{table name: ids of its rows on the customer}, in one statement (`only`: among these)."""
    parts = []
    for _, table in tables:
        ids = None if only is None else only.get(table.name)
        if only is not None and not ids:
            continue
        where = [table.c.tenant_id == tenant_id, table.c.customer_id == customer_id]
        if ids:
            where.append(table.c.id.in_(ids))
        parts.append(select(literal(table.name).label("t"), table.c.id.label("id")).where(*where))
    found: dict[str, list[int]] = {}
    if parts:
        for name, row_id in await session.execute(union_all(*parts)):
            found.setdefault(name, []).append(row_id)
    return {name: sorted(ids) for name, ids in found.items()}


@dataclass
class Recorder:
    session: object
    tenant_id: int
    source: Customer
    target: Customer
    tables: list
    before: dict
    snapshot: dict
    taken: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)
    moved_children: list = field(default_factory=list)

    @classmethod
    async def start(cls, session, tenant_id: int, source: Customer, target: Customer):
        """Before anything of the merge is written."""
        tables = movable_tables(session.info.get("plugins"))
        before = await _ids_by_table(session, tables, tenant_id, source.id)
        snapshot = {"row": _row(source)}
        for name, link, _, _ in LINKS:
            rows = await session.scalars(select(link).where(link.customer_id == source.id))
            snapshot[name] = [_row(r) for r in rows]
        for name, model in (("contacts", CustomerContact), ("addresses", CustomerAddress)):
            rows = await session.scalars(select(model).where(model.customer_id == source.id))
            snapshot[name] = [_row(r) for r in rows]
        return cls(session, tenant_id, source, target, tables, before, snapshot)

    def took(self, target: Customer, new: dict) -> None:
        self.taken = {k: [plain(getattr(target, k)), plain(v)] for k, v in new.items()}

    def gained(self, link, ids: list[int]) -> None:
        self.links[link.__tablename__] = sorted(ids)

    def children(self, ids: list[int]) -> None:
        self.moved_children = sorted(ids)

    async def finish(self, worker_id: int | None, undo_days: int) -> CustomerMerge:
        """After the modules' hook, before the source is deleted."""
        moved = await _ids_by_table(
            self.session, self.tables, self.tenant_id, self.target.id, self.before
        )
        now = utcnow()
        merge = CustomerMerge(
            tenant_id=self.tenant_id,
            source_id=self.source.id,
            target_id=self.target.id,
            source=self.snapshot,
            moved={"rows": moved, "links": self.links, "children": self.moved_children},
            taken=self.taken,
            merged_by=worker_id,
            merged_at=now,
            undoable_until=now + timedelta(days=undo_days),
        )
        self.session.add(merge)
        await self.session.flush()
        self.session.info["merge"] = merge
        return merge


# --- undo ---------------------------------------------------------------------------------


@dataclass
class Undone:
    merge: CustomerMerge
    source: Customer
    target: Customer
    kept: list[str]


async def _merge_row(session, principal: Principal, merge_id: int) -> CustomerMerge:
    merge = await session.scalar(
        select(CustomerMerge)
        .where(CustomerMerge.tenant_id == principal.tenant_id, CustomerMerge.id == merge_id)
        .with_for_update()
    )
    if merge is None:
        raise NotFound("Merge")
    return merge


async def undo_merge(session, principal: Principal, merge_id: int) -> Undone:
    access.require(principal, "customers.delete")
    merge = await _merge_row(session, principal, merge_id)
    target = await get_customer(session, principal, merge.target_id)  # NotFound if unseen
    field_ = ("input", "mergeId")
    if merge.undone_at is not None:
        raise InvalidInput.one(field_, "This merge was undone already.", "MERGE_ALREADY_UNDONE")
    if utcnow() > merge.undoable_until:
        raise InvalidInput.one(field_, "This merge is too old to be undone.", "MERGE_UNDO_EXPIRED")
    tenant_id, source_id = principal.tenant_id, merge.source_id
    snapshot = merge.source
    values = typed(Customer.__table__, snapshot["row"])
    values["version"] = (values.get("version") or 1) + 1
    values["updated_at"] = utcnow()
    for key, model in (("parent_id", Customer), ("status_id", Status)):  # deleted since?
        if values.get(key) is not None:
            alive = await session.scalar(select(model.id).where(model.id == values[key]))
            values[key] = alive
    await session.execute(insert(Customer.__table__).values(**values))
    await identities.rewrite(session, tenant_id, [SimpleNamespace(**values)])

    plugins = session.info.get("plugins")
    tables = {t.name: t for _, t in movable_tables(plugins)}
    for name, ids in (merge.moved.get("rows") or {}).items():
        table = tables.get(name)
        if table is None or not ids:
            continue
        await session.execute(
            update(table)
            .where(table.c.tenant_id == tenant_id, table.c.customer_id == target.id)
            .where(table.c.id.in_(ids))
            .values(customer_id=source_id)
        )
    await _restore_contacts(session, snapshot.get("contacts") or [], source_id)
    await _restore_addresses(session, snapshot.get("addresses") or [])
    removed = await _restore_links(session, merge, target, source_id)
    if merge.moved.get("children"):
        await session.execute(
            update(Customer)
            .where(
                Customer.tenant_id == tenant_id,
                Customer.parent_id == target.id,
                Customer.id.in_(merge.moved["children"]),
            )
            .values(parent_id=source_id, version=Customer.version + 1)
            .execution_options(synchronize_session=False)
        )
    kept = []
    for key, (before, after) in (merge.taken or {}).items():
        if plain(getattr(target, key)) == after:
            setattr(target, key, typed(Customer.__table__, {key: before})[key])
        else:
            kept.append(key)
    target.contact_search_text = await _people(session, target.id)
    _refresh_search(target)
    _touch([target])
    merge.undone_at, merge.undone_by = utcnow(), principal.worker_id
    await session.flush()
    source = await session.get(Customer, source_id)
    actor = principal.worker_id
    await emit(
        session,
        Event(
            "customer.merge_undone",
            tenant_id,
            target.id,
            {"mergeId": merge.id, "sourceId": source_id, "kept": kept},
            actor,
        ),
    )
    await emit(
        session,
        Event("customer.merge_undone", tenant_id, source_id, {"mergeId": merge.id}, actor),
    )
    for link, rows in removed.items():
        await emit_link_changes(session, tenant_id, actor, link, [(target, [], rows)])
    return Undone(merge, source, target, kept)


async def _people(session, customer_id: int) -> str:
    rows = await session.execute(
        select(CustomerContact.name, CustomerContact.email, CustomerContact.phone)
        .where(CustomerContact.customer_id == customer_id)
        .order_by(CustomerContact.position, CustomerContact.id)
    )
    return people_text(dict(r._mapping) for r in rows)


async def _restore_contacts(session, contacts: list[dict], source_id: int) -> None:
    """Their order and primary as on the source (no two primaries at any statement)."""
    ids = [c["id"] for c in contacts]
    if not ids:
        return
    back = and_(CustomerContact.id.in_(ids), CustomerContact.customer_id == source_id)
    await session.execute(
        update(CustomerContact)
        .where(back)
        .values(is_primary=False)
        .execution_options(synchronize_session=False)
    )
    for contact in contacts:
        await session.execute(
            update(CustomerContact)
            .where(CustomerContact.id == contact["id"], CustomerContact.customer_id == source_id)
            .values(position=contact["position"], is_primary=contact["is_primary"])
            .execution_options(synchronize_session=False)
        )


async def _restore_addresses(session, addresses: list[dict]) -> None:
    """The source's addresses of kinds the target had were dropped by the merge."""
    if not addresses:
        return
    present = set(
        await session.scalars(
            select(CustomerAddress.id).where(CustomerAddress.id.in_([a["id"] for a in addresses]))
        )
    )
    for address in addresses:
        if address["id"] not in present:
            values = typed(CustomerAddress.__table__, address)
            await session.execute(insert(CustomerAddress.__table__).values(**values))


async def _restore_links(session, merge: CustomerMerge, target: Customer, source_id: int) -> dict:
    """The target loses the links it gained; the source gets its own back (those whose
    folder, tag or worker still exists). Returns {link: rows the target lost}."""
    removed = {}
    for name, link, column, model in LINKS:
        gained = (merge.moved.get("links") or {}).get(link.__tablename__) or []
        if gained:
            lost = list(
                await session.scalars(
                    select(getattr(link, column)).where(
                        link.customer_id == target.id, getattr(link, column).in_(gained)
                    )
                )
            )
            await session.execute(
                delete(link).where(link.customer_id == target.id, getattr(link, column).in_(lost))
            )
            rows = await session.scalars(select(model).where(model.id.in_(lost))) if lost else []
            if link is not SegmentMember:  # memberships have no link events
                removed[link] = sorted(rows, key=lambda r: r.id)
        own = merge.source.get(name) or []
        if own:
            alive = set(
                await session.scalars(
                    select(model.id).where(model.id.in_([r[column] for r in own]))
                )
            )
            rows = [
                {**typed(link.__table__, r), "customer_id": source_id}
                for r in own
                if r[column] in alive
            ]
            if rows:
                await session.execute(insert(link.__table__), rows)
    return removed


async def merges_of(conn, principal: Principal, customer_id: int) -> list:
    """The merges into a visible customer, and the one that merged it away (when it was
    undone, it is visible again), newest first."""
    visible = select(Customer.id).where(
        Customer.tenant_id == principal.tenant_id,
        Customer.id == customer_id,
        access.visible_customers(principal),
    )
    if (await conn.execute(visible)).first() is None:
        raise NotFound("Customer")
    rows = await conn.execute(
        select(CustomerMerge.__table__)
        .where(
            CustomerMerge.tenant_id == principal.tenant_id,
            (CustomerMerge.target_id == customer_id) | (CustomerMerge.source_id == customer_id),
        )
        .order_by(CustomerMerge.id.desc())
        .limit(100)
    )
    return [r._mapping for r in rows]
