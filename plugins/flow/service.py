"""Flow and column writes: validation (everything wrong reported at once, nothing written),
permissions, events, inside the caller's transaction.

Shaping flows (definitions, workers, columns) needs `flow.manage`; every change of a flow
locks its row first, so two editors never interleave column positions. Deleting a flow
keeps its customers and drops their positions (cascade); deleting a column moves its cards
to the column named in the same call, else the first remaining one, before it goes."""

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.catalog import clean_color
from core.customers import check_refs
from core.errors import InvalidInput, NotFound, Problem
from core.models import Folder, Status, Tag, Worker, utcnow
from plugins.flow.models import Flow, FlowColumn, FlowPosition, FlowWorker
from plugins.flow.queries import MANAGE, VIEW

MAX_NAME = 100
MAX_VALUES = 100
MAX_COLUMNS = 30
DEFAULT_COLUMNS = (("To do", "#64748b"), ("In progress", "#2563eb"), ("Done", "#16a34a"))
DEFINITION = ("folder_ids", "tag_ids", "status_ids", "lead_sources")


# --- reading for a write -----------------------------------------------------------------


async def visible_flow(session: AsyncSession, principal: Principal, flow_id: int, lock=False):
    """The flow if the worker may see it (managers: all; others: those assigned to them),
    else NOT_FOUND; locked for a change of its shape."""
    access.require(principal, VIEW)
    query = select(Flow).where(Flow.tenant_id == principal.tenant_id, Flow.id == flow_id)
    if not access.can(principal, MANAGE):
        query = query.where(
            Flow.id.in_(
                select(FlowWorker.flow_id).where(
                    FlowWorker.tenant_id == principal.tenant_id,
                    FlowWorker.worker_id == principal.worker_id,
                )
            )
        )
    if lock:
        query = query.with_for_update()
    flow = await session.scalar(query.execution_options(populate_existing=True))
    if flow is None:
        raise NotFound("Flow")
    return flow


async def columns_of(session: AsyncSession, flow: Flow) -> list[FlowColumn]:
    return list(
        await session.scalars(
            select(FlowColumn)
            .where(FlowColumn.tenant_id == flow.tenant_id, FlowColumn.flow_id == flow.id)
            .order_by(FlowColumn.position, FlowColumn.id)
            .execution_options(populate_existing=True)
        )
    )


async def _managed(session, principal: Principal, flow_id: int) -> Flow:
    access.require(principal, MANAGE)
    return await visible_flow(session, principal, flow_id, lock=True)


# --- checking ----------------------------------------------------------------------------


async def _refs(session, tenant_id: int, model, ids: list, field: str, problems) -> list[int]:
    if len(ids) > MAX_VALUES:
        problems.append(Problem(("input", field), f"At most {MAX_VALUES}.", "TOO_MANY"))
        return []
    try:
        rows = await check_refs(session, model, tenant_id, ids, ("input", field))
    except InvalidInput as exc:
        problems.extend(exc.problems)
        return []
    if model is Status:
        problems.extend(
            Problem(("input", field, str(i)), "A status of the customer status list.", "NOT_FOUND")
            for i, row in enumerate(rows)
            if row.folder_id is not None
        )
    return [row.id for row in rows]


async def _definition(session, tenant_id: int, data: dict, problems: list[Problem]) -> dict:
    values = {}
    for key, model, field in (
        ("folder_ids", Folder, "folderIds"),
        ("tag_ids", Tag, "tagIds"),
        ("status_ids", Status, "statusIds"),
    ):
        if key in data:
            values[key] = await _refs(session, tenant_id, model, data[key] or [], field, problems)
    if "lead_sources" in data:
        sources = []
        for index, text in enumerate(data["lead_sources"] or []):
            path = ("input", "leadSources", str(index))
            cleaned = records.clean_text(text, path, 200, problems, required=True)
            if cleaned and cleaned.casefold() not in {s.casefold() for s in sources}:
                sources.append(cleaned)
        if len(sources) > MAX_VALUES:
            problems.append(Problem(("input", "leadSources"), f"At most {MAX_VALUES}.", "TOO_MANY"))
        values["lead_sources"] = sources
    if "name" in data:
        values["name"] = records.clean_text(
            data["name"], ("input", "name"), MAX_NAME, problems, True
        )
    if "worker_ids" in data:
        ids = data["worker_ids"] or []
        values["worker_ids"] = await _refs(session, tenant_id, Worker, ids, "workerIds", problems)
    return values


async def _set_workers(session, flow: Flow, ids: list[int]) -> None:
    await session.execute(delete(FlowWorker).where(FlowWorker.flow_id == flow.id))
    for worker_id in ids:
        session.add(FlowWorker(flow_id=flow.id, worker_id=worker_id, tenant_id=flow.tenant_id))


