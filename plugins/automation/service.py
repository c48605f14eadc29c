"""Rule writes (each edit a new version) and starting runs: from an event (`start_from_event`,
the module's `hub_handle_event`), by hand (`run_manually`), or a schedule's sweep
(`scheduled.py`; writing an active SCHEDULE rule arms the tenant's `TICKS`). A run is a row
plus a job of `automation.run` enqueued in the same transaction, so it exists exactly when
the run does; `runner.py` works it through.

Guards: a run's depth is its triggering event's `automationDepth` (0 for a worker's write),
and the events its actions cause carry depth + 1; no rule starts from an event at depth
>= `AUTOMATION_MAX_DEPTH` (a rule setting a status that triggers itself stops there). Runs
an event would start beyond `AUTOMATION_RUNS_PER_MINUTE` in a tenant's last minute are
recorded SKIPPED with the reason, and do nothing (a runaway fan-out stops). Scheduled runs
count too, but a sweep over the limit waits for the next minute instead (`scheduled.py`);
manual runs, one by one or by filter (`bulk_runs.py`), are deliberate and not counted.

A trigger's `where` (the list's filter language, ids as global ids) is checked when saved as
its author sees customers, and read at run time as the version's author: a customer their
list does not show, or they may not edit, is not taken."""

import os
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, filters, jobs, records, schedules
from core.auth import Principal
from core.customers import MAX_BULK, get_customers
from core.errors import InvalidInput, NotFound, Problem
from core.models import Folder, Status, Tag, Worker, utcnow
from plugins.automation import conditions, periods
from plugins.automation.models import (
    RUNNING,
    SCHEDULE,
    SKIPPED,
    AutomationRule,
    AutomationRuleVersion,
    AutomationRun,
)
from schema.customers.where import decode_id

JOB_KIND, SWEEP_KIND = "automation.run", "automation.sweep"
MANAGE, RUN, VIEW = "automation.manage", "automation.run", "automation.view"
MAX_NAME, MAX_ACTIONS, MAX_CONDITIONS, MAX_MANUAL = 200, 30, 20, MAX_BULK
MAX_WAIT = 30 * 86400
CHANNELS = ("EMAIL", "SMS", "WHATSAPP")

# The fields each action type needs (`None`: optional); ids are checked against the tenant.
ACTION_FIELDS: dict[str, dict[str, bool]] = {
    "SET_STATUS": {"statusId": False},  # null clears the status
    "SET_FOLDER_STATUS": {"folderId": True, "statusId": True},
    "ADD_TAG": {"tagId": True},
    "REMOVE_TAG": {"tagId": True},
    "ADD_TO_FOLDER": {"folderId": True},
    "REMOVE_FROM_FOLDER": {"folderId": True},
    "ASSIGN_WORKERS": {"workerIds": True},
    "CREATE_MISSION": {"title": True, "assigneeId": False, "dueInHours": False},
    "SEND_MESSAGE": {"channel": True, "subject": False, "body": True, "to": False},
    "NOTIFY_WORKERS": {"workerIds": False, "assignedWorkers": False, "title": True, "body": False},
    "CALL_WEBHOOK": {"payload": False, "endpointId": False},
    "WAIT": {"seconds": True},
}
REFS = {"statusId": Status, "folderId": Folder, "tagId": Tag, "assigneeId": Worker}


async def has_schedules(session, tenant_id: int) -> bool:
    """The tick's `wanted`: the tenant has an active SCHEDULE rule (few rules a tenant: the
    kind is read from their JSON rather than indexed)."""
    triggers = await session.scalars(
        select(AutomationRule.trigger).where(
            AutomationRule.tenant_id == tenant_id,
            AutomationRule.active.is_(True),
            AutomationRule.event_type.is_(None),
        )
    )
    return any((t or {}).get("kind") == SCHEDULE for t in triggers)


# Every quarter of an hour (UTC), for tenants with an active SCHEDULE rule: which rules'
# periods have begun (`scheduled.py`). A quarter covers the zones 30 or 45 minutes off UTC.
TICKS = schedules.Schedule(
    "automation.schedule", timedelta(minutes=15), module="automation", wanted=has_schedules
)


def max_depth() -> int:
    """Read at each event, so an operator (or a test) may change it without a restart."""
    return int(os.environ.get("AUTOMATION_MAX_DEPTH", "3"))


def runs_per_minute() -> int:
    return int(os.environ.get("AUTOMATION_RUNS_PER_MINUTE", "600"))


def depth_of(data: dict) -> int:
    value = (data or {}).get("automationDepth", 0)
    return value if isinstance(value, int) and value >= 0 else 0


# --- rules ---------------------------------------------------------------------------------


