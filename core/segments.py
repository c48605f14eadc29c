"""Segments: saved groups of customers. A static segment's members are added and removed by
hand (or by a bulk action); a dynamic one is a saved filter of the filter language, its
members computed whenever it is read. Both are usable as a filter (`segment` in
`core/filters.py`, compiled by `core/segment_filter.py`) and as the target of a bulk action.

A dynamic filter is checked when it is saved (unknown field, operator, value: coded problems
under `input.where`; a reference cycle or a nesting deeper than 3 segments) and again when it
is read, because a custom field or a referenced segment may have gone since: then the read of
that segment is a coded error, never a 500 and never an empty list.

Writes need `segments.manage`; membership changes touch only customers the worker may see
and edit, at most `BULK_INLINE_MAX` at once (more is the bulk-action framework's job)."""

from collections.abc import Callable, Sequence

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, filters, segment_filter
from core import customers as svc
from core.auth import Principal
from core.catalog import clean_text, get_row, max_length
from core.errors import Forbidden, InvalidInput, Problem
from core.events import Event, emit
from core.models import Customer as C
from core.models import utcnow
from core.pagination import Page, PageRequest, fetch_page
from core.segment_models import DYNAMIC, KINDS, STATIC, Segment, SegmentMember
from core.targets import matching

BULK_INLINE_MAX = 500
MAX_DESCRIPTION = 2000
PERMISSION = "segments.manage"


def where_of(segment_id: int, encode: Callable[[int], str]) -> dict:
    """The filter tree of "in this segment", as the customer list takes it."""
    return {"field": segment_filter.FIELD, "op": "EQ", "value": encode(segment_id)}


# --- reads ---------------------------------------------------------------------------------


async def list_segments(conn, tenant_id: int, page: PageRequest, search: str | None) -> Page:
    query = select(Segment.__table__).where(Segment.tenant_id == tenant_id)
    if search and search.strip():
        query = query.where(_contains(conn, func.lower(Segment.name), search.strip().lower()))
    return await fetch_page(conn, query, page, Segment.name, Segment.id)


async def count_segments(conn, tenant_id: int, search: str | None) -> int:
    query = select(func.count()).where(Segment.tenant_id == tenant_id)
    if search and search.strip():
        needle = search.strip().lower()
        query = query.where(_contains(conn, func.lower(Segment.name), needle))
    return await conn.scalar(query)


def _contains(conn, column, needle: str):
    if conn.dialect.name == "postgresql":
        return func.strpos(column, needle) > 0
    return func.instr(column, needle) > 0


async def segments_of(
    conn,
    principal: Principal,
    plugins,
    decode_id: Callable,
    customer_ids: Sequence[int],
    dynamic_max: int,
) -> dict[int, list[dict]]:
    """Each customer's segments, by name: its static memberships, plus the dynamic segments
    (the tenant's first `dynamic_max` by name) it matches, all tested in one statement (a
    column per segment, a row per customer). A dynamic segment whose filter
    no longer compiles for this worker (a field deleted since, a summary they may not use)
    is left out here; reading the segment itself says why."""
    tenant_id = principal.tenant_id
    ids = list(customer_ids)
    found: dict[int, list[dict]] = {i: [] for i in ids}
    rows = await conn.execute(
        select(SegmentMember.customer_id, *Segment.__table__.columns)
        .join(Segment, Segment.id == SegmentMember.segment_id)
        .where(SegmentMember.tenant_id == tenant_id, SegmentMember.customer_id.in_(ids))
    )
    for row in rows.mappings():
        found[row["customer_id"]].append(dict(row))
    dynamic = {}
    if dynamic_max:
        rows = await conn.execute(
            select(Segment.__table__)
            .where(Segment.tenant_id == tenant_id, Segment.kind == DYNAMIC)
            .order_by(Segment.name, Segment.id)
            .limit(dynamic_max)
        )
        dynamic = {row["id"]: dict(row) for row in rows.mappings()}
    if dynamic:
        saved = {pk: segment_filter.of_row(row, filters.parse) for pk, row in dynamic.items()}
        trees = [s.tree for s in saved.values() if s.tree is not None]
        reg = await filters.registry_for(conn, principal, plugins, trees, decode_id, known=saved)
        tests = []
        for pk, segment in saved.items():
            reg.inlining, reg.inlined = [], 0
            try:
                condition = segment_filter.inline(
                    reg, principal, segment, False, _compile, ("segment",)
                )
            except (InvalidInput, Forbidden):
                continue
            tests.append((pk, condition))
        if tests:
            # One row per customer with a column per segment: the page's ids are bound once,
            # not once per segment as a UNION ALL of one select each would bind them.
            matched = await conn.execute(
                select(C.id, *(case((c, True), else_=False) for _, c in tests)).where(
                    C.tenant_id == tenant_id, C.id.in_(ids)
                )
            )
            for customer_id, *hits in matched:
                for (pk, _), hit in zip(tests, hits, strict=True):
                    if hit:
                        found[customer_id].append(dynamic[pk])
    return {cid: sorted(rows, key=lambda r: (r["name"], r["id"])) for cid, rows in found.items()}


