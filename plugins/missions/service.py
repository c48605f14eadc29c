"""Mission writes: validation (everything wrong is reported at once, nothing is written),
permissions, legal status moves and events, inside the caller's transaction. A mission is
part of its customer's record: changing it takes a customer the worker may change."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import Problem
from core.models import Tenant, Worker, utcnow
from core.tenants import zone_of
from plugins.missions.models import TRANSITIONS, Mission, MissionAssignee

MAX_TITLE = 200
MAX_TEXT = 10_000
MAX_ASSIGNEES = 20
A = MissionAssignee.__table__
API_NAMES = {
    "title": "title",
    "description": "description",
    "priority": "priority",
    "due_on": "dueOn",
    "due_time": "dueTime",
}


def due_instant(due_on: date | None, due_time: time | None, zone: str) -> datetime | None:
    """When a mission due then becomes overdue: at its time on its day in the tenant's zone,
    or at the end of its day without a time."""
    if due_on is None:
        return None
    tz = zone_of(zone)
    if due_time is None:
        local = datetime.combine(due_on + timedelta(days=1), time(0), tz)
    else:
        local = datetime.combine(due_on, due_time, tz)
    return local.astimezone(UTC)


async def _due(session, principal, values: dict, problems: list[Problem]) -> None:
    """Fills `due_at` from `due_on` / `due_time`: a time needs a day, and is the wall-clock
    time of the tenant's zone, so it carries no offset."""
    due_on, due_time = values["due_on"], values["due_time"]
    if due_time is not None and due_on is None:
        problems.append(Problem(("input", "dueOn"), "A due time needs a due day.", "REQUIRED"))
    if due_time is not None and due_time.tzinfo is not None:
        problems.append(
            Problem(("input", "dueTime"), "Give the time without an offset.", "INVALID")
        )
        return
    zone = await session.scalar(select(Tenant.time_zone).where(Tenant.id == principal.tenant_id))
    values["due_at"] = due_instant(due_on, due_time, zone or "UTC")


def _text(values: dict, data: dict, problems: list[Problem]) -> None:
    if "title" in data:
        title = records.clean_text(data["title"], ("input", "title"), MAX_TITLE, problems, True)
        values["title"] = title
    if "description" in data:
        description = records.clean_text(
            data["description"], ("input", "description"), MAX_TEXT, problems
        )
        values["description"] = description
    if "priority" in data:
        if data["priority"] is None:
            problems.append(Problem(("input", "priority"), "Give a priority.", "REQUIRED"))
        values["priority"] = data["priority"]


async def _workers(session, principal, worker_ids: list[int], problems) -> list[int]:
    """The distinct workers, each of the tenant; NOT_FOUND at the position of any other."""
    unique = list(dict.fromkeys(worker_ids))
    if len(unique) > MAX_ASSIGNEES:
        problems.append(
            Problem(("input", "assigneeIds"), f"At most {MAX_ASSIGNEES} workers.", "TOO_MANY")
        )
        return unique
    found = set(
        await session.scalars(
            select(Worker.id).where(Worker.tenant_id == principal.tenant_id, Worker.id.in_(unique))
        )
    )
    for index, worker_id in enumerate(worker_ids):
        if worker_id not in found:
            problems.append(
                Problem(("input", "assigneeIds", str(index)), "Worker not found.", "NOT_FOUND")
            )
    return unique


async def _emit(session, principal, mission: Mission, name: str, **data) -> None:
    await records.emit(session, principal, name, mission.customer_id, missionId=mission.id, **data)


async def _set_assignees(session, mission: Mission, worker_ids: list[int]) -> tuple[list, list]:
    current = set(await session.scalars(select(A.c.worker_id).where(A.c.mission_id == mission.id)))
    added = [i for i in worker_ids if i not in current]
    removed = sorted(current - set(worker_ids))
    if removed:
        await session.execute(
            delete(A).where(A.c.mission_id == mission.id, A.c.worker_id.in_(removed))
        )
    if added:
        rows = [
            dict(mission_id=mission.id, worker_id=i, tenant_id=mission.tenant_id) for i in added
        ]
        await session.execute(insert(A), rows)
    return added, removed