async def _check_ids(session, tenant_id: int, model, ids, field, problems, each=False) -> None:
    """NOT_FOUND unless every id is the tenant's; `each`: named by its index in the list."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return
    query = select(model.id).where(model.tenant_id == tenant_id, model.id.in_(wanted))
    found = set(await session.scalars(query))
    for index, value in enumerate(ids):
        if value is not None and value not in found:
            where = (*field, str(index)) if each else field
            problems.append(Problem(where, f"{model.__name__} not found.", "NOT_FOUND"))


def _pairs(values, field, problems) -> list[dict]:
    if len(values) > MAX_CONDITIONS:
        problems.append(Problem(field, f"At most {MAX_CONDITIONS}.", "TOO_MANY"))
    pairs = []
    for index, pair in enumerate(values):
        if not str(pair.get("key") or "").strip():
            problems.append(Problem((*field, str(index), "key"), "Required.", "REQUIRED"))
        pairs.append(
            {"key": str(pair.get("key") or "").strip(), "value": str(pair.get("value", ""))}
        )
    return pairs


def _schedule(data: dict | None, field, problems) -> dict | None:
    """A SCHEDULE trigger's period (`periods.py`), checked; None for other kinds."""
    if not data:
        problems.append(Problem(field, "A schedule trigger names its period.", "REQUIRED"))
        return None
    every = data.get("every")
    schedule = {"every": every, "hours": None, "at": None, "weekday": None}
    if every == "HOURS":
        schedule["hours"] = data.get("hours")
        if schedule["hours"] not in periods.HOURS:
            message = f"One of {', '.join(map(str, periods.HOURS))} (it divides a day)."
            problems.append(Problem((*field, "hours"), message, "INVALID"))
    elif every in ("DAY", "WEEK"):
        schedule["at"] = data.get("at") or "00:00"
        if periods.parse_at(schedule["at"]) is None:
            problems.append(Problem((*field, "at"), "A time as HH:MM (24-hour).", "INVALID"))
        if every == "WEEK":
            schedule["weekday"] = data.get("weekday")
            if schedule["weekday"] not in range(1, 8):
                problems.append(
                    Problem((*field, "weekday"), "1 (Monday) to 7 (Sunday).", "INVALID")
                )
    else:
        problems.append(Problem((*field, "every"), "HOURS, DAY or WEEK.", "INVALID"))
    return schedule


async def _where(session, principal: Principal, where: dict | None, problems) -> dict | None:
    """The filter-language tree (`core/filters.py`, ids as global ids like the list's
    `where`), checked as the rule's author would see it; None for none."""
    if not where:
        return None
    conn = await session.connection()
    try:
        await filters.prepare(conn, principal, session.info.get("plugins"), where, None, decode_id)
    except InvalidInput as exc:
        problems.extend(
            Problem(("input", "trigger", *p.field), p.message, p.code) for p in exc.problems
        )
    return where


async def _trigger(session, principal: Principal, data: dict, problems) -> dict:
    field, tenant_id = ("input", "trigger"), principal.tenant_id
    kind = data.get("kind", "MANUAL")
    event_type = (data.get("eventType") or "").strip() or None
    if kind == "EVENT" and event_type is None:
        problems.append(
            Problem((*field, "eventType"), "An event trigger names its event.", "REQUIRED")
        )
    trigger = {"kind": kind, "eventType": event_type if kind == "EVENT" else None}
    if kind == SCHEDULE:
        trigger["schedule"] = _schedule(data.get("schedule"), (*field, "schedule"), problems)
    elif data.get("schedule"):
        problems.append(
            Problem((*field, "schedule"), "Only a SCHEDULE trigger has one.", "INVALID")
        )
    trigger["where"] = await _where(session, principal, data.get("where"), problems)
    for key, model in (("folderIds", Folder), ("tagIds", Tag), ("statusIds", Status)):
        ids = list(dict.fromkeys(data.get(key) or []))[:MAX_CONDITIONS]
        await _check_ids(session, tenant_id, model, ids, (*field, key), problems, each=True)
        trigger[key] = ids
    for key in ("customFields", "eventData"):
        trigger[key] = _pairs(data.get(key) or [], (*field, key), problems)
    return trigger


