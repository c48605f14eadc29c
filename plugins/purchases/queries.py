"""Reads: the figures of a page of customers in one statement, the filter and sort values
(`hub_customer_summaries`, index-backed through `Summary.of_column`), the compiled path's
select, the export and the tenant report."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, literal_column, select

from core import multiread
from core.access import visible_customer_ids, visible_customers
from core.filter_fields import DATETIME, NUMBER, TEXT, Summary
from core.models import Customer, CustomerAddress, utcnow
from plugins.purchases.models import (
    MONTHS,
    PurchaseCategory,
    PurchaseMonth,
    PurchaseSettings,
    PurchaseStats,
    PurchaseTotal,
)

S = PurchaseStats.__table__
T = PurchaseTotal.__table__
M = PurchaseMonth.__table__
K = PurchaseCategory.__table__

STAT_COLUMNS = (
    S.c.customer_id,
    S.c.currency,
    S.c.total_spent,
    S.c.lifetime_value,
    S.c.order_count,
    S.c.purchase_count,
    S.c.first_purchase_at,
    S.c.last_purchase_at,
    S.c.interval_seconds,
    S.c.products,
    S.c.methods,
    S.c.category_id,
    S.c.manual_category_id,
)


@dataclass
class Figures:
    """What `Customer.purchases` shows for one customer (empty: no purchases yet)."""

    stats: dict | None
    totals: list[dict]
    months: list[dict]
    category: dict | None


def first_month(now: datetime | None = None) -> str:
    """The oldest month of the monthly totals shown: this one and the 23 before it."""
    now = now or utcnow()
    year, month = now.year, now.month - (MONTHS - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}"


def stats_query(tenant_id: int, customer_ids):
    joined = S.outerjoin(K, K.c.id == S.c.category_id)
    return (
        select(
            *STAT_COLUMNS,
            K.c.name.label("category_name"),
            K.c.position.label("category_position"),
            K.c.min_total_spent.label("category_min_total_spent"),
            K.c.min_purchases.label("category_min_purchases"),
            K.c.first_purchase_within_days.label("category_within_days"),
        )
        .select_from(joined)
        .where(S.c.tenant_id == tenant_id, S.c.customer_id.in_(customer_ids))
    )


async def figures(conn, principal, customer_ids: list[int]) -> list[Figures]:
    """The figures of these customers: stats, per-currency totals and monthly totals in one
    statement (`core.multiread`), whatever the page's length."""
    tenant_id = principal.tenant_id
    stats, totals, months = await multiread.read(
        conn,
        [
            stats_query(tenant_id, customer_ids),
            select(T)
            .where(T.c.tenant_id == tenant_id, T.c.customer_id.in_(customer_ids))
            .order_by(T.c.customer_id, T.c.currency),
            select(M)
            .where(
                M.c.tenant_id == tenant_id,
                M.c.customer_id.in_(customer_ids),
                M.c.month >= first_month(),
            )
            .order_by(M.c.customer_id, M.c.month, M.c.currency),
        ],
    )
    by_stats = {row["customer_id"]: row for row in stats}
    by_totals, by_months = defaultdict(list), defaultdict(list)
    for row in totals:
        by_totals[row["customer_id"]].append(row)
    for row in months:
        by_months[row["customer_id"]].append(row)
    found = []
    for customer_id in customer_ids:
        row = by_stats.get(customer_id)
        category = None
        if row is not None and row["category_id"] is not None:
            category = {
                "id": row["category_id"],
                "name": row["category_name"],
                "position": row["category_position"],
                "min_total_spent": row["category_min_total_spent"],
                "min_purchases": row["category_min_purchases"],
                "first_purchase_within_days": row["category_within_days"],
            }
        found.append(Figures(row, by_totals[customer_id], by_months[customer_id], category))
    return found


# --- the compiled path ------------------------------------------------------------------------


def compiled_query(principal, customer_ids):
    """(customer id, the integer and text figures) for a page: the compiled path's part."""
    joined = S.outerjoin(K, K.c.id == S.c.category_id)
    return (
        select(
            S.c.customer_id,
            S.c.order_count.label("order_count"),
            S.c.purchase_count.label("purchase_count"),
            S.c.total_spent.label("total_spent"),
            S.c.lifetime_value.label("lifetime_value"),
            S.c.currency.label("currency"),
            K.c.name.label("category_name"),
        )
        .select_from(joined)
        .where(S.c.tenant_id == principal.tenant_id, S.c.customer_id.in_(customer_ids))
    )


COMPILED_FIELDS = {
    "orderCount": ("order_count", "int", "0"),
    "purchaseCount": ("purchase_count", "int", "0"),
    "totalSpentAmount": ("total_spent", "int", "0"),
    "lifetimeValueAmount": ("lifetime_value", "int", "0"),
    "reportingCurrency": ("currency", "text", None),
    "categoryName": ("category_name", "text", None),
}


# --- filters and sorts ------------------------------------------------------------------------

