"""`Customer.automation` (the Work Flow tab: runs and how many are running), the tenant's
rules, and the mutations: rules (each edit a new version) and `runAutomation`."""

import strawberry
from strawberry import UNSET
from strawberry.scalars import JSON

from core import access
from plugins.automation import bulk_runs, service
from plugins.automation import queries as q
from plugins.automation.types import (
    AutomationActionType,
    AutomationRule,
    AutomationRun,
    AutomationScheduleEvery,
    AutomationTriggerKind,
)
from schema import kit
from schema.compiled.customers import ModuleField
from schema.context import Info
from schema.customers.types import Customer
from schema.customers.where import CustomerWhere
from schema.ids import MISSING, from_global_id, from_global_ids
from schema.jobs import Job
from schema.nodes import resolve_node
from schema.payloads import DeletePayload, UserError, deleted, mutate, payload
from schema.relay import Connection


@strawberry.type(description="A customer's automation: what the Work Flow tab shows.")
class CustomerAutomation:
    customer_id: strawberry.Private[int]

    @strawberry.field(description="Runs on the customer, newest first; at most 100 a page.")
    async def runs(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AutomationRun]:
        return await kit.customer_list(
            info,
            "automation.runs",
            q.RUNS,
            self.customer_id,
            q.NEWEST,
            first,
            after,
            AutomationRun.from_row,
        )

    @strawberry.field(description="Runs still going (or waiting): the tab's badge.")
    async def running_count(self, info: Info) -> int:
        return await kit.loader(info, "automation.running", q.running).load(self.customer_id)


async def customer_automation(root: Customer, info: Info) -> CustomerAutomation:
    access.require(info.context.principal, service.VIEW)
    return CustomerAutomation(customer_id=root.pk)


def compiled_automation(principal, names):
    if not access.can(principal, service.VIEW) or set(names) - {"runningCount"}:
        return None

    def query(principal, customer_ids):
        return q.running_counts(principal.tenant_id, customer_ids, "running_count")

    return ModuleField(query, {"runningCount": ("running_count", "int", "0")})


async def automation_rules(
    info: Info, first: int | None = None, after: str | None = None
) -> Connection[AutomationRule]:
    principal = info.context.principal
    access.require(principal, service.VIEW)
    return await kit.tenant_list(
        info, q.rules(principal), q.RULES_BY_ID, first, after, AutomationRule.from_row
    )


@strawberry.input(description="A key and the value it must equal (compared as text).")
class AutomationKeyValueInput:
    key: str
    value: str


@strawberry.input(
    description="A SCHEDULE trigger's periods, on the business's wall clock (its time zone). "
    "Each period runs the rule once, when it begins (within a quarter of an hour)."
)
class AutomationScheduleInput:
    every: AutomationScheduleEvery
    hours: int | None = strawberry.field(
        default=None, description="HOURS: 1, 2, 3, 4, 6, 8, 12 or 24, counted from midnight."
    )
    at: str | None = strawberry.field(
        default=None, description="DAY, WEEK: the time of day, `HH:MM` (default `00:00`)."
    )
    weekday: int | None = strawberry.field(
        default=None, description="WEEK: 1 (Monday) to 7 (Sunday)."
    )

    def to_dict(self) -> dict:
        return {
            "every": self.every.value,
            "hours": self.hours,
            "at": self.at,
            "weekday": self.weekday,
        }


@strawberry.input(description="When the rule starts. Conditions given must all hold.")
class AutomationTriggerInput:
    kind: AutomationTriggerKind
    event_type: str | None = strawberry.field(
        default=None, description="Required for EVENT, e.g. `customer.tags_changed`."
    )
    schedule: AutomationScheduleInput | None = strawberry.field(
        default=None, description="Required for SCHEDULE."
    )
    where: CustomerWhere | None = strawberry.field(
        default=None,
        description="A customer filter, as the list takes it (module data included, e.g. "
        "`tickets.open`); for SCHEDULE it picks the customers each period runs on. Read as "
        "the rule's author sees customers (those they may edit).",
    )
    folder_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    tag_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    status_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    custom_fields: list[AutomationKeyValueInput] = strawberry.field(default_factory=list)
    event_data: list[AutomationKeyValueInput] = strawberry.field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind.value,
            "eventType": self.event_type,
            "schedule": self.schedule.to_dict() if self.schedule else None,
            "where": self.where.to_dict() if self.where else None,
            "folderIds": from_global_ids(self.folder_ids, "Folder"),
            "tagIds": from_global_ids(self.tag_ids, "Tag"),
            "statusIds": from_global_ids(self.status_ids, "Status"),
            "customFields": [{"key": p.key, "value": p.value} for p in self.custom_fields],
            "eventData": [{"key": p.key, "value": p.value} for p in self.event_data],
        }