async def _actions(session, tenant_id: int, actions: list[dict], endpoints, problems) -> list[dict]:
    """Checked actions; `endpoints`: the webhook endpoint ids the author may name (the
    schema asked the webhooks module, `node(id:)`)."""
    if not actions or len(actions) > MAX_ACTIONS:
        problems.append(Problem(("input", "actions"), f"1 to {MAX_ACTIONS} actions.", "INVALID"))
    clean = []
    for index, action in enumerate(actions[:MAX_ACTIONS]):
        field = ("input", "actions", str(index))
        for name, model in REFS.items():  # every id sent is checked, used or not
            await _check_ids(
                session, tenant_id, model, [action.get(name)], (*field, name), problems
            )
        workers = list(dict.fromkeys(action.get("workerIds") or []))[:50]
        await _check_ids(
            session, tenant_id, Worker, workers, (*field, "workerIds"), problems, each=True
        )
        step = {"type": action["type"]}
        for name, required in ACTION_FIELDS[action["type"]].items():
            value = workers if name == "workerIds" else action.get(name)
            if required and value in (None, "", []):
                problems.append(Problem((*field, name), "Required for this action.", "REQUIRED"))
            step[name] = value
        if "channel" in step and step["channel"] not in CHANNELS:
            problems.append(Problem((*field, "channel"), "EMAIL, SMS or WHATSAPP.", "INVALID"))
        if action["type"] == "WAIT" and not 0 < (step["seconds"] or 0) <= MAX_WAIT:
            problems.append(Problem((*field, "seconds"), f"1 to {MAX_WAIT} seconds.", "INVALID"))
        if action.get("endpointId") is not None and action["endpointId"] not in endpoints:
            message = "Webhook endpoint not found."
            problems.append(Problem((*field, "endpointId"), message, "NOT_FOUND"))
        if (step.get("dueInHours") or 0) < 0:
            problems.append(Problem((*field, "dueInHours"), "Not negative.", "INVALID"))
        clean.append(step)
    return clean


async def _definition(session, principal: Principal, data: dict) -> tuple[str, dict, list]:
    problems: list[Problem] = []
    name = (data.get("name") or "").strip()
    if not 0 < len(name) <= MAX_NAME:
        problems.append(Problem(("input", "name"), f"1 to {MAX_NAME} characters.", "INVALID"))
    trigger = await _trigger(session, principal, data.get("trigger") or {}, problems)
    endpoints = data.get("endpoints") or ()
    actions = await _actions(
        session, principal.tenant_id, data.get("actions") or [], endpoints, problems
    )
    records.fail_if(problems)
    return name, trigger, actions


async def _new_version(session, principal: Principal, rule: AutomationRule) -> None:
    version = AutomationRuleVersion(
        tenant_id=rule.tenant_id,
        rule_id=rule.id,
        version=rule.version,
        name=rule.name,
        trigger=rule.trigger,
        actions=rule.actions,
        author_id=principal.worker_id,
        created_at=utcnow(),
    )
    session.add(version)
    await session.flush()
    rule.version_id = version.id
    rule.created_by = principal.worker_id


async def create_rule(session: AsyncSession, principal: Principal, data: dict) -> AutomationRule:
    access.require(principal, MANAGE)
    name, trigger, actions = await _definition(session, principal, data)
    now = utcnow()
    rule = AutomationRule(
        tenant_id=principal.tenant_id,
        name=name,
        active=data.get("active", True),
        event_type=trigger["eventType"],
        trigger=trigger,
        actions=actions,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(rule)
    await session.flush()
    await _new_version(session, principal, rule)
    await _keep_ticking(session, rule)
    await records.emit(
        session, principal, "automation.rule_created", None, ruleId=rule.id, name=name
    )
    return rule


async def _keep_ticking(session, rule: AutomationRule) -> None:
    """An active SCHEDULE rule needs the tenant's ticks: arm them (a no-op when armed)."""
    if rule.active and rule.trigger.get("kind") == SCHEDULE:
        await schedules.start(session, TICKS, rule.tenant_id)


async def get_rule(
    session, principal: Principal, rule_id: int, lock: bool = False
) -> AutomationRule:
    query = select(AutomationRule).where(
        AutomationRule.tenant_id == principal.tenant_id, AutomationRule.id == rule_id
    )
    rule = await session.scalar(query.with_for_update() if lock else query)
    if rule is None:
        raise NotFound("AutomationRule")
    return rule


async def update_rule(session: AsyncSession, principal: Principal, rule_id: int, data: dict):
    """A new version with the whole definition sent (name, trigger, actions); `active` alone
    switches the rule on or off without a new version."""
    access.require(principal, MANAGE)
    rule = await get_rule(session, principal, rule_id, lock=True)
    if "active" in data:
        rule.active = data["active"]
    if "actions" in data:  # the whole definition, as a new version
        name, trigger, actions = await _definition(session, principal, data)
        rule.name, rule.trigger, rule.actions = name, trigger, actions
        rule.event_type = trigger["eventType"]
        rule.version += 1
        await _new_version(session, principal, rule)
    rule.updated_at = utcnow()
    await _keep_ticking(session, rule)
    await records.emit(
        session, principal, "automation.rule_updated", None, ruleId=rule.id, version=rule.version
    )
    return rule


async def delete_rule(session: AsyncSession, principal: Principal, rule_id: int) -> bool:
    """Its runs go with it (a running one stops at its next step)."""
    access.require(principal, MANAGE)
    rule = await get_rule(session, principal, rule_id, lock=True)
    await session.delete(rule)
    await records.emit(session, principal, "automation.rule_deleted", None, ruleId=rule_id)
    return True


# --- starting runs -------------------------------------------------------------------------


async def start_run(
    session, rule: AutomationRule, customer_id: int, version=None, **values
) -> AutomationRun | None:
    """A run row and its job; None when the trigger key has its run already. `version`: the
    `AutomationRuleVersion` to run (a sweep's, fixed when its period began), else the rule's
    current one."""
    now = utcnow()
    version_id, number = (
        (version.id, version.version) if version else (rule.version_id, rule.version)
    )
    statement = (
        records.upsert(session, AutomationRun.__table__)
        .values(
            tenant_id=rule.tenant_id,
            customer_id=customer_id,
            rule_id=rule.id,
            version_id=version_id,
            version=number,
            next_step=0,
            steps=[],
            created_at=now,
            updated_at=now,
            **{"status": RUNNING, "depth": 0, **values},
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "trigger_key"])
        .returning(AutomationRun.id)
    )
    run_id = await session.scalar(statement)
    if run_id is None:
        return None
    if values.get("status", RUNNING) == RUNNING:
        await jobs.enqueue(
            session,
            rule.tenant_id,
            JOB_KIND,
            {"runId": run_id},
            created_by=values.get("started_by"),
            idempotency_key=f"run:{run_id}",
            max_attempts=10,
        )
    return run_id


