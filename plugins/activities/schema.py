"""The `activities` field on Customer and the activity mutations."""

from datetime import datetime

import strawberry
from strawberry import UNSET

from core import access, records
from core.errors import InvalidInput
from plugins.activities import queries as q
from plugins.activities import service
from plugins.activities.types import Activity, ActivityKind, ActivityKindCount, ActivityOutcome
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.payloads import DeletePayload, deleted, payload
from schema.relay import Connection

MAX_SEARCH = 200


@strawberry.input(description="Conditions on activities; all given ones must hold.")
class ActivityFilter:
    kinds: list[ActivityKind] | None = strawberry.field(
        default=None, description="Any of these; an empty list matches nothing."
    )
    outcomes: list[ActivityOutcome] | None = strawberry.field(
        default=None, description="Any of these; an empty list matches nothing."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Text in the title or description, any case; at most 200 characters.",
    )
    occurred_from: datetime | None = strawberry.field(default=None, description="Inclusive.")
    occurred_to: datetime | None = strawberry.field(default=None, description="Exclusive.")

    def to_core(self) -> q.ActivityFilter:
        search = (self.search or "").strip()
        if len(search) > MAX_SEARCH:
            message = f"At most {MAX_SEARCH} characters."
            raise InvalidInput.one(("filter", "search"), message, "TOO_LONG")
        return q.ActivityFilter(
            kinds=None if self.kinds is None else tuple(k.value for k in self.kinds),
            outcomes=None if self.outcomes is None else tuple(o.value for o in self.outcomes),
            search=search.casefold() or None,
            occurred_from=records.utc(self.occurred_from),
            occurred_to=records.utc(self.occurred_to),
        )


@strawberry.type(description="A customer's activities: what the Activities tab shows.")
class CustomerActivities:
    customer_id: strawberry.Private[int]

    @strawberry.field(
        name="list",
        description="The activities, newest occurred first; at most 100 a page (default 20).",
    )
    async def activities(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ActivityFilter | None = None,
    ) -> Connection[Activity]:
        f = filter.to_core() if filter else q.ActivityFilter()
        return await kit.customer_list(
            info,
            f"activities.list:{f}",
            q.T,
            self.customer_id,
            q.NEWEST,
            first,
            after,
            lambda row: kit.from_row(Activity, row),
            f.conditions(),
        )

    async def _summary(self, info: Info) -> dict:
        return await kit.loader(info, "activities.summary", q.summaries).load(self.customer_id)

    @strawberry.field(description="All of the customer's activities.")
    async def total_count(self, info: Info) -> int:
        return (await self._summary(info))["total"]

    @strawberry.field(description="When the latest activity occurred; null: none yet.")
    async def last_activity_at(self, info: Info) -> datetime | None:
        return (await self._summary(info))["last"]

    @strawberry.field(description="How many of each kind, every kind listed (zeros too).")
    async def counts_by_kind(self, info: Info) -> list[ActivityKindCount]:
        counts = (await self._summary(info))["by_kind"]
        return [ActivityKindCount(kind=ActivityKind(k), count=n) for k, n in counts.items()]

    @strawberry.field(description="Activities that occurred in the last 7 days (the badge).")
    async def recent_count(self, info: Info) -> int:
        return await kit.loader(info, "activities.recent", q.recent).load(self.customer_id)


async def customer_activities(root: Customer, info: Info) -> CustomerActivities:
    access.require(info.context.principal, "activities.view")
    return CustomerActivities(customer_id=root.pk)


# --- mutations -------------------------------------------------------------------------------

ActivityPayload = payload(Activity, "activity")


@strawberry.input(description="An activity to log on a customer.")
class LogActivityInput:
    customer_id: strawberry.ID
    kind: ActivityKind
    title: str = strawberry.field(description="Required, at most 200 characters.")
    description: str | None = strawberry.field(default=None, description="At most 10,000.")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened; default now; not in the future."
    )
    duration_seconds: int | None = strawberry.field(default=None, description="0 to 7 days.")
    outcome: ActivityOutcome | None = None
    worker_id: strawberry.ID | None = strawberry.field(
        default=None, description="Who did it; default you."
    )


@strawberry.input(
    description="Only the members sent change; null clears description, durationSeconds "
    "and outcome."
)
class UpdateActivityInput:
    id: strawberry.ID
    kind: ActivityKind | None = UNSET
    title: str | None = UNSET
    description: str | None = UNSET
    occurred_at: datetime | None = UNSET
    duration_seconds: int | None = UNSET
    outcome: ActivityOutcome | None = UNSET
    worker_id: strawberry.ID | None = UNSET


@strawberry.input(description="Deleted for good; its events stay on the timeline.")
class DeleteActivityInput:
    id: strawberry.ID


def _data(input, *keys: str) -> dict:
    """The members sent, as the service takes them (enums by name, workers by pk)."""
    found = {}
    for key in keys:
        value = getattr(input, key)
        if value is UNSET:
            continue
        if key in ("kind", "outcome") and value is not None:
            value = value.value
        elif key == "worker_id" and value is not None:
            value = from_global_id(value, "Worker")
        found[key] = value
    return found


FIELDS = ("kind", "title", "description", "occurred_at", "duration_seconds", "outcome")


async def log_activity(info: Info, input: LogActivityInput) -> ActivityPayload:
    data = _data(input, *FIELDS, "worker_id")
    data["customer_id"] = from_global_id(input.customer_id, "Customer")

    def work(session, principal):
        return service.log_activity(session, principal, data)

    return await kit.save(info, ActivityPayload, "activity", Activity, work, "customerId")


async def update_activity(info: Info, input: UpdateActivityInput) -> ActivityPayload:
    activity_id, changes = from_global_id(input.id, "Activity"), _data(input, *FIELDS, "worker_id")

    def work(session, principal):
        return service.update_activity(session, principal, activity_id, changes)

    return await kit.save(info, ActivityPayload, "activity", Activity, work)


async def delete_activity(info: Info, input: DeleteActivityInput) -> DeletePayload:
    activity_id = from_global_id(input.id, "Activity")
    return await deleted(info, input.id, lambda s, p: service.delete_activity(s, p, activity_id))


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_activities,
        name="activities",
        description="Activities module: calls, emails, meetings, notes, tasks and deal "
        "updates logged on the customer.",
    )
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=log_activity, description="Log an activity on a customer."),
    strawberry.mutation(
        resolver=update_activity,
        description="Change an activity (someone else's takes `activities.manage_others`).",
    ),
    strawberry.mutation(
        resolver=delete_activity,
        description="Delete an activity (someone else's takes `activities.manage_others`).",
    ),
]
