"""Bulk actions on customers: by ids (at most `MAX_BULK`, all or none, in the request) or by
filter (`where` and/or `search`: every customer the worker sees, may edit and the list would
show). A filter matching at most `BULK_INLINE_MAX` runs in the request too; more becomes a
`customers.bulk` job that walks the matching customers by id (so an action that changes the
filtered field neither skips nor repeats anyone) in chunks, each chunk one transaction with
its checkpoint, as the principal read again when it runs.

Every run is a `bulk_actions` row; each customer it really changed gets a `bulk_changes` row
with its "before" (`core/bulk_facets.py`) and the version the action left it at, written in
the same transaction as the change. Undo (within `BULK_UNDO_HOURS`) restores the "before" of
each customer still at that version; one changed since is skipped and counted, so an undo
never overwrites a later edit.

Adding an action is one `register(Action(...))`."""

import copy
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core import access, archive, jobs, segments
from core import customer_links as links
from core import customers as svc
from core.auth import Principal
from core.bulk_facets import ARCHIVED, FIELDS, FOLDERS, SEGMENTS, STATUS, TAGS, WORKERS, Facet
from core.errors import InvalidInput, NotFound, Problem
from core.models import NEVER_REUSE_IDS, Base, Customer, JSONType, UTCDateTime, utcnow
from core.targets import matching

KIND = "customers.bulk"
CHUNK = 200
RUNNING, DONE, UNDOING, UNDONE, FAILED = "RUNNING", "DONE", "UNDOING", "UNDONE", "FAILED"


