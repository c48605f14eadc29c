"""Rules, their triggers and actions, and runs with their steps, as GraphQL types. Ids kept
in a rule's JSON come out as global ids."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from core.models import utcnow
from plugins.automation import periods
from plugins.automation import queries as q
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import to_global_id
from schema.relay import Node
from schema.team.types import Worker


@strawberry.enum(
    description="EVENT: started by a matching event; SCHEDULE: at the start of each period, on "
    "every customer the conditions take; MANUAL: only by hand."
)
class AutomationTriggerKind(Enum):
    MANUAL = "MANUAL"
    EVENT = "EVENT"
    SCHEDULE = "SCHEDULE"


@strawberry.enum(description="How often a SCHEDULE trigger's periods begin.")
class AutomationScheduleEvery(Enum):
    HOURS = "HOURS"
    DAY = "DAY"
    WEEK = "WEEK"


@strawberry.type(
    description="A SCHEDULE trigger's periods, on the business's wall clock (its time zone)."
)
class AutomationSchedule:
    every: AutomationScheduleEvery
    hours: int | None = strawberry.field(
        description="HOURS: every 1, 2, 3, 4, 6, 8, 12 or 24 hours from midnight."
    )
    at: str | None = strawberry.field(description="DAY, WEEK: the time of day, `HH:MM`.")
    weekday: int | None = strawberry.field(description="WEEK: 1 (Monday) to 7 (Sunday).")


@strawberry.enum(description="What an action does to the run's customer.")
class AutomationActionType(Enum):
    SET_STATUS = "SET_STATUS"
    SET_FOLDER_STATUS = "SET_FOLDER_STATUS"
    ADD_TAG = "ADD_TAG"
    REMOVE_TAG = "REMOVE_TAG"
    ADD_TO_FOLDER = "ADD_TO_FOLDER"
    REMOVE_FROM_FOLDER = "REMOVE_FROM_FOLDER"
    ASSIGN_WORKERS = "ASSIGN_WORKERS"
    CREATE_MISSION = "CREATE_MISSION"
    SEND_MESSAGE = "SEND_MESSAGE"
    NOTIFY_WORKERS = "NOTIFY_WORKERS"
    CALL_WEBHOOK = "CALL_WEBHOOK"
    WAIT = "WAIT"


@strawberry.enum(description="RUNNING (also while waiting), DONE, FAILED or SKIPPED (never ran).")
class AutomationRunStatus(Enum):
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


@strawberry.type(description="A key and the value it must equal (compared as text).")
class AutomationKeyValue:
    key: str
    value: str


def _gid(type_name: str, pk: int | None) -> strawberry.ID | None:
    return None if pk is None else to_global_id(type_name, pk)


@strawberry.type(description="When a rule starts; every condition given must hold.")
class AutomationTrigger:
    kind: AutomationTriggerKind
    event_type: str | None = strawberry.field(description="e.g. `customer.tags_changed`.")
    folder_ids: list[strawberry.ID] = strawberry.field(description="In any of these folders.")
    tag_ids: list[strawberry.ID] = strawberry.field(description="Has any of these tags.")
    status_ids: list[strawberry.ID] = strawberry.field(description="Has one of these statuses.")
    custom_fields: list[AutomationKeyValue]
    event_data: list[AutomationKeyValue] = strawberry.field(
        description="Keys of the event's data and the values they must have."
    )
    schedule: AutomationSchedule | None = strawberry.field(description="SCHEDULE's periods.")
    where: JSON | None = strawberry.field(
        description="A customer filter (`CustomerWhere`, as the list takes it) the customer "
        "must match, as the rule's author sees and may edit customers."
    )

    @classmethod
    def of(cls, data: dict) -> "AutomationTrigger":
        plan = data.get("schedule")
        schedule = None
        if plan:
            schedule = AutomationSchedule(
                every=AutomationScheduleEvery(plan["every"]),
                hours=plan.get("hours"),
                at=plan.get("at"),
                weekday=plan.get("weekday"),
            )
        return cls(
            kind=AutomationTriggerKind(data["kind"]),
            schedule=schedule,
            where=data.get("where"),
            event_type=data.get("eventType"),
            folder_ids=[_gid("Folder", i) for i in data.get("folderIds", [])],
            tag_ids=[_gid("Tag", i) for i in data.get("tagIds", [])],
            status_ids=[_gid("Status", i) for i in data.get("statusIds", [])],
            custom_fields=[AutomationKeyValue(**p) for p in data.get("customFields", [])],
            event_data=[AutomationKeyValue(**p) for p in data.get("eventData", [])],
        )


@strawberry.type(description="One action of a rule; the members its type uses are set.")
class AutomationAction:
    type: AutomationActionType
    status_id: strawberry.ID | None = None
    folder_id: strawberry.ID | None = None
    tag_id: strawberry.ID | None = None
    worker_ids: list[strawberry.ID] | None = None
    assigned_workers: bool | None = None
    title: str | None = None
    assignee_id: strawberry.ID | None = None
    due_in_hours: int | None = None
    channel: str | None = None
    subject: str | None = None
    body: str | None = None
    to: str | None = None
    payload: JSON | None = None
    endpoint_id: strawberry.ID | None = strawberry.field(
        default=None, description="CALL_WEBHOOK: the one webhook endpoint it goes to."
    )
    seconds: int | None = None

    @classmethod
    def of(cls, data: dict) -> "AutomationAction":
        return cls(
            type=AutomationActionType(data["type"]),
            status_id=_gid("Status", data.get("statusId")),
            folder_id=_gid("Folder", data.get("folderId")),
            tag_id=_gid("Tag", data.get("tagId")),
            worker_ids=None
            if data.get("workerIds") is None
            else [_gid("Worker", i) for i in data["workerIds"]],
            assigned_workers=data.get("assignedWorkers"),
            title=data.get("title"),
            assignee_id=_gid("Worker", data.get("assigneeId")),
            due_in_hours=data.get("dueInHours"),
            channel=data.get("channel"),
            subject=data.get("subject"),
            body=data.get("body"),
            to=data.get("to"),
            payload=data.get("payload"),
            endpoint_id=_gid("WebhookEndpoint", data.get("endpointId")),
            seconds=data.get("seconds"),
        )


@strawberry.type(description="What a rule was at one version: what its runs of it did.")
class AutomationRuleVersion:
    version: int
    name: str
    created_at: datetime
    trigger_data: strawberry.Private[dict]
    actions_data: strawberry.Private[list]
    author_id: strawberry.Private[int | None]

    @strawberry.field
    def trigger(self) -> AutomationTrigger:
        return AutomationTrigger.of(self.trigger_data)

    @strawberry.field
    def actions(self) -> list[AutomationAction]:
        return [AutomationAction.of(a) for a in self.actions_data]

    @strawberry.field(description="Who wrote this version (whom its runs acted as).")
    async def author(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.author_id)


@strawberry.type(description="An automation rule at its current version.")
class AutomationRule(Node):
    name: str
    active: bool
    version: int = strawberry.field(description="Each edit of the definition adds one.")
    created_at: datetime
    updated_at: datetime
    trigger_data: strawberry.Private[dict]
    actions_data: strawberry.Private[list]
    created_by: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row) -> "AutomationRule":
        return kit.from_row(
            cls,
            row,
            trigger_data=row["trigger"],
            actions_data=row["actions"],
            created_by=row["created_by"],
        )

    @strawberry.field
    def trigger(self) -> AutomationTrigger:
        return AutomationTrigger.of(self.trigger_data)

    @strawberry.field(description="In order; runs act as the version's author.")
    def actions(self) -> list[AutomationAction]:
        return [AutomationAction.of(a) for a in self.actions_data]

    @strawberry.field(description="Who wrote the current version (whom its runs act as).")
    async def author(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.created_by)

    @strawberry.field(
        description="SCHEDULE, switched on: when its next period begins (it runs then, within "
        "a quarter of an hour). Null otherwise."
    )
    async def next_run_at(self, info: Info) -> datetime | None:
        if not self.active or self.trigger_data.get("kind") != "SCHEDULE":
            return None
        zone = await kit.loader(info, "automation.zone", q.zones).load(0)
        return periods.upcoming(self.trigger_data["schedule"], utcnow(), zone)

    @strawberry.field(description="Every version, newest first (at most the newest 100).")
    async def versions(self, info: Info) -> list[AutomationRuleVersion]:
        rows = await kit.loader(info, "automation.versions", q.versions).load(self.pk)
        return [
            AutomationRuleVersion(
                version=r["version"],
                name=r["name"],
                created_at=r["created_at"],
                trigger_data=r["trigger"],
                actions_data=r["actions"],
                author_id=r["author_id"],
            )
            for r in rows
        ]


@strawberry.type(description="What one step of a run came to.")
class AutomationStep:
    index: int
    type: AutomationActionType
    outcome: str = strawberry.field(description="DONE, WAITING, NOBODY (none to notify), FAILED.")
    error: str | None = strawberry.field(description="`CODE: message` of a failed step.")


@strawberry.type(description="One run of a rule's version on a customer.")
class AutomationRun(Node):
    status: AutomationRunStatus
    reason: str | None = strawberry.field(
        description="Why it was SKIPPED (LOOP_GUARD, RATE_LIMITED) or the code it FAILED with."
    )
    version: int = strawberry.field(description="The rule's version it ran.")
    depth: int = strawberry.field(description="The triggering event's `automationDepth`.")
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    rule_id: strawberry.Private[int]
    customer_id: strawberry.Private[int]
    event_id: strawberry.Private[int | None]
    started_by: strawberry.Private[int | None]
    steps_data: strawberry.Private[list]

    @classmethod
    def from_row(cls, row) -> "AutomationRun":
        return kit.from_row(cls, row, steps_data=row["steps"])

    period: str | None = strawberry.field(
        description="A scheduled run's period: `2026-12-03T06` (HOURS), `2026-12-03` (DAY) or "
        "`2026-W49` (WEEK), on the business's wall clock."
    )

    @strawberry.field(description="Null for a manual or scheduled run.")
    def trigger_event_id(self) -> strawberry.ID | None:
        return _gid("Event", self.event_id)

    @strawberry.field(description="Started by hand (`runAutomation`).")
    def manual(self) -> bool:
        return self.event_id is None and self.period is None

    @strawberry.field(description="The rule, at its current version; null once deleted.")
    async def rule(self, info: Info) -> AutomationRule | None:
        return await load_rule(info, self.rule_id)

    @strawberry.field
    def steps(self) -> list[AutomationStep]:
        return [
            AutomationStep(
                index=s["index"],
                type=AutomationActionType(s["type"]),
                outcome=s["outcome"],
                error=s.get("error"),
            )
            for s in self.steps_data
        ]

    @strawberry.field(description="Who ran it by hand.")
    async def started_by_worker(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.started_by)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)


load_rule = kit.tenant_node_loader(q.RULES, AutomationRule)
load_run = kit.node_loader(q.RUNS, AutomationRun)
