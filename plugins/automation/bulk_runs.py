"""Run Automation on a bulk selection by filter: the list's way of selecting in bulk (`where`,
which may name segments, and/or `search`), every customer the worker's list shows for it and
that they may change, as core's bulk actions by filter take them (`core/targets.py`).

The request checks the rule and the filter, counts the matches (at most
`AUTOMATION_MAX_BULK_RUN`, default 10,000: more is a `TOO_MANY` user error, narrow the
filter) and enqueues one `automation.bulk_run` job with that total, which the caller follows
like any bulk job (`job`, `jobProgress`). The job walks the matching customers in id order,
`CHUNK` a transaction with its checkpoint (the last id), as the requester read again in every
chunk (one who lost `automation.run` fails it, `FORBIDDEN`), and starts a run of the rule's
version current at the request on each. A run's key is `<rule>:v<version>:b:<job>:<customer>`
(unique per tenant), so a chunk repeated after a crash starts nothing twice, and a second
request is a second selection. The runs are manual (`started_by` the requester): not held by
the per-minute limit, which guards against runaway events, but never more than the maximum
per request: customers that start matching while the job runs count against it too.

A rule deleted meanwhile ends the job (nothing more starts); one switched off fails it with
`AUTOMATION_RULE_INACTIVE`, like a run by hand would."""

import os

from sqlalchemy import func, select

from core import access, jobs
from core.errors import InvalidInput
from core.targets import matching
from plugins.automation import service
from plugins.automation.models import AutomationRule, AutomationRuleVersion
from schema.customers.where import decode_id

KIND = "automation.bulk_run"
CHUNK = 200


def max_bulk() -> int:
    """Read at each request, so an operator (or a test) may change it without a restart."""
    return int(os.environ.get("AUTOMATION_MAX_BULK_RUN", "10000"))


async def request(
    session, principal, rule_id: int, where: dict | None, search: str | None
) -> jobs.Job | None:
    """The job running the rule on the customers the filter takes; None when none does."""
    access.require(principal, service.RUN)
    rule = await service.get_rule(session, principal, rule_id)
    if not rule.active:
        raise InvalidInput.one(
            ("input", "ruleId"), "The rule is switched off.", "AUTOMATION_RULE_INACTIVE"
        )
    limit = max_bulk()
    query = await matching(session, principal, where, search, decode_id)
    total = await session.scalar(
        select(func.count()).select_from(query.order_by(None).limit(limit + 1).subquery())
    )
    if total > limit:
        message = f"More than {limit} customers match: narrow the filter, or run it in parts."
        raise InvalidInput.one(("input", "where"), message, "TOO_MANY")
    if total == 0:
        return None
    payload = {
        "ruleId": rule.id,
        "versionId": rule.version_id,
        "version": rule.version,
        "workerId": principal.worker_id,
        "where": where,
        "search": search,
        "max": limit,
    }
    job, _ = await jobs.enqueue(
        session, principal.tenant_id, KIND, payload, created_by=principal.worker_id, total=total
    )
    return job


async def _requester(session, ctx):
    grants = ctx.runner.plugins.permission_grants()
    conn = await session.connection()
    principal = await access.principal_for(conn, ctx.tenant_id, ctx.payload["workerId"], grants)
    if principal is None or not access.can(principal, service.RUN):
        raise jobs.JobError("FORBIDDEN", "The worker may no longer run rules.", retry=False)
    return principal


async def _chunk(session, ctx, state: dict) -> bool:
    """Runs on the next customers; True when the selection is done."""
    payload = ctx.payload
    principal = await _requester(session, ctx)
    rule = await session.scalar(
        select(AutomationRule).where(
            AutomationRule.tenant_id == ctx.tenant_id, AutomationRule.id == payload["ruleId"]
        )
    )
    if rule is None:
        state["stopped"] = "the rule was deleted"
        return True
    if not rule.active:
        raise jobs.JobError("AUTOMATION_RULE_INACTIVE", "The rule was switched off.", retry=False)
    version = await session.get(AutomationRuleVersion, payload["versionId"])
    query = await matching(
        session, principal, payload["where"], payload["search"], decode_id, state["after"]
    )
    room = payload["max"] - state["done"]
    ids = list(await session.scalars(query.limit(min(CHUNK, room))))
    for customer_id in ids:
        key = f"{rule.id}:v{version.version}:b:{ctx.id}:{customer_id}"
        started = await service.start_run(
            session,
            rule,
            customer_id,
            version=version,
            trigger_key=key,
            started_by=principal.worker_id,
        )
        state["started"] += 1 if started else 0
    if ids:
        state["after"], state["done"] = ids[-1], state["done"] + len(ids)
    if state["done"] >= payload["max"]:
        more = await session.scalar(
            select(func.count()).select_from(
                (await matching(session, principal, payload["where"], payload["search"],
                                decode_id, state["after"])).limit(1).subquery()
            )
        )  # fmt: skip
        state["capped"] = bool(more)
        return True
    return len(ids) < CHUNK


async def run_job(ctx) -> dict:
    state = dict(ctx.checkpoint or {"after": 0, "done": 0, "started": 0})
    finished = False
    while not finished:
        ctx.raise_if_cancelled()
        async with ctx.chunk() as session:
            finished = await _chunk(session, ctx, state)
            ctx.save(dict(state))
        ctx.progress(state["done"], max(ctx.total or 0, state["done"]))
    return state