class BulkAction(Base):
    __tablename__ = "bulk_actions"
    __table_args__ = (Index("ix_bulk_actions_tenant_id_id", "tenant_id", "id"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undo_until: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    undo_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    undone: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class BulkChange(Base):
    __tablename__ = "bulk_changes"
    __table_args__ = (Index("ix_bulk_changes_customer_id", "customer_id"),)

    bulk_action_id: Mapped[int] = mapped_column(
        ForeignKey("bulk_actions.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    before: Mapped[dict] = mapped_column(JSONType)


BULK_ACTIONS = BulkAction.__table__
BULK_CHANGES = BulkChange.__table__

Apply = Callable[[AsyncSession, Principal, list[int], dict], Awaitable[Sequence[Customer]]]


@dataclass(frozen=True)
class Action:
    """`apply(session, principal, ids, args)` changes those customers (core's rules, events,
    all or none); `facet` says what it changes, for the undo."""

    name: str
    permission: str
    apply: Apply
    facet: Facet
    archived_ok: bool = False  # may touch archived customers (restoring them)


ACTIONS: dict[str, Action] = {}


def register(action: Action) -> None:
    if action.name in ACTIONS:
        raise ValueError(f"bulk action {action.name!r} is registered already")
    ACTIONS[action.name] = action


def _fields_path(problem: Problem) -> Problem:
    """`update_customer` names `input.<field>`; the bulk update has them under `fields`."""
    field = problem.field
    if field and field[0] == "input" and field[1:2] != ("customerIds",):
        field = ("input", "fields", *field[1:])
    return Problem(field, problem.message, problem.code)


async def _update(session, principal, ids, args):
    changes = args["changes"]
    done = []
    for customer_id in ids:
        try:
            done.append(await svc.update_customer(session, principal, customer_id, dict(changes)))
        except InvalidInput as exc:
            raise InvalidInput([_fields_path(p) for p in exc.problems]) from exc
    return done


def _links(action: Callable, key: str) -> Apply:
    return lambda s, p, ids, a: action(s, p, ids, a[key])


def _archive(archived: bool) -> Apply:
    async def apply(session, principal, ids, args):
        return (await archive.set_archived(session, principal, ids, archived))[0]

    return apply


def _segment(add: bool) -> Apply:
    async def apply(session, principal, ids, args):
        await segments.set_members(session, principal, args["segment_id"], ids, add)
        return await svc.get_customers(session, principal, ids)

    return apply


EDIT = "customers.edit"
for _action in (
    Action(
        "set_customer_status",
        EDIT,
        lambda s, p, i, a: svc.set_status(s, p, i, a["status_id"]),
        STATUS,
    ),
    Action(
        "add_customer_to_folders",
        EDIT,
        lambda s, p, i, a: links.add_to_folders(s, p, i, [tuple(f) for f in a["folders"]]),
        FOLDERS,
    ),
    Action(
        "remove_customer_from_folders",
        EDIT,
        _links(links.remove_from_folders, "folder_ids"),
        FOLDERS,
    ),
    Action(
        "set_customer_folder_status",
        EDIT,
        lambda s, p, i, a: links.set_folder_status(s, p, i, a["folder_id"], a["status_id"]),
        FOLDERS,
    ),
    Action("add_customer_tags", EDIT, _links(links.add_tags, "tag_ids"), TAGS),
    Action("remove_customer_tags", EDIT, _links(links.remove_tags, "tag_ids"), TAGS),
    Action("assign_workers", EDIT, _links(links.assign_workers, "worker_ids"), WORKERS),
    Action("unassign_workers", EDIT, _links(links.unassign_workers, "worker_ids"), WORKERS),
    Action("update_customers", EDIT, _update, FIELDS),
    Action("archive_customers", archive.ARCHIVE_PERMISSION, _archive(True), ARCHIVED, True),
    Action("restore_customers", archive.ARCHIVE_PERMISSION, _archive(False), ARCHIVED, True),
    Action("add_customers_to_segment", segments.PERMISSION, _segment(True), SEGMENTS),
    Action("remove_customers_from_segment", segments.PERMISSION, _segment(False), SEGMENTS),
):
    register(_action)


# --- JSON for arguments (a job's payload) -----------------------------------------------------


def to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$datetime"}:
            return datetime.fromisoformat(value["$datetime"])
        if set(value) == {"$date"}:
            return date.fromisoformat(value["$date"])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


# --- one step: change some customers and record what changed --------------------------------


async def apply_to(
    session: AsyncSession,
    principal: Principal,
    action: Action,
    args: dict,
    ids: Sequence[int],
    bulk_action_id: int,
) -> tuple[list[Customer], int]:
    """Lock the customers (in id order), apply, and record each one's "before" of what
    really changed: (the customers, how many changed)."""
    access.require(principal, action.permission)
    customers = await svc.get_customers(session, principal, ids, archived_ok=action.archived_ok)
    before = await action.facet.snapshot(session, customers)
    before = copy.deepcopy(before)
    result = await action.apply(session, principal, list(ids), args)
    after = await action.facet.snapshot(session, customers)
    rows = []
    for customer in customers:
        changed = action.facet.diff(before[customer.id], after[customer.id])
        if changed is not None:
            changed["v"] = customer.version
            rows.append(
                {
                    "bulk_action_id": bulk_action_id,
                    "customer_id": customer.id,
                    "tenant_id": principal.tenant_id,
                    "before": changed,
                }
            )
    if rows:
        await session.execute(insert(BULK_CHANGES), rows)
    return list(result), len(rows)


async def revert_some(
    session: AsyncSession, principal: Principal, row: BulkAction, after: int, limit: int | None
) -> tuple[int, int, int | None]:
    """Undo the recorded changes of customers after id `after` (at most `limit`): those
    invisible, not editable, deleted or changed since (another version) are skipped.
    (undone, skipped, the last customer id looked at or None when there were none)."""
    query = (
        select(BulkChange.customer_id, BulkChange.before)
        .where(BulkChange.bulk_action_id == row.id, BulkChange.customer_id > after)
        .order_by(BulkChange.customer_id)
    )
    if limit:
        query = query.limit(limit)
    changes = list(await session.execute(query))
    if not changes:
        return 0, 0, None
    ids = [customer_id for customer_id, _ in changes]
    found = {
        c.id: c
        for c in await session.scalars(
            select(Customer)
            .where(
                access.visible_customers(principal),
                access.editable_customers(principal),
                Customer.id.in_(ids),
            )
            .order_by(Customer.id)
            .with_for_update(of=Customer)
        )
    }
    todo = [
        (found[cid], before)
        for cid, before in changes
        if cid in found and found[cid].version == before["v"]
    ]
    if todo:
        await ACTIONS[row.action].facet.revert(session, principal, todo)
    return len(todo), len(changes) - len(todo), ids[-1]


@dataclass
class Outcome:
    row: BulkAction
    customers: list[Customer] | None = None
    job: Any = None


def _new_row(principal: Principal, name: str, args: dict, undo_hours: float) -> BulkAction:
    now = utcnow()
    return BulkAction(
        tenant_id=principal.tenant_id,
        action=name,
        args=to_json(args),
        created_by=principal.worker_id,
        created_at=now,
        undo_until=now + timedelta(hours=undo_hours),
        state=DONE,
        count=0,
        undone=0,
        skipped=0,
    )


class _DryRun(Exception):
    pass


async def _dry_run(session, principal, action, args, customer_id: int) -> None:
    """Check the arguments on one matching customer and roll it back, so a job never starts
    with input every chunk would refuse."""
    info = session.info
    marks = len(info["events"]), len(info["records"])
    try:
        async with session.begin_nested():
            await action.apply(session, principal, [customer_id], args)
            raise _DryRun
    except _DryRun:
        pass
    finally:
        del info["events"][marks[0] :]
        del info["records"][marks[1] :]


async def run(
    session: AsyncSession,
    principal: Principal,
    name: str,
    args: dict,
    *,
    ids: Sequence[int] | None = None,
    where: dict | None = None,
    search: str | None = None,
    decode_id: Callable | None = None,
    inline_max: int,
    undo_hours: float,
) -> Outcome:
    """The bulk action `name` on `ids` or on a filter (exactly one of the two)."""
    action = ACTIONS[name]
    by_filter = where is not None or search is not None
    if (ids is None) == (not by_filter):
        raise InvalidInput.one(
            ("input", "customerIds"),
            "Give either `customerIds` or a filter (`where` / `search`), not both.",
            "IDS_OR_FILTER",
        )
    access.require(principal, action.permission)
    row = _new_row(principal, name, args, undo_hours)
    session.add(row)
    await session.flush()
    if ids is None:
        query = await matching(session, principal, where, search, decode_id)
        found = list(await session.scalars(query.limit(inline_max + 1)))
        if len(found) > inline_max:
            await _dry_run(session, principal, action, args, found[0])
            total = await session.scalar(
                select(func.count()).select_from(query.order_by(None).subquery())
            )
            payload = {
                "mode": "apply",
                "bulk_action_id": row.id,
                "worker_id": principal.worker_id,
                "where": where,
                "search": search,
            }
            job, _ = await jobs.enqueue(
                session,
                principal.tenant_id,
                KIND,
                payload,
                created_by=principal.worker_id,
                total=total,
            )
            row.state, row.job_id = RUNNING, job.id
            await session.flush()
            return Outcome(row, None, job)
        ids = found
    customers, changed = await apply_to(session, principal, action, args, ids, row.id)
    row.count = changed
    await session.flush()
    return Outcome(row, customers, None)


# --- undo and history --------------------------------------------------------------------------


def may_see(principal: Principal, row) -> bool:
    return row.tenant_id == principal.tenant_id and (
        row.created_by == principal.worker_id or access.can(principal, "jobs.view_all")
    )


def visible(principal: Principal):
    """The bulk actions the principal may see: their own, or all with `jobs.view_all`."""
    query = select(*BULK_ACTIONS.c).where(BULK_ACTIONS.c.tenant_id == principal.tenant_id)
    if not access.can(principal, "jobs.view_all"):
        query = query.where(BULK_ACTIONS.c.created_by == principal.worker_id)
    return query


async def _job_ended(session: AsyncSession, row: BulkAction) -> bool:
    job_id = row.undo_job_id if row.state == UNDOING else row.job_id
    if job_id is None:
        return False
    status = await session.scalar(select(jobs.Job.status).where(jobs.Job.id == job_id))
    return status is None or status in jobs.FINAL


async def undo(
    session: AsyncSession, principal: Principal, bulk_action_id: int, *, inline_max: int
) -> Outcome:
    row = await session.scalar(
        select(BulkAction)
        .where(BulkAction.tenant_id == principal.tenant_id, BulkAction.id == bulk_action_id)
        .with_for_update()
    )
    if row is None or not may_see(principal, row):
        raise NotFound("Bulk action")
    access.require(principal, ACTIONS[row.action].permission)
    field = ("input", "bulkActionId")
    if row.state == UNDONE:
        raise InvalidInput.one(field, "This bulk action is undone already.", "ALREADY_UNDONE")
    if row.state in (RUNNING, UNDOING) and await _job_ended(session, row):
        row.state = FAILED  # its job ended without saying so (cancelled while queued, crashes)
    if row.state == UNDOING:
        raise InvalidInput.one(field, "This bulk action is being undone.", "ALREADY_UNDONE")
    if row.state == RUNNING:
        raise InvalidInput.one(
            field, "The bulk action is still running; undo it once it ends.", "BULK_RUNNING"
        )
    if utcnow() > row.undo_until:
        raise InvalidInput.one(
            field, "This bulk action can no longer be undone.", "BULK_UNDO_EXPIRED"
        )
    total = await session.scalar(select(func.count()).where(BulkChange.bulk_action_id == row.id))
    if total <= inline_max:
        undone, skipped, _ = await revert_some(session, principal, row, 0, None)
        row.state, row.undone, row.skipped = UNDONE, undone, skipped
        await session.flush()
        return Outcome(row)
    payload = {"mode": "undo", "bulk_action_id": row.id, "worker_id": principal.worker_id}
    job, _ = await jobs.enqueue(
        session, principal.tenant_id, KIND, payload, created_by=principal.worker_id, total=total
    )
    row.state, row.undo_job_id, row.undone, row.skipped = UNDOING, job.id, 0, 0
    await session.flush()
    return Outcome(row, None, job)
