"""Reads: a customer's runs newest first (the Work Flow tab), how many are running (its
badge), and the tenant's rules. Core selects, filtered by the tenant."""

from sqlalchemy import func, select

from core import keyset
from core.keyset import Order
from core.tenants import tenant_zone
from plugins.automation.models import (
    RUNNING,
    AutomationRule,
    AutomationRuleVersion,
    AutomationRun,
)

RUNS = AutomationRun.__table__
RULES = AutomationRule.__table__
VERSIONS = AutomationRuleVersion.__table__
MAX_VERSIONS = 100
NEWEST = Order("newest", (), RUNS.c.id, descending=True)
RULES_BY_ID = Order("id", (), RULES.c.id)


def running_counts(tenant_id: int, customer_ids, label: str | None = None):
    """(customer id, running runs): the tab's badge, and (labelled) the compiled
    `runningCount`."""
    query = keyset.counts_query(
        RUNS, "customer_id", tenant_id, customer_ids, RUNS.c.status == RUNNING
    )
    if label:
        query = query.with_only_columns(RUNS.c.customer_id, func.count().label(label))
    return query


async def running(conn, principal, customer_ids) -> list[int]:
    return await keyset.counts(
        conn, RUNS, "customer_id", principal.tenant_id, customer_ids, RUNS.c.status == RUNNING
    )


def rules(principal):
    return select(*RULES.c).where(RULES.c.tenant_id == principal.tenant_id)


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    rows = await conn.execute(
        select(*RUNS.c)
        .where(RUNS.c.tenant_id == tenant_id, RUNS.c.customer_id == customer_id)
        .order_by(RUNS.c.id)
    )
    return {"automation": [dict(r) for r in rows.mappings()]}


async def versions(conn, principal, rule_ids) -> list[list[dict]]:
    """Each rule's versions, newest first, at most `MAX_VERSIONS` of the newest: one
    statement for every rule of a page (a version row is small, rules are few)."""
    rows = await conn.execute(
        select(*VERSIONS.c)
        .where(VERSIONS.c.tenant_id == principal.tenant_id, VERSIONS.c.rule_id.in_(rule_ids))
        .order_by(VERSIONS.c.rule_id, VERSIONS.c.version.desc())
    )
    found: dict[int, list[dict]] = {}
    for row in rows.mappings():
        kept = found.setdefault(row["rule_id"], [])
        if len(kept) < MAX_VERSIONS:
            kept.append(dict(row))
    return [found.get(i, []) for i in rule_ids]


async def zones(conn, principal, tenant_ids) -> list:
    """The tenant's time zone (a SCHEDULE rule's wall clock), once per request."""
    zone = await tenant_zone(conn, principal.tenant_id)
    return [zone for _ in tenant_ids]
