"""The `missions` field on Customer, the missions across customers ("my missions"), and the
mission mutations."""

from datetime import date, time

import strawberry
from strawberry import UNSET

from core import access, keyset
from core.auth import Principal
from plugins.missions import queries as q
from plugins.missions import service
from plugins.missions.models import OPEN_STATUSES
from plugins.missions.types import Mission, MissionPriority, MissionStatus, rank_of
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id, from_global_ids
from schema.payloads import DeletePayload, deleted, payload
from schema.relay import Connection

OPEN = (q.M.c.status.in_(OPEN_STATUSES),)


@strawberry.input(description="Conditions on missions; all given ones must hold.")
class MissionFilter:
    statuses: list[MissionStatus] | None = strawberry.field(
        default=None, description="Any of these; an empty list matches nothing."
    )
    assignee_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Assigned to any of these workers; empty matches nothing."
    )
    mine: bool = strawberry.field(default=False, description="Assigned to you.")
    due_from: date | None = strawberry.field(
        default=None, description="Due on this day or later (so: with a due day)."
    )
    due_to: date | None = strawberry.field(
        default=None, description="Due on this day or earlier (so: with a due day)."
    )
    overdue: bool | None = strawberry.field(
        default=None, description="true: open and past due; false: the others."
    )

    def to_core(self, principal: Principal, statuses=None) -> q.MissionFilter:
        if self.statuses is not None:
            statuses = tuple(s.value for s in self.statuses)
        ids = None if self.assignee_ids is None else from_global_ids(self.assignee_ids, "Worker")
        return q.MissionFilter(
            statuses=statuses,
            assignee_ids=None if ids is None else tuple(ids),
            assigned_to=principal.worker_id if self.mine else None,
            due_from=self.due_from,
            due_to=self.due_to,
            overdue=self.overdue,
        )


def _summary(info: Info, customer_id: int):
    return kit.loader(info, "missions.summary", q.summaries).load(customer_id)


@strawberry.type(description="A customer's missions: what the Missions tab shows.")
class CustomerMissions:
    customer_id: strawberry.Private[int]

    @strawberry.field(
        description="Open and in-progress missions, soonest due first (those without a due "
        "day last); at most 100 a page (default 20)."
    )
    async def open(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Mission]:
        return await kit.customer_list(
            info,
            "missions.open",
            q.M,
            self.customer_id,
            q.DUE,
            first,
            after,
            Mission.from_row,
            OPEN,
        )

    @strawberry.field(description="All missions, soonest due first; at most 100 a page.")
    async def all(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: MissionFilter | None = None,
    ) -> Connection[Mission]:
        f = (filter or MissionFilter()).to_core(info.context.principal)
        name, where = f"missions.all:{f}", tuple(f.conditions())
        return await kit.customer_list(
            info, name, q.M, self.customer_id, q.DUE, first, after, Mission.from_row, where
        )

    @strawberry.field(description="Open and in-progress missions (the tab's badge).")
    async def open_count(self, info: Info) -> int:
        return (await _summary(info, self.customer_id))[0]

    @strawberry.field(description="Open and in-progress missions past their due time.")
    async def overdue_count(self, info: Info) -> int:
        return (await _summary(info, self.customer_id))[1]


async def customer_missions(root: Customer, info: Info) -> CustomerMissions:
    access.require(info.context.principal, "missions.view")
    return CustomerMissions(customer_id=root.pk)


async def missions(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: MissionFilter | None = None,
) -> Connection[Mission]:
    principal = info.context.principal
    access.require(principal, "missions.view")
    f = (filter or MissionFilter()).to_core(principal, OPEN_STATUSES)
    query = keyset.visible(q.M, principal, *f.conditions())
    return await kit.tenant_list(info, query, q.DUE, first, after, Mission.from_row)


# --- mutations -------------------------------------------------------------------------------

MissionPayload = payload(Mission, "mission")