async def _column_values(session, tenant_id: int, data: dict, at: tuple, problems) -> dict:
    values = {}
    if "name" in data:
        values["name"] = records.clean_text(data["name"], (*at, "name"), MAX_NAME, problems, True)
    if "color" in data:
        values["color"] = clean_color(data["color"], (*at, "color"), problems)
    if "on_drop" in data:
        values["on_drop"] = await _on_drop(session, tenant_id, data["on_drop"] or {}, at, problems)
    return values


async def _on_drop(session, tenant_id: int, patch: dict, at: tuple, problems) -> dict:
    """What a drop applies: each reference checked now (and again when applied)."""
    found, path = {}, (*at, "onDrop")
    status = patch.get("status_id")
    if status is not None:
        row = await session.get(Status, status)
        if row is None or row.tenant_id != tenant_id or row.folder_id is not None:
            problems.append(Problem((*path, "statusId"), "Status not found.", "NOT_FOUND"))
        found["statusId"] = status
    folder = patch.get("folder_id")
    if folder is not None:
        row = await session.get(Folder, folder)
        if row is None or row.tenant_id != tenant_id:
            problems.append(Problem((*path, "folderId"), "Folder not found.", "NOT_FOUND"))
        found["folderId"] = folder
        folder_status = patch.get("folder_status_id")
        if folder_status is not None:
            row = await session.get(Status, folder_status)
            if row is None or row.tenant_id != tenant_id or row.folder_id != folder:
                message = "A status of that folder."
                problems.append(Problem((*path, "folderStatusId"), message, "NOT_FOUND"))
            found["folderStatusId"] = folder_status
    elif patch.get("folder_status_id") is not None:
        row = await session.get(Status, patch["folder_status_id"])
        if row is None or row.tenant_id != tenant_id:
            message = "Status not found."
            problems.append(Problem((*path, "folderStatusId"), message, "NOT_FOUND"))
        else:
            problems.append(Problem((*path, "folderId"), "Name the folder too.", "REQUIRED"))
    tag = patch.get("tag_id")
    if tag is not None:
        row = await session.get(Tag, tag)
        if row is None or row.tenant_id != tenant_id:
            problems.append(Problem((*path, "tagId"), "Tag not found.", "NOT_FOUND"))
        found["tagId"] = tag
    return found


async def _emit(session, principal: Principal, flow: Flow, name: str, **data) -> None:
    await records.emit(session, principal, name, None, flowId=flow.id, title=flow.name, **data)


# --- flows -------------------------------------------------------------------------------


async def create_flow(session: AsyncSession, principal: Principal, data: dict) -> Flow:
    """A flow with its definition, workers and columns (three plain ones unless given)."""
    access.require(principal, MANAGE)
    problems: list[Problem] = []
    values = await _definition(session, principal.tenant_id, data, problems)
    columns = data.get("columns") or [
        {"name": n, "color": c, "on_drop": {}} for n, c in DEFAULT_COLUMNS
    ]
    if len(columns) > MAX_COLUMNS:
        problems.append(Problem(("input", "columns"), f"At most {MAX_COLUMNS}.", "TOO_MANY"))
    made = [
        await _column_values(
            session, principal.tenant_id, c, ("input", "columns", str(i)), problems
        )
        for i, c in enumerate(columns)
    ]
    records.fail_if(problems)
    now = utcnow()
    workers = values.pop("worker_ids", [])
    flow = Flow(tenant_id=principal.tenant_id, created_at=now, updated_at=now, **values)
    session.add(flow)
    await session.flush()
    rows = []
    for position, column in enumerate(made):
        column.setdefault("on_drop", {})
        rows.append(
            FlowColumn(tenant_id=flow.tenant_id, flow_id=flow.id, position=position, **column)
        )
    session.add_all(rows)
    await session.flush()
    # pinned, so reordering the columns later does not move the cards that were never placed
    flow.default_column_id = rows[0].id if rows else None
    await _set_workers(session, flow, workers)
    await session.flush()
    await _emit(session, principal, flow, "flow.created")
    return flow


async def update_flow(session: AsyncSession, principal: Principal, flow_id: int, changes: dict):
    """Only the members of `changes` change; membership follows at once (nothing stored)."""
    flow = await _managed(session, principal, flow_id)
    problems: list[Problem] = []
    values = await _definition(session, principal.tenant_id, changes, problems)
    if "default_column_id" in changes:
        column = changes["default_column_id"]
        if column is not None and column not in {c.id for c in await columns_of(session, flow)}:
            message = "Not a column of this flow."
            problems.append(Problem(("input", "defaultColumnId"), message, "NOT_FOUND"))
        values["default_column_id"] = column
    records.fail_if(problems)
    if "worker_ids" in values:
        await _set_workers(session, flow, values.pop("worker_ids"))
    for key, value in values.items():
        setattr(flow, key, value)
    flow.updated_at = utcnow()
    await session.flush()
    await _emit(session, principal, flow, "flow.updated")
    return flow