async def recent_runs(session, tenant_id: int) -> int:
    since = utcnow() - timedelta(minutes=1)
    return await session.scalar(
        select(func.count()).where(
            AutomationRun.tenant_id == tenant_id,
            AutomationRun.created_at >= since,
            AutomationRun.started_by.is_(None),  # event and scheduled runs; not manual ones
            AutomationRun.status != SKIPPED,
        )
    )


async def start_from_event(session: AsyncSession, event) -> int:
    """Runs of the tenant's active rules this event matches (the module's `hub_handle_event`);
    how many started. Idempotent per rule and event."""
    if event.customer_id is None or event.id is None or event.name.startswith("automation.run"):
        return 0
    rules = list(
        await session.scalars(
            select(AutomationRule)
            .where(
                AutomationRule.tenant_id == event.tenant_id,
                AutomationRule.active.is_(True),
                AutomationRule.event_type == event.name,
            )
            .order_by(AutomationRule.id)
        )
    )
    if not rules:
        return 0
    customer = (await conditions.customer_facts(session, event.tenant_id, [event.customer_id])).get(
        event.customer_id
    )
    if customer is None:
        return 0
    depth = depth_of(event.data)
    started = 0
    for rule in rules:
        if not conditions.matches(rule.trigger, customer, event.data or {}):
            continue
        if rule.trigger.get("where"):
            version = await session.get(AutomationRuleVersion, rule.version_id)
            author = await conditions.author_of(session, version)
            taken = await conditions.where_holds(
                session, author, rule.trigger["where"], [event.customer_id]
            )
            if not taken:
                continue
        values = {"trigger_key": f"{rule.id}:{event.id}", "event_id": event.id, "depth": depth}
        if depth >= max_depth():
            values.update(status=SKIPPED, reason="LOOP_GUARD", finished_at=utcnow())
        elif await recent_runs(session, event.tenant_id) >= runs_per_minute():
            values.update(status=SKIPPED, reason="RATE_LIMITED", finished_at=utcnow())
        if await start_run(session, rule, event.customer_id, **values) and "reason" not in values:
            started += 1
    return started


async def run_manually(
    session: AsyncSession, principal: Principal, rule_id: int, customer_ids: list[int]
) -> list[int]:
    """One run per customer (at most `MAX_MANUAL`), all or none: every customer must be one
    the worker may change (else NOT_FOUND / FORBIDDEN naming it, and nothing starts)."""
    access.require(principal, RUN)
    ids = list(dict.fromkeys(customer_ids))
    if not 0 < len(ids) <= MAX_MANUAL:
        raise InvalidInput.one(
            ("input", "customerIds"), f"1 to {MAX_MANUAL} customers.", "TOO_MANY"
        )
    rule = await get_rule(session, principal, rule_id)
    if not rule.active:
        raise InvalidInput.one(
            ("input", "ruleId"), "The rule is switched off.", "AUTOMATION_RULE_INACTIVE"
        )
    await get_customers(session, principal, ids)  # visible, editable, not archived; locked
    run_ids = []
    for customer_id in ids:
        run_ids.append(await start_run(session, rule, customer_id, started_by=principal.worker_id))
    return run_ids