@strawberry.input(description="One action; set the members its type uses (see the type).")
class AutomationActionInput:
    type: AutomationActionType
    status_id: strawberry.ID | None = None
    folder_id: strawberry.ID | None = None
    tag_id: strawberry.ID | None = None
    worker_ids: list[strawberry.ID] | None = None
    assigned_workers: bool | None = strawberry.field(
        default=None, description="NOTIFY_WORKERS: also the customer's assigned workers."
    )
    title: str | None = None
    assignee_id: strawberry.ID | None = None
    due_in_hours: int | None = None
    channel: str | None = strawberry.field(default=None, description="EMAIL, SMS or WHATSAPP.")
    subject: str | None = None
    body: str | None = None
    to: str | None = None
    payload: JSON | None = strawberry.field(default=None, description="CALL_WEBHOOK's body.")
    endpoint_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="CALL_WEBHOOK: send to this webhook endpoint only (a `WebhookEndpoint` you "
        "can see, checked when the rule is saved), whatever event types it subscribes to. "
        "Without it the call goes to every endpoint subscribed to `automation.webhook`.",
    )
    seconds: int | None = strawberry.field(default=None, description="WAIT: the delay.")

    def to_dict(self) -> dict:
        one = {
            "statusId": "Status",
            "folderId": "Folder",
            "tagId": "Tag",
            "assigneeId": "Worker",
            "endpointId": "WebhookEndpoint",
        }
        data = {"type": self.type.value}
        for name, type_name in one.items():
            value = getattr(self, _snake(name))
            data[name] = None if value is None else from_global_id(value, type_name)
        data["workerIds"] = (
            None if self.worker_ids is None else from_global_ids(self.worker_ids, "Worker")
        )
        for name in (
            "assignedWorkers",
            "title",
            "dueInHours",
            "channel",
            "subject",
            "body",
            "to",
            "payload",
            "seconds",
        ):
            data[name] = getattr(self, _snake(name))
        return {k: v for k, v in data.items() if v is not None}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


@strawberry.input(description="A new rule, at version 1; you are its author.")
class CreateAutomationRuleInput:
    name: str
    trigger: AutomationTriggerInput
    actions: list[AutomationActionInput]
    active: bool = True


@strawberry.input(
    description="A new version when `actions` is sent (then name and trigger are sent too, "
    "the whole definition; you become its author); `active` alone switches it on or off."
)
class UpdateAutomationRuleInput:
    id: strawberry.ID
    name: str | None = None
    trigger: AutomationTriggerInput | None = None
    actions: list[AutomationActionInput] | None = None
    active: bool | None = UNSET


@strawberry.input(description="Delete a rule and its runs.")
class DeleteAutomationRuleInput:
    id: strawberry.ID


@strawberry.input(
    description="Run a rule now on customers you may change: these `customerIds` (at most "
    "500, all or none, in the request), or a filter (`where` and/or `search`, as the list "
    "takes them; a segment is a `where` condition): every customer your list shows for it "
    "that you may change, at most `AUTOMATION_MAX_BULK_RUN` (default 10,000), run by a job."
)
class RunAutomationInput:
    rule_id: strawberry.ID
    customer_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="These customers. Or give `where` / `search`."
    )
    where: CustomerWhere | None = strawberry.field(
        default=None, description="Every customer the list shows for this filter."
    )
    search: str | None = strawberry.field(
        default=None, description="With or without `where`: the list's search."
    )


RulePayload = payload(AutomationRule, "rule")