def _compile(reg, principal, tree, _negated):
    return filters.compile_where(reg, principal, tree)


# --- writes --------------------------------------------------------------------------------


async def _checked_filter(
    session: AsyncSession,
    principal: Principal,
    plugins,
    decode_id: Callable,
    where: dict,
    segment_id: int | None,
) -> dict:
    """The filter as saved, after compiling it as a read would (with this segment on the
    inlining stack, so a reference back to it is a cycle)."""
    tree = filters.parse(where, ("input", "where"))
    conn = await session.connection()
    reg = await filters.registry_for(conn, principal, plugins, [tree], decode_id)
    reg.inlining.append(segment_id or 0)  # a new segment is a level too (0: no id yet)
    filters.compile_where(reg, principal, tree)
    return where


async def _name(session: AsyncSession, principal: Principal, value, exclude: int | None) -> str:
    problems: list[Problem] = []
    name = clean_text(value, ("input", "name"), max_length(Segment, "name"), problems, True)
    if problems:
        raise InvalidInput(problems)
    others = await session.scalars(
        select(Segment.name).where(
            Segment.tenant_id == principal.tenant_id, Segment.id != (exclude or 0)
        )
    )
    if any(other.casefold() == name.casefold() for other in others):
        raise InvalidInput.one(("input", "name"), f"The segment '{name}' exists.", "TAKEN")
    return name


def _description(value) -> str | None:
    problems: list[Problem] = []
    text = clean_text(value, ("input", "description"), MAX_DESCRIPTION, problems)
    if problems:
        raise InvalidInput(problems)
    return text


async def create_segment(
    session: AsyncSession,
    principal: Principal,
    plugins,
    decode_id: Callable,
    values: dict,
    dynamic_max: int,
) -> Segment:
    access.require(principal, PERMISSION)
    kind = values.get("kind")
    if kind not in KINDS:
        raise InvalidInput.one(("input", "kind"), f"Unknown kind {kind}.", "INVALID")
    name = await _name(session, principal, values.get("name"), None)
    description = _description(values.get("description"))
    where = values.get("where")
    if kind == STATIC and where is not None:
        raise InvalidInput.one(
            ("input", "where"), "A static segment has members, not a filter.", "INVALID"
        )
    if kind == DYNAMIC:
        if where is None:
            raise InvalidInput.one(
                ("input", "where"), "A dynamic segment needs a filter.", "REQUIRED"
            )
        held = await session.scalar(
            select(func.count()).where(
                Segment.tenant_id == principal.tenant_id, Segment.kind == DYNAMIC
            )
        )
        if held >= dynamic_max:
            raise InvalidInput.one(
                ("input", "kind"),
                f"A tenant keeps at most {dynamic_max} dynamic segments.",
                "TOO_MANY",
            )
        where = await _checked_filter(session, principal, plugins, decode_id, where, None)
    segment = Segment(
        tenant_id=principal.tenant_id,
        name=name,
        description=description,
        kind=kind,
        filter=where,
        created_by=principal.worker_id,
    )
    session.add(segment)
    await session.flush()
    return segment


async def update_segment(
    session: AsyncSession,
    principal: Principal,
    plugins,
    decode_id: Callable,
    segment_id: int,
    changes: dict,
) -> Segment:
    """Only the members sent change; the kind never does."""
    access.require(principal, PERMISSION)
    segment = await get_row(session, Segment, principal.tenant_id, segment_id, "Segment")
    if "name" in changes:
        segment.name = await _name(session, principal, changes["name"], segment.id)
    if "description" in changes:
        segment.description = _description(changes["description"])
    if "where" in changes:
        where = changes["where"]
        if segment.kind == STATIC:
            raise InvalidInput.one(
                ("input", "where"), "A static segment has members, not a filter.", "INVALID"
            )
        if where is None:
            raise InvalidInput.one(
                ("input", "where"), "A dynamic segment needs a filter.", "REQUIRED"
            )
        segment.filter = await _checked_filter(
            session, principal, plugins, decode_id, where, segment.id
        )
    segment.updated_at = utcnow()
    await session.flush()
    return segment


async def delete_segment(session: AsyncSession, principal: Principal, segment_id: int) -> int:
    """Its memberships go with it. A dynamic segment naming it then fails when read (NOT_FOUND
    at that leaf) until its filter is changed."""
    access.require(principal, PERMISSION)
    segment = await get_row(session, Segment, principal.tenant_id, segment_id, "Segment")
    await session.delete(segment)
    await session.flush()
    return segment.id