@strawberry.input(description="A new mission; it starts OPEN.")
class CreateMissionInput:
    customer_id: strawberry.ID
    title: str = strawberry.field(description="Required, at most 200 characters.")
    description: str | None = None
    priority: MissionPriority = MissionPriority.NORMAL
    due_on: date | None = strawberry.field(default=None, description="The tenant's day.")
    due_time: time | None = strawberry.field(
        default=None, description="Wall-clock time in the tenant's zone; needs `dueOn`."
    )
    assignee_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Workers of the business, at most 20."
    )


@strawberry.input(
    description="Only the members sent change; null clears description, dueOn (and with it "
    "dueTime) or dueTime."
)
class UpdateMissionInput:
    id: strawberry.ID
    title: str | None = UNSET
    description: str | None = UNSET
    priority: MissionPriority | None = UNSET
    due_on: date | None = UNSET
    due_time: time | None = UNSET


@strawberry.input(description="The mission's assignees become exactly these workers.")
class AssignMissionInput:
    id: strawberry.ID
    assignee_ids: list[strawberry.ID] = strawberry.field(description="At most 20; [] for none.")


@strawberry.input(
    description="Moves: OPEN <-> IN_PROGRESS; OPEN or IN_PROGRESS -> DONE or CANCELLED; DONE "
    "or CANCELLED -> OPEN (reopen)."
)
class SetMissionStatusInput:
    id: strawberry.ID
    status: MissionStatus


@strawberry.input
class DeleteMissionInput:
    id: strawberry.ID


def _id(value: strawberry.ID) -> int:
    return from_global_id(value, "Mission")


def _save(info: Info, work, target: str = "id"):
    return kit.save(info, MissionPayload, "mission", Mission, work, target)


async def create_mission(info: Info, input: CreateMissionInput) -> MissionPayload:
    data = {
        "customer_id": from_global_id(input.customer_id, "Customer"),
        "title": input.title,
        "description": input.description,
        "priority": rank_of(input.priority),
        "due_on": input.due_on,
        "due_time": input.due_time,
        "assignee_ids": from_global_ids(input.assignee_ids, "Worker"),
    }
    return await _save(info, lambda s, p: service.create_mission(s, p, data), "customerId")


async def update_mission(info: Info, input: UpdateMissionInput) -> MissionPayload:
    names = ("title", "description", "priority", "due_on", "due_time")
    changes = {key: getattr(input, key) for key in names if getattr(input, key) is not UNSET}
    if "priority" in changes:
        changes["priority"] = rank_of(changes["priority"])
    pk = _id(input.id)
    return await _save(info, lambda s, p: service.update_mission(s, p, pk, changes))


async def assign_mission(info: Info, input: AssignMissionInput) -> MissionPayload:
    pk, workers = _id(input.id), from_global_ids(input.assignee_ids, "Worker")
    return await _save(info, lambda s, p: service.assign_mission(s, p, pk, workers))


async def set_mission_status(info: Info, input: SetMissionStatusInput) -> MissionPayload:
    pk, status = _id(input.id), input.status.value
    return await _save(info, lambda s, p: service.set_status(s, p, pk, status))


async def delete_mission(info: Info, input: DeleteMissionInput) -> DeletePayload:
    pk = _id(input.id)
    return await deleted(info, input.id, lambda s, p: service.delete_mission(s, p, pk))


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_missions,
        name="missions",
        description="Missions module: the customer's tasks.",
    )
]
QUERY_FIELDS = [
    strawberry.field(
        resolver=missions,
        name="missions",
        description="Missions of every customer you see, soonest due first (then oldest). "
        "Without `filter.statuses` only OPEN and IN_PROGRESS; `filter.mine` for yours.",
    )
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=create_mission, description="Add a mission to a customer."),
    strawberry.mutation(
        resolver=update_mission,
        description="Change a mission's title, description, priority or due day and time.",
    ),
    strawberry.mutation(resolver=assign_mission, description="Set who works on a mission."),
    strawberry.mutation(
        resolver=set_mission_status,
        description="Start, complete, cancel or reopen a mission.",
    ),
    strawberry.mutation(resolver=delete_mission, description="Delete a mission for good."),
]