@strawberry.type(
    description="By ids: the runs started, one per customer. By filter: the `job` starting "
    "them (follow it with `jobProgress`; null when no customer matched). Or why none did."
)
class RunAutomationPayload:
    runs: list[AutomationRun] | None
    job: Job | None
    user_errors: list[UserError]


async def _definition(info: Info, input) -> dict:
    """The definition as the service takes it, with the webhook endpoints its CALL_WEBHOOK
    actions name that the author can see (`endpoints`): the webhooks module's `node(id:)`
    answers, so automation neither imports it nor reads its tables."""
    data = {"name": input.name, "actions": [a.to_dict() for a in input.actions or []]}
    data["trigger"] = input.trigger.to_dict() if input.trigger else {}
    data["endpoints"] = set()
    for action in input.actions or []:
        if action.endpoint_id is None:
            continue
        pk = from_global_id(action.endpoint_id, "WebhookEndpoint")
        if pk != MISSING and await resolve_node(info, action.endpoint_id) is not None:
            data["endpoints"].add(pk)
    return data


async def create_automation_rule(info: Info, input: CreateAutomationRuleInput) -> RulePayload:
    data = {**(await _definition(info, input)), "active": input.active}
    return await kit.save(
        info, RulePayload, "rule", AutomationRule, lambda s, p: service.create_rule(s, p, data)
    )


async def update_automation_rule(info: Info, input: UpdateAutomationRuleInput) -> RulePayload:
    rule_id = from_global_id(input.id, "AutomationRule")
    sent = (input.name, input.trigger, input.actions)
    data = await _definition(info, input) if any(v is not None for v in sent) else {}
    if input.active not in (UNSET, None):
        data["active"] = input.active
    return await kit.save(
        info,
        RulePayload,
        "rule",
        AutomationRule,
        lambda s, p: service.update_rule(s, p, rule_id, data),
    )


async def delete_automation_rule(info: Info, input: DeleteAutomationRuleInput) -> DeletePayload:
    rule_id = from_global_id(input.id, "AutomationRule")
    return await deleted(info, input.id, lambda s, p: service.delete_rule(s, p, rule_id))


async def run_automation(info: Info, input: RunAutomationInput) -> RunAutomationPayload:
    rule_id = from_global_id(input.rule_id, "AutomationRule")
    by_filter = input.where is not None or input.search is not None
    if (input.customer_ids is None) == (not by_filter):
        message = "Give either `customerIds` or a filter (`where` / `search`), not both."
        error = UserError(field=["input", "customerIds"], message=message, code="IDS_OR_FILTER")
        return RunAutomationPayload(runs=None, job=None, user_errors=[error])
    if by_filter:
        where = input.where.to_dict() if input.where is not None else None

        def start(session, principal):
            return bulk_runs.request(session, principal, rule_id, where, input.search)

        job, errors = await mutate(info, start, "ruleId")
        runs = [] if not errors else None
        shown = Job.from_row(job) if job is not None else None
        return RunAutomationPayload(runs=runs, job=shown, user_errors=errors)
    customer_ids = from_global_ids(input.customer_ids, "Customer")

    async def work(session, principal):
        run_ids = await service.run_manually(session, principal, rule_id, customer_ids)
        rows = await session.execute(
            q.RUNS.select().where(q.RUNS.c.id.in_(run_ids)).order_by(q.RUNS.c.id)
        )
        return [AutomationRun.from_row(dict(r)) for r in rows.mappings()]

    runs, errors = await mutate(info, work, "ruleId")
    return RunAutomationPayload(runs=runs, job=None, user_errors=errors)


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_automation,
        name="automation",
        description='Automation module (tab "Work Flow"): the runs of rules on the customer.',
    )
]
QUERY_FIELDS = [
    strawberry.field(resolver=automation_rules, description="The business's automation rules.")
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=create_automation_rule, description="Write a new rule."),
    strawberry.mutation(
        resolver=update_automation_rule, description="Edit a rule (a new version) or switch it."
    ),
    strawberry.mutation(resolver=delete_automation_rule, description="Delete a rule for good."),
    strawberry.mutation(
        resolver=run_automation, description="Run a rule now on one customer or a selection."
    ),
]
