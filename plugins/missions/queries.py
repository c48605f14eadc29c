"""Batched reads of missions: Core selects, plain rows, one statement per batch, always
filtered by the principal's tenant."""

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import and_, case, exists, false, func, select

from core.keyset import Order, counts_query
from core.models import now_param
from plugins.missions.models import OPEN_STATUSES, PRIORITIES, Mission, MissionAssignee

M = Mission.__table__
A = MissionAssignee.__table__

# Soonest due first, missions without a due day last, then the oldest.
DUE = Order("due", ((M.c.due_at, False, True),), M.c.id)


def overdue():
    return and_(M.c.status.in_(OPEN_STATUSES), M.c.due_at.is_not(None), M.c.due_at < now_param())


@dataclass(frozen=True)
class MissionFilter:
    """None: no condition; an empty tuple matches nothing. Hashable: it names the loader."""

    statuses: tuple[str, ...] | None = None
    assignee_ids: tuple[int, ...] | None = None
    assigned_to: int | None = None
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool | None = None

    def conditions(self) -> list:
        found = []
        if self.statuses is not None:
            found.append(M.c.status.in_(self.statuses))
        if self.assignee_ids is not None:
            found.append(
                exists().where(A.c.mission_id == M.c.id, A.c.worker_id.in_(self.assignee_ids))
                if self.assignee_ids
                else false()
            )
        if self.assigned_to is not None:
            found.append(
                exists().where(A.c.mission_id == M.c.id, A.c.worker_id == self.assigned_to)
            )
        if self.due_from is not None:
            found.append(M.c.due_on >= self.due_from)
        if self.due_to is not None:
            found.append(M.c.due_on <= self.due_to)
        if self.overdue is not None:
            found.append(overdue() if self.overdue else ~overdue())
        return found


def summaries_query(tenant_id: int, customer_ids):
    """(customer id, open, overdue)."""
    late = func.coalesce(func.sum(case((overdue(), 1), else_=0)), 0)
    return (
        select(M.c.customer_id, func.count(), late)
        .where(
            M.c.tenant_id == tenant_id,
            M.c.customer_id.in_(customer_ids),
            M.c.status.in_(OPEN_STATUSES),
        )
        .group_by(M.c.customer_id)
    )


async def summaries(conn, principal, customer_ids) -> list[tuple[int, int]]:
    rows = await conn.execute(summaries_query(principal.tenant_id, customer_ids))
    found = {customer_id: (n, int(late)) for customer_id, n, late in rows}
    return [found.get(i, (0, 0)) for i in customer_ids]


def open_counts(tenant_id: int, customer_ids):
    """The tab's badge: open and in-progress missions."""
    return counts_query(M, "customer_id", tenant_id, customer_ids, M.c.status.in_(OPEN_STATUSES))


async def assignee_ids(conn, principal, mission_ids) -> list[list[int]]:
    rows = await conn.execute(
        select(A.c.mission_id, A.c.worker_id)
        .where(A.c.tenant_id == principal.tenant_id, A.c.mission_id.in_(mission_ids))
        .order_by(A.c.mission_id, A.c.worker_id)
    )
    found: dict[int, list[int]] = {i: [] for i in mission_ids}
    for mission_id, worker_id in rows:
        found[mission_id].append(worker_id)
    return [found[i] for i in mission_ids]


def _json(value):
    return value.isoformat() if isinstance(value, datetime | date | time) else value


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"missions": [...]}`: every mission of the customer with its assignees' ids."""
    rows = await conn.execute(
        select(*M.c)
        .where(M.c.tenant_id == tenant_id, M.c.customer_id == customer_id)
        .order_by(M.c.id)
    )
    found = {
        r["id"]: {
            **{k: _json(v) for k, v in r.items()},
            "priority": PRIORITIES[r["priority"]],
            "assignee_ids": [],
        }
        for r in rows.mappings()
    }
    if found:
        links = await conn.execute(
            select(A.c.mission_id, A.c.worker_id)
            .where(A.c.tenant_id == tenant_id, A.c.mission_id.in_(list(found)))
            .order_by(A.c.mission_id, A.c.worker_id)
        )
        for mission_id, worker_id in links:
            found[mission_id]["assignee_ids"].append(worker_id)
    return {"missions": list(found.values())}
