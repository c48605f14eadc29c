"""SCHEDULE rules: at the start of each of a rule's periods (`periods.py`), a run on every
customer its conditions take.

Two job kinds on the job runner. `automation.schedule` is `core/schedules.py`'s chain of
ticks, a quarter of an hour apart per tenant with an active SCHEDULE rule (`service.TICKS`);
a tick enqueues a *sweep* for each rule whose current period began since the rule was last
written (so a rule made or edited at 10:00 for 06:00 waits for tomorrow, and a runner that
was down runs the late period once, not every missed one). The sweep's idempotency key is
`sweep:<rule>:<period>`, so a period has one sweep however many ticks, processes or replays
see it.

`automation.sweep` walks the customers in id order, `CHUNK` a transaction with its
checkpoint (the last id), as the author of the version current when the period began: those
the author's list shows for the rule's `where` and may edit, that pass its folder, tag,
status and custom-field conditions. Each gets a run keyed `<rule>:s:<period>:<customer>`
(unique), so a chunk repeated after a crash starts nothing twice. A rule switched off,
deleted or no longer SCHEDULE stops its sweep at the next chunk.

The rate limit defers a sweep rather than dropping its runs: when the tenant's
`AUTOMATION_RUNS_PER_MINUTE` (event and scheduled runs of the last minute together) is used
up, the chunk stops at that customer and, in the same transaction as its checkpoint, enqueues
the sweep's continuation (`sweep:<rule>:<period>:<n>`, the state in its payload) with
`run_after` a minute on, when the runs counted now have left the window; the job itself ends
(`{"deferred": <key>}`). So a 10,000-customer weekly sweep under the 600 default takes some 17
minutes and runs everyone once. (An event's run beyond the limit is still SKIPPED: that is
the runaway guard.)"""

from datetime import datetime, timedelta

from sqlalchemy import select

from core import jobs
from core.models import utcnow
from core.targets import matching
from core.tenants import tenant_zone
from plugins.automation import conditions, periods, service
from plugins.automation.models import SCHEDULE, AutomationRule, AutomationRuleVersion
from schema.customers.where import decode_id

CHUNK = 200


async def _rules(session, tenant_id: int) -> list[AutomationRule]:
    found = await session.scalars(
        select(AutomationRule)
        .where(
            AutomationRule.tenant_id == tenant_id,
            AutomationRule.active.is_(True),
            AutomationRule.event_type.is_(None),
        )
        .order_by(AutomationRule.id)
    )
    return [r for r in found if (r.trigger or {}).get("kind") == SCHEDULE]


async def enqueue_due(session, tenant_id: int, now: datetime | None = None) -> list[str]:
    """The sweeps of the rules whose current period has begun (keys of those new)."""
    now = now or utcnow()
    zone = await tenant_zone(session, tenant_id)
    made = []
    for rule in await _rules(session, tenant_id):
        period = periods.current(rule.trigger["schedule"], now, zone)
        if period is None or period[0] < rule.updated_at:
            continue
        key = f"sweep:{rule.id}:{period[1]}"
        payload = {"ruleId": rule.id, "versionId": rule.version_id, "period": period[1]}
        _job, created = await jobs.enqueue(
            session, tenant_id, service.SWEEP_KIND, payload, idempotency_key=key, max_attempts=10
        )
        if created:
            made.append(key)
    return made


async def tick(ctx) -> dict:
    """A tick's work (`schedules.periodic` armed the next one first)."""
    async with ctx.chunk() as session:
        made = await enqueue_due(session, ctx.tenant_id)
    return {"sweeps": made}


async def _chunk(session, ctx, state: dict) -> bool:
    """One chunk of the sweep; True when it is over (or deferred: `state["deferred"]`)."""
    payload = ctx.payload
    rule = await session.scalar(
        select(AutomationRule).where(
            AutomationRule.tenant_id == ctx.tenant_id, AutomationRule.id == payload["ruleId"]
        )
    )
    if rule is None or not rule.active or rule.trigger.get("kind") != SCHEDULE:
        state["stopped"] = "the rule is gone, off or no longer scheduled"
        return True
    version = await session.get(AutomationRuleVersion, payload["versionId"])
    principal = await conditions.author_of(session, version) if version else None
    if principal is None:
        raise jobs.JobError("AUTOMATION_AUTHOR_GONE", "The rule's author is gone.", retry=False)
    where = version.trigger.get("where")
    query = await matching(session, principal, where, None, decode_id, state["after"])
    ids = list(await session.scalars(query.limit(CHUNK)))
    facts = await conditions.customer_facts(session, ctx.tenant_id, ids)
    if service.runs_per_minute() <= 0:
        state["stopped"] = "AUTOMATION_RUNS_PER_MINUTE is 0"
        return True
    budget = service.runs_per_minute() - await service.recent_runs(session, ctx.tenant_id)
    period = payload["period"]
    for customer_id in ids:
        if customer_id in facts and conditions.matches(version.trigger, facts[customer_id], {}):
            if budget <= 0:
                await _defer(session, ctx, state)
                return True
            values = {"trigger_key": f"{rule.id}:s:{period}:{customer_id}", "period": period}
            if await service.start_run(session, rule, customer_id, version=version, **values):
                budget -= 1
                state["started"] += 1
        state["after"] = customer_id
        state["seen"] += 1
    return len(ids) < CHUNK


async def _defer(session, ctx, state: dict) -> None:
    """The minute's budget is used: the rest of the sweep as a new job a minute on, from
    this state (committed with the checkpoint that says so)."""
    part = state.get("part", 0) + 1
    payload = {**ctx.payload, "resume": {**state, "part": part}}
    payload["resume"].pop("deferred", None)
    key = f"sweep:{payload['ruleId']}:{payload['period']}:{part}"
    await jobs.enqueue(
        session,
        ctx.tenant_id,
        service.SWEEP_KIND,
        payload,
        idempotency_key=key,
        run_after=utcnow() + timedelta(minutes=1),
        max_attempts=10,
    )
    state["deferred"] = key


async def sweep(ctx) -> dict:
    initial = {"after": 0, "seen": 0, "started": 0, "part": 0}
    state = dict(ctx.checkpoint or ctx.payload.get("resume") or initial)
    finished = "deferred" in state  # a crash after the deferring chunk: its job is made
    while not finished:
        ctx.raise_if_cancelled()
        async with ctx.chunk() as session:
            finished = await _chunk(session, ctx, state)
            ctx.save(dict(state))
        ctx.progress(state["seen"])
    return state
