"""Card writes: moving a card (a customer's position in one flow) and removing it from view.

A move locks the customer first (`get_customer`, the one lock order every module keeps),
then reads its position: `expectedVersion` must be the position's version (0 for a card
that has no row yet), else VERSION_CONFLICT, so of two workers dragging the same card one
wins and the other is told to look again. The target column is read FOR SHARE, so it is not
deleted under the move (`delete_column` waits for it).

The new rank is `core.ranks.between` the neighbours the client names, so a move writes one
row. When the gap has no room left (a tie, or a rank grown past `ranks.MAX_LENGTH`), the
column is spread again: every card of it gets an evenly spaced rank in one go (rows written
for cards that had none, at version 0, so nobody's `expectedVersion` goes stale).

A column may declare a patch applied when a card is dropped into it from another column
(a status, a folder status, a tag), through core's customer services in the same
transaction: their own checks and events hold, and the move is undone if they refuse."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import customer_links, ranks, records
from core.auth import Principal
from core.customers import get_customer, set_status
from core.errors import InvalidInput, NotFound
from core.models import Customer, CustomerFolder, utcnow
from plugins.flow import queries as q
from plugins.flow.models import Flow, FlowColumn, FlowPosition
from plugins.flow.service import columns_of, visible_flow

HIDE_CARD = "flow.card_hidden"


async def _card(session: AsyncSession, principal: Principal, flow: Flow, customer_id: int):
    """The customer, locked, if it is a member of the flow; its position row (locked) or
    None; the flow's columns and default column."""
    await get_customer(session, principal, customer_id)
    conn = await session.connection()
    member = await q.membership(conn, principal, None, q.as_row(flow))
    matching = await session.scalar(
        select(Customer.id).where(
            Customer.tenant_id == principal.tenant_id, Customer.id == customer_id, member
        )
    )
    if matching is None:
        raise NotFound("Customer")
    position = await session.scalar(
        select(FlowPosition)
        .where(FlowPosition.flow_id == flow.id, FlowPosition.customer_id == customer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    columns = await columns_of(session, flow)
    default = q.default_column(q.as_row(flow), [{"id": c.id} for c in columns])
    return position, columns, default, member


def _check_version(position: FlowPosition | None, expected: int | None) -> int:
    version = 0 if position is None else position.version
    if expected is not None and expected != version:
        message = (
            f"The card changed since version {expected} (it is at {version}: someone moved "
            "it): read the board again and decide on where it is now."
        )
        raise InvalidInput.one(("input", "expectedVersion"), message, "VERSION_CONFLICT")
    return version


async def _rank(session, principal, flow, default, member, column_id, customer_id, after, before):
    """(rank, spread): the rank between the named neighbours, or None when the column must
    be spread (then `spread` holds the column's card ids in their new order)."""
    conn = await session.connection()
    sub = q.cards(principal, flow.id, default, member, [Customer.id != customer_id])
    named = [i for i in (after, before) if i is not None]
    keys = await q.neighbours(conn, sub, column_id, named) if named else {}
    for field, value in (("afterCustomerId", after), ("beforeCustomerId", before)):
        if value is not None and value not in keys:
            raise InvalidInput.one(("input", field), "Not a card of that column.", "NOT_FOUND")
    if after is not None:
        low = keys[after]
        high = (
            keys[before]
            if before is not None
            else await q.next_key(conn, sub, column_id, low, True)
        )
    elif before is not None:
        high = keys[before]
        low = await q.next_key(conn, sub, column_id, high, False)
    else:  # neither: first in the column
        low, high = None, await q.next_key(conn, sub, column_id, "", True)
    if low is not None and high is not None and low >= high:
        if before is not None and after is not None and keys[after] > keys[before]:
            message = "afterCustomerId must be above beforeCustomerId."
            raise InvalidInput.one(("input", "beforeCustomerId"), message, "INVALID")
        return None, sub
    rank = ranks.between(low, high)
    return (None, sub) if ranks.needs_spreading(rank) else (rank, sub)


async def _spread(session, principal, flow, sub, column_id, customer_id, after, before) -> str:
    """Every card of the column a fresh rank, the moving one where it was dropped; returns
    its rank."""
    rows = await session.execute(
        select(sub.c.id).where(sub.c.column_id == column_id).order_by(sub.c.flow_rank, sub.c.id)
    )
    order = [r[0] for r in rows]
    if after is not None:
        index = order.index(after) + 1
    elif before is not None:
        index = order.index(before)
    else:
        index = 0
    order.insert(index, customer_id)
    fresh = dict(zip(order, ranks.spread(len(order)), strict=True))
    existing = {
        p.customer_id: p
        for p in await session.scalars(
            select(FlowPosition).where(
                FlowPosition.flow_id == flow.id, FlowPosition.customer_id.in_(order)
            )
        )
    }
    for card, rank in fresh.items():
        if card == customer_id:
            continue
        if card in existing:
            existing[card].rank, existing[card].column_id = rank, column_id
        else:
            session.add(
                FlowPosition(
                    tenant_id=flow.tenant_id,
                    flow_id=flow.id,
                    customer_id=card,
                    column_id=column_id,
                    rank=rank,
                    hidden=False,
                    version=0,
                    updated_at=utcnow(),
                )
            )
    await session.flush()
    return fresh[customer_id]


async def _place(session, flow, customer_id, position, column_id, rank, hidden) -> FlowPosition:
    now = utcnow()
    if position is None:
        position = FlowPosition(
            tenant_id=flow.tenant_id, flow_id=flow.id, customer_id=customer_id, version=0
        )
        session.add(position)
    position.column_id, position.rank, position.hidden = column_id, rank, hidden
    position.version, position.updated_at = position.version + 1, now
    await session.flush()
    return position


async def _apply_drop(session, principal: Principal, column: FlowColumn, customer_id: int):
    """The column's patch, through core's services (their checks, bumps and events)."""
    patch = column.on_drop or {}
    if patch.get("statusId") is not None:
        await set_status(session, principal, [customer_id], patch["statusId"])
    folder = patch.get("folderId")
    if folder is not None:
        member = await session.scalar(
            select(CustomerFolder.folder_id).where(
                CustomerFolder.customer_id == customer_id, CustomerFolder.folder_id == folder
            )
        )
        status = patch.get("folderStatusId")
        if member is None:
            await customer_links.add_to_folders(
                session, principal, [customer_id], [(folder, status)]
            )
        elif status is not None:
            await customer_links.set_folder_status(
                session, principal, [customer_id], folder, status
            )
    if patch.get("tagId") is not None:
        await customer_links.add_tags(session, principal, [customer_id], [patch["tagId"]])


async def move_card(session: AsyncSession, principal: Principal, data: dict) -> dict:
    """The card into `column_id`, after `after` / before `before` (neither: first), decided
    on `expected_version`. Returns what the payload shows."""
    flow = await visible_flow(session, principal, data["flow_id"])
    customer_id = data["customer_id"]
    position, columns, default, member = await _card(session, principal, flow, customer_id)
    column = next((c for c in columns if c.id == data["column_id"]), None)
    if column is None:
        raise InvalidInput.one(("input", "columnId"), "Not a column of this flow.", "NOT_FOUND")
    await session.execute(
        select(FlowColumn.id).where(FlowColumn.id == column.id).with_for_update(read=True)
    )
    after, before = data.get("after"), data.get("before")
    rank, sub = await _rank(
        session, principal, flow, default, member, column.id, customer_id, after, before
    )
    _check_version(position, data.get("expected_version"))  # after the ids: all looked up
    if rank is None:
        rank = await _spread(session, principal, flow, sub, column.id, customer_id, after, before)
    source = default if position is None else position.column_id
    position = await _place(session, flow, customer_id, position, column.id, rank, False)
    if source != column.id:
        await _apply_drop(session, principal, column, customer_id)
    names = {c.id: c.name for c in columns}
    await records.emit(
        session,
        principal,
        "flow.card_moved",
        customer_id,
        flowId=flow.id,
        fromColumnId=source,
        toColumnId=column.id,
        rank=rank,
        version=position.version,
        title=f"{flow.name}: {names.get(source, '?')} → {column.name}",
    )
    return {"flow": flow, "position": position}


async def hide_card(session: AsyncSession, principal: Principal, data: dict) -> dict:
    """Off the board (or back on it): the customer is not changed."""
    flow = await visible_flow(session, principal, data["flow_id"])
    customer_id = data["customer_id"]
    position, _, default, _ = await _card(session, principal, flow, customer_id)
    _check_version(position, data.get("expected_version"))
    column = default if position is None else position.column_id
    rank = q.lazy_rank_of(customer_id) if position is None else position.rank
    if column is None:
        raise InvalidInput.one(("input", "flowId"), "The flow has no column.", "NOT_FOUND")
    position = await _place(session, flow, customer_id, position, column, rank, data["hidden"])
    await records.emit(
        session,
        principal,
        HIDE_CARD,
        customer_id,
        flowId=flow.id,
        hidden=data["hidden"],
        version=position.version,
        title=flow.name,
    )
    return {"flow": flow, "position": position}


async def move_positions(session: AsyncSession, tenant_id: int, source_id: int, target_id: int):
    """Merging customers: the duplicate's positions follow, except in flows where the record
    kept has one already (it keeps its own)."""
    kept = select(FlowPosition.flow_id).where(
        FlowPosition.tenant_id == tenant_id, FlowPosition.customer_id == target_id
    )
    for position in await session.scalars(
        select(FlowPosition).where(
            FlowPosition.tenant_id == tenant_id,
            FlowPosition.customer_id == source_id,
            FlowPosition.flow_id.in_(kept),
        )
    ):
        await session.delete(position)
    await session.flush()
    await records.move_to_customer(session, tenant_id, source_id, target_id, FlowPosition)