VIEW = "purchases.view"
SUMMARIES = {
    "purchases.totalSpent": Summary.of_column(
        NUMBER,
        S.c.total_spent,
        "Payments less refunds, in minor units of the reporting currency (empty: none yet).",
        VIEW,
    ),
    "purchases.lifetimeValue": Summary.of_column(
        NUMBER,
        S.c.lifetime_value,
        "Paid or ordered, whichever is more, plus won deals, in minor units of the "
        "reporting currency.",
        VIEW,
    ),
    "purchases.orderCount": Summary.of_column(
        NUMBER, S.c.order_count, "Orders that reached ORDERED or FULFILLED.", VIEW
    ),
    "purchases.lastPurchaseAt": Summary.of_column(
        DATETIME,
        S.c.last_purchase_at,
        'The newest purchase. `NOT` + `WITHIN_LAST_DAYS` 90 is "no purchase in 90 days".',
        VIEW,
    ),
    "purchases.firstPurchaseAt": Summary.of_column(
        DATETIME, S.c.first_purchase_at, "The first purchase.", VIEW
    ),
    "purchases.category": Summary.of_column(
        TEXT, S.c.category_key, "The category's name (VIP, Regular, …).", VIEW
    ),
}


# --- export and report ------------------------------------------------------------------------


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    class _P:
        pass

    principal = _P()
    principal.tenant_id = tenant_id
    (found,) = await figures(conn, principal, [customer_id])
    stats = dict(found.stats) if found.stats else None
    if stats:
        for key in ("first_purchase_at", "last_purchase_at"):
            stats[key] = stats[key].isoformat() if stats[key] else None
    return {"purchases": {"figures": stats, "totals": found.totals, "months": found.months}}


async def reporting_currency(conn, tenant_id: int) -> str | None:
    return await conn.scalar(
        select(PurchaseSettings.reporting_currency).where(PurchaseSettings.tenant_id == tenant_id)
    )


def _epoch(dialect: str, column):
    if dialect == "postgresql":
        return func.extract("epoch", column)
    return (func.julianday(column) - 2440587.5) * 86400.0


def _visible(principal, query):
    """Rows of customers the principal sees (not archived). A restricted worker's ids come
    from their links (an index-only union, `visible_customer_ids`): the row-by-row rule
    over a whole tenant's figures took seconds at 200,000 customers."""
    query = query.join(Customer.__table__, Customer.id == S.c.customer_id).where(
        Customer.tenant_id == principal.tenant_id, Customer.archived_at.is_(None)
    )
    ids = visible_customer_ids(principal)
    if ids is None:
        return query.where(visible_customers(principal))
    return query.where(S.c.customer_id.in_(ids))


async def report(conn, principal, top: int, retention_days: int, churn_factor: int) -> dict:
    """The tenant's figures over the customers the viewer sees, one statement per part."""
    tenant_id = principal.tenant_id
    dialect = conn.dialect.name
    currency = await reporting_currency(conn, tenant_id)
    base = [S.c.tenant_id == tenant_id]
    tops = await conn.execute(
        _visible(
            principal,
            select(S.c.customer_id, S.c.total_spent).where(*base, S.c.total_spent > 0),
        )
        .order_by(S.c.total_spent.desc(), S.c.customer_id)
        .limit(top)
    )
    months = await conn.execute(
        _visible(
            principal,
            select(S.c.first_month, func.count()).where(*base, S.c.first_month >= first_month()),
        )
        .group_by(S.c.first_month)
        .order_by(S.c.first_month)
    )
    buyers = func.count(S.c.first_purchase_at)
    returned = func.count(S.c.repeat_days).filter(S.c.repeat_days <= retention_days)
    # a customer whose first purchase is younger than the window cannot have returned yet
    settled = S.c.first_purchase_at <= utcnow() - timedelta(days=retention_days)
    retention = (
        await conn.execute(_visible(principal, select(buyers, returned).where(*base, settled)))
    ).one()
    now = utcnow().timestamp()
    silent = now - _epoch(dialect, S.c.last_purchase_at)
    at_risk = _visible(
        principal,
        select(S.c.customer_id, S.c.last_purchase_at, S.c.interval_seconds).where(
            *base,
            S.c.interval_seconds > 0,
            silent > S.c.interval_seconds * churn_factor,
        ),
    )
    risk_rows = (
        await conn.execute(at_risk.order_by(S.c.last_purchase_at, S.c.customer_id).limit(top))
    ).all()
    risk_count = await conn.scalar(select(func.count()).select_from(at_risk.subquery()))
    address = CustomerAddress.__table__

    def per_place(*place):
        """Buyers and their spending per place, most buyers first (at most 200 places)."""
        query = _visible(
            principal,
            select(*place, func.count(), func.coalesce(func.sum(S.c.total_spent), 0)).where(
                *base, S.c.purchase_count > 0
            ),
        ).outerjoin(
            address,
            (address.c.customer_id == S.c.customer_id) & (address.c.kind == "BILLING"),
        )
        ordered = literal_column(str(len(place) + 1)).desc()
        return query.group_by(*place).order_by(ordered, *place).limit(200)

    places = await conn.execute(per_place(address.c.country, Customer.city))
    countries = await conn.execute(per_place(address.c.country))
    return {
        "currency": currency,
        "top": tops.all(),
        "acquisition": months.all(),
        "retention": tuple(retention),
        "risk": risk_rows,
        "risk_count": risk_count,
        "places": places.all(),
        "countries": countries.all(),
    }