async def _targets(
    session: AsyncSession,
    principal: Principal,
    decode_id: Callable,
    customer_ids: list[int] | None,
    where: dict | None,
) -> list[int]:
    """The customers a membership change names: by id (each visible and editable, else the
    usual NOT_FOUND per index / FORBIDDEN), or every visible, editable customer the list
    shows for `where`, at most BULK_INLINE_MAX (more: TOO_MANY)."""
    if (customer_ids is None) == (where is None):
        raise InvalidInput.one(
            ("input", "customerIds"), "Give either `customerIds` or `where`.", "INVALID"
        )
    if customer_ids is not None:
        if len(customer_ids) > BULK_INLINE_MAX:
            raise InvalidInput.one(
                ("input", "customerIds"),
                f"At most {BULK_INLINE_MAX} customers at once.",
                "TOO_MANY",
            )
        found = await svc.get_customers(session, principal, customer_ids, "customerIds")
        return [c.id for c in found]
    try:
        query = await matching(session, principal, where, None, decode_id)
    except InvalidInput as exc:
        raise InvalidInput(
            [Problem(("input", *p.field), p.message, p.code) for p in exc.problems]
        ) from exc
    query = query.limit(BULK_INLINE_MAX + 1).with_for_update(of=C)
    ids = list(await session.scalars(query))
    if len(ids) > BULK_INLINE_MAX:
        raise InvalidInput.one(
            ("input", "where"),
            f"More than {BULK_INLINE_MAX} customers match: use bulkAddCustomersToSegment.",
            "TOO_MANY",
        )
    return ids


async def _static(session: AsyncSession, principal: Principal, segment_id: int) -> Segment:
    access.require(principal, PERMISSION)
    segment = await get_row(session, Segment, principal.tenant_id, segment_id, "Segment")
    if segment.kind != STATIC:
        raise InvalidInput.one(
            ("input", "segmentId"), "A dynamic segment's members follow its filter.", "INVALID"
        )
    return segment


async def change_members(
    session: AsyncSession,
    principal: Principal,
    decode_id: Callable,
    segment_id: int,
    customer_ids: list[int] | None,
    where: dict | None,
    add: bool,
) -> tuple[Segment, int]:
    """Add (or remove) customers to (from) a static segment; those already in (or not in)
    are left alone. The segment and how many memberships changed."""
    segment = await _static(session, principal, segment_id)
    ids = await _targets(session, principal, decode_id, customer_ids, where)
    return segment, await _change(session, principal, segment, ids, add)


async def set_members(
    session: AsyncSession, principal: Principal, segment_id: int, ids: list[int], add: bool
) -> int:
    """The bulk actions' way in (`core/bulk.py`): these customers (found, locked and checked
    by the caller) join or leave a static segment; how many memberships changed."""
    segment = await _static(session, principal, segment_id)
    return await _change(session, principal, segment, ids, add)


async def _change(session, principal: Principal, segment: Segment, ids: list[int], add: bool):
    held = set()
    if ids:
        held = set(
            await session.scalars(
                select(SegmentMember.customer_id).where(
                    SegmentMember.segment_id == segment.id, SegmentMember.customer_id.in_(ids)
                )
            )
        )
    changed = [i for i in dict.fromkeys(ids) if (i not in held) == add]
    if changed and add:
        now = utcnow()
        session.add_all(
            SegmentMember(
                segment_id=segment.id,
                customer_id=cid,
                tenant_id=principal.tenant_id,
                added_at=now,
                added_by=principal.worker_id,
            )
            for cid in changed
        )
    elif changed:
        await session.execute(
            delete(SegmentMember).where(
                SegmentMember.segment_id == segment.id, SegmentMember.customer_id.in_(changed)
            )
        )
    if changed:
        segment.updated_at = utcnow()
    await session.flush()
    name = "segment.members_added" if add else "segment.members_removed"
    ref = {"id": segment.id, "name": segment.name}
    for cid in changed:
        await emit(
            session,
            Event(name, principal.tenant_id, cid, {"segment": ref}, principal.worker_id),
        )
    return len(changed)


async def move_members(
    session: AsyncSession, tenant_id: int, source_id: int, target_id: int
) -> list[int]:
    """A merge: the target takes over the source's static memberships it lacks (the rest go
    with the source). Returns the segments the target gained, for the merge's undo."""
    held = select(SegmentMember.segment_id).where(SegmentMember.customer_id == target_id)
    await session.execute(
        delete(SegmentMember).where(
            SegmentMember.tenant_id == tenant_id,
            SegmentMember.customer_id == source_id,
            SegmentMember.segment_id.in_(held),
        )
    )
    moved = await session.scalars(
        update(SegmentMember)
        .where(SegmentMember.tenant_id == tenant_id, SegmentMember.customer_id == source_id)
        .values(customer_id=target_id)
        .returning(SegmentMember.segment_id)
        .execution_options(synchronize_session=False)
    )
    return sorted(moved)