async def get_mission(session: AsyncSession, principal: Principal, mission_id: int) -> Mission:
    return await records.for_update(session, principal, Mission, mission_id, "Mission")


async def create_mission(session: AsyncSession, principal: Principal, data: dict) -> Mission:
    access.require(principal, "missions.manage")
    customer = await get_customer(session, principal, data["customer_id"])
    problems: list[Problem] = []
    values = {"due_on": data.get("due_on"), "due_time": data.get("due_time")}
    _text(values, data, problems)
    await _due(session, principal, values, problems)
    assignees = await _workers(session, principal, data.get("assignee_ids", []), problems)
    records.fail_if(problems)
    now = utcnow()
    mission = Mission(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        status="OPEN",
        created_by_id=principal.worker_id,
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(mission)
    await session.flush()
    await _set_assignees(session, mission, assignees)
    await _emit(session, principal, mission, "mission.created", assigneeIds=assignees)
    return mission


async def update_mission(
    session: AsyncSession, principal: Principal, mission_id: int, changes: dict
) -> Mission:
    """Only the keys of `changes` change; a due day of None clears the due time too."""
    access.require(principal, "missions.manage")
    mission = await get_mission(session, principal, mission_id)
    problems: list[Problem] = []
    values: dict = {}
    _text(values, changes, problems)
    if "due_on" in changes or "due_time" in changes:
        values["due_on"] = changes.get("due_on", mission.due_on)
        keep = mission.due_time if values["due_on"] is not None else None
        values["due_time"] = changes.get("due_time", keep)
        await _due(session, principal, values, problems)
    records.fail_if(problems)
    changed = [key for key, value in values.items() if getattr(mission, key) != value]
    for key in changed:
        setattr(mission, key, values[key])
    if changed:
        mission.updated_at = utcnow()
        await session.flush()
        fields = [API_NAMES[key] for key in changed if key != "due_at"]
        await _emit(session, principal, mission, "mission.updated", fields=fields)
    return mission


async def assign_mission(
    session: AsyncSession, principal: Principal, mission_id: int, worker_ids: list[int]
) -> Mission:
    """The mission's assignees become exactly these workers."""
    access.require(principal, "missions.manage")
    mission = await get_mission(session, principal, mission_id)
    problems: list[Problem] = []
    worker_ids = await _workers(session, principal, worker_ids, problems)
    records.fail_if(problems)
    added, removed = await _set_assignees(session, mission, worker_ids)
    if added or removed:
        mission.updated_at = utcnow()
        await session.flush()
        await _emit(session, principal, mission, "mission.assigned", added=added, removed=removed)
    return mission


async def set_status(
    session: AsyncSession, principal: Principal, mission_id: int, status: str
) -> Mission:
    """Completion records who and when; reopening forgets it. Moving to the status it has
    already is a no-op without events."""
    access.require(principal, "missions.manage")
    mission = await get_mission(session, principal, mission_id)
    old = mission.status
    if not TRANSITIONS.check(old, status):
        return mission
    now = utcnow()
    mission.status, mission.updated_at = status, now
    done = status == "DONE"
    mission.completed_by_id = principal.worker_id if done else None
    mission.completed_at = now if done else None
    await session.flush()
    await _emit(
        session, principal, mission, "mission.status_changed", **{"from": old, "to": status}
    )
    if done:
        await _emit(session, principal, mission, "mission.completed")
    elif old in ("DONE", "CANCELLED"):
        await _emit(session, principal, mission, "mission.reopened", **{"from": old})
    return mission


async def delete_mission(session: AsyncSession, principal: Principal, mission_id: int) -> bool:
    access.require(principal, "missions.manage")
    mission = await get_mission(session, principal, mission_id)
    await _emit(session, principal, mission, "mission.deleted", title=mission.title)
    await session.delete(mission)
    await session.flush()
    return True


async def move_missions(session: AsyncSession, tenant_id: int, source_id: int, target_id: int):
    """Merging customers: the missions follow, with their assignees."""
    await records.move_to_customer(session, tenant_id, source_id, target_id, Mission)
