"""Batched reads: Core selects of plain rows, one statement per batch, always scoped to the
principal's tenant (and, for rows fetched by id, to customers they may see)."""

from datetime import date, datetime

from sqlalchemy import select

from core import keyset
from core.keyset import Order
from plugins.subscriptions.models import (
    LIVE,
    Subscription,
    SubscriptionPeriod,
    SubscriptionPlan,
)

T = Subscription.__table__
PLANS = SubscriptionPlan.__table__
PERIODS = SubscriptionPeriod.__table__

NEWEST = Order("newest", (), T.c.id, descending=True)
PLAN_ORDER = Order("plans", (), PLANS.c.id)
PERIOD_ORDER = Order("periods", ((PERIODS.c.period_start, True, False),), PERIODS.c.id)


def live_counts(tenant_id: int, customer_ids):
    """(customer id, TRIALING and ACTIVE subscriptions): the tab's badge, `activeCount` and
    its compiled form. No time in it: the status alone decides."""
    return keyset.counts_query(T, "customer_id", tenant_id, customer_ids, T.c.status.in_(LIVE))


async def live_count_list(conn, principal, customer_ids) -> list[int]:
    """Each customer's live subscriptions (`CustomerSubscriptions.activeCount`) through the
    badge's select, for a whole page at once."""
    rows = await conn.execute(live_counts(principal.tenant_id, customer_ids))
    found = dict(rows.all())
    return [found.get(i, 0) for i in customer_ids]


async def plans_by_ids(conn, principal, ids) -> list:
    query = select(*PLANS.c).where(PLANS.c.tenant_id == principal.tenant_id, PLANS.c.id.in_(ids))
    return await keyset.by_ids(conn, query, ids)


async def period_pages(conn, principal, subscription_ids, page) -> list:
    conditions = [PERIODS.c.tenant_id == principal.tenant_id]
    return await keyset.grouped_pages(
        conn, PERIODS, "subscription_id", subscription_ids, conditions, PERIOD_ORDER, page
    )


async def period_counts(conn, principal, subscription_ids) -> list[int]:
    return await keyset.counts(
        conn, PERIODS, "subscription_id", principal.tenant_id, subscription_ids
    )


def _jsonable(row) -> dict:
    return {
        k: v.isoformat() if isinstance(v, date | datetime) else v
        for k, v in row.items()
        if k not in ("fingerprint",)
    }


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"subscriptions": [...]}`: each subscription with its plan's name and billed periods."""
    subs = await conn.execute(
        select(*T.c, PLANS.c.name.label("plan_name"))
        .join(PLANS, PLANS.c.id == T.c.plan_id)
        .where(T.c.tenant_id == tenant_id, T.c.customer_id == customer_id)
        .order_by(T.c.id)
    )
    found = {row["id"]: {**_jsonable(row), "periods": []} for row in subs.mappings()}
    if found:
        periods = await conn.execute(
            select(*PERIODS.c)
            .where(PERIODS.c.tenant_id == tenant_id, PERIODS.c.subscription_id.in_(list(found)))
            .order_by(PERIODS.c.subscription_id, PERIODS.c.period_start)
        )
        for row in periods.mappings():
            found[row["subscription_id"]]["periods"].append(_jsonable(row))
    return {"subscriptions": list(found.values())}
