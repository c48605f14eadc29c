"""Missions as GraphQL types. What hangs off a mission (its customer, its workers) loads
through per-request loaders, so a list costs the same per page whatever its length."""

from datetime import date, datetime, time
from enum import Enum

import strawberry
from strawberry import Private

from core.models import utcnow
from plugins.missions import queries as q
from plugins.missions.models import OPEN_STATUSES, PRIORITIES
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.relay import Node
from schema.team.types import Worker


@strawberry.enum(
    description="Where a mission stands. OPEN and IN_PROGRESS count as open; DONE and "
    "CANCELLED may be reopened (back to OPEN)."
)
class MissionStatus(Enum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="How important a mission is.")
class MissionPriority(Enum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


def rank_of(priority: MissionPriority | None) -> int | None:
    return None if priority is None else PRIORITIES.index(priority.value)


@strawberry.type(description="A task to do for a customer: due, prioritised, assigned, done.")
class Mission(Node):
    title: str
    description: str | None
    status: MissionStatus
    priority: MissionPriority
    due_on: date | None = strawberry.field(description="The day it is due (the tenant's day).")
    due_time: time | None = strawberry.field(
        description="The wall-clock time it is due on `dueOn`, in the tenant's time zone; "
        "null: any time that day."
    )
    due_at: datetime | None = strawberry.field(
        description="The instant it becomes overdue: `dueOn` at `dueTime` in the tenant's time "
        "zone, or the end of `dueOn` without a time. Computed when the due day is written."
    )
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = strawberry.field(description="Set while DONE.")
    customer_id: Private[int]
    created_by_id: Private[int | None]
    completed_by_id: Private[int | None]

    @classmethod
    def from_row(cls, row) -> "Mission":
        return kit.from_row(cls, row, priority=MissionPriority(PRIORITIES[row["priority"]]))

    @strawberry.field(description="Open or in progress, and past `dueAt`.")
    def overdue(self) -> bool:
        return (
            self.status.value in OPEN_STATUSES
            and self.due_at is not None
            and self.due_at < utcnow()
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)

    @strawberry.field(description="The workers doing it, by name.")
    async def assignees(self, info: Info) -> list[Worker]:
        ids = await kit.loader(info, "missions.assignees", q.assignee_ids).load(self.pk)
        return sorted(await kit.workers(info, ids), key=lambda w: (w.name, w.pk))

    @strawberry.field(description="Who created it; null once that worker is removed.")
    async def created_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.created_by_id)

    @strawberry.field(description="Who completed it; set while DONE.")
    async def completed_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.completed_by_id)


load_mission = kit.node_loader(q.M, Mission)