async def delete_flow(session: AsyncSession, principal: Principal, flow_id: int) -> bool:
    """The flow, its columns and positions go; the customers stay as they are."""
    flow = await _managed(session, principal, flow_id)
    await _emit(session, principal, flow, "flow.deleted")
    await session.delete(flow)
    await session.flush()
    return True


# --- columns -----------------------------------------------------------------------------


async def _renumber(session, columns: list[FlowColumn]) -> None:
    for position, column in enumerate(columns):
        column.position = position
    await session.flush()


def _column_in(columns: list[FlowColumn], column_id: int, field: str) -> FlowColumn:
    found = next((c for c in columns if c.id == column_id), None)
    if found is None:
        raise InvalidInput.one(("input", field), "Not a column of this flow.", "NOT_FOUND")
    return found


async def column_of(session, principal: Principal, column_id: int) -> FlowColumn:
    column = await session.scalar(
        select(FlowColumn).where(
            FlowColumn.tenant_id == principal.tenant_id, FlowColumn.id == column_id
        )
    )
    if column is None:
        raise NotFound("FlowColumn")
    return column


async def create_column(session: AsyncSession, principal: Principal, data: dict) -> FlowColumn:
    """A column at `position` (0-based; default last)."""
    flow = await _managed(session, principal, data["flow_id"])
    columns = await columns_of(session, flow)
    problems: list[Problem] = []
    values = await _column_values(session, flow.tenant_id, data, ("input",), problems)
    position = data.get("position")
    position = len(columns) if position is None else position
    if not 0 <= position <= len(columns):
        message = f"A position from 0 to {len(columns)}."
        problems.append(Problem(("input", "position"), message, "INVALID"))
    if len(columns) >= MAX_COLUMNS:
        message = f"A flow has at most {MAX_COLUMNS} columns."
        problems.append(Problem(("input",), message, "TOO_MANY"))
    records.fail_if(problems)
    values.setdefault("on_drop", {})
    column = FlowColumn(tenant_id=flow.tenant_id, flow_id=flow.id, position=-1, **values)
    session.add(column)
    await session.flush()
    columns.insert(position, column)
    await _renumber(session, columns)
    await _emit(session, principal, flow, "flow.updated", columnId=column.id)
    return column


async def update_column(session: AsyncSession, principal: Principal, column_id: int, changes):
    column = await column_of(session, principal, column_id)
    flow = await _managed(session, principal, column.flow_id)
    problems: list[Problem] = []
    values = await _column_values(session, flow.tenant_id, changes, ("input",), problems)
    records.fail_if(problems)
    for key, value in values.items():
        setattr(column, key, value)
    await session.flush()
    await _emit(session, principal, flow, "flow.updated", columnId=column.id)
    return column


async def reorder_columns(session, principal: Principal, flow_id: int, column_ids: list[int]):
    """The columns in the order given, which must name every column once."""
    flow = await _managed(session, principal, flow_id)
    columns = await columns_of(session, flow)
    by_id = {c.id: c for c in columns}
    if any(i not in by_id for i in column_ids):
        raise InvalidInput.one(("input", "columnIds"), "Not a column of this flow.", "NOT_FOUND")
    if len(set(column_ids)) != len(column_ids) or set(column_ids) != set(by_id):
        message = "Name every column of the flow once, in the new order."
        raise InvalidInput.one(("input", "columnIds"), message, "INCOMPLETE")
    ordered = [by_id[i] for i in column_ids]
    await _renumber(session, ordered)
    await _emit(session, principal, flow, "flow.updated")
    return ordered


async def delete_column(session, principal: Principal, column_id: int, move_to: int | None):
    """Its cards (and, when it was the default column, the customers without a position)
    go to `move_to`, else the first remaining column; the last column stays."""
    column = await column_of(session, principal, column_id)
    flow = await _managed(session, principal, column.flow_id)
    columns = await columns_of(session, flow)
    column = _column_in(columns, column_id, "id")
    rest = [c for c in columns if c.id != column.id]
    if not rest:
        message = "A flow keeps at least one column."
        raise InvalidInput.one(("input", "id"), message, "LAST_FLOW_COLUMN")
    target = rest[0] if move_to is None else _column_in(rest, move_to, "targetColumnId")
    # PostgreSQL: a move into this column holds it FOR SHARE; this waits for it
    await session.execute(select(FlowColumn.id).where(FlowColumn.id == column.id).with_for_update())
    moved = await session.execute(
        update(FlowPosition)
        .where(FlowPosition.flow_id == flow.id, FlowPosition.column_id == column.id)
        .values(column_id=target.id, version=FlowPosition.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    default = flow.default_column_id or columns[0].id
    if default == column.id:
        flow.default_column_id = target.id
    await session.delete(column)
    await session.flush()
    await _renumber(session, rest)
    await _emit(
        session,
        principal,
        flow,
        "flow.updated",
        columnId=column.id,
        movedTo=target.id,
        moved=moved.rowcount,
    )
    return True
