"""Reads: the figures of a page of customers in one statement, the filter and sort values
(`hub_customer_summaries`, index-backed through `Summary.of_column`), the compiled path's
select, the export and the tenant report."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, literal, null, select, union_all

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
from schema.compiled.module_json import json_object

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


def _money(amount):
    """Money in the reporting currency, null without one (the resolvers' `_money`)."""
    made = json_object(amount=amount, currency=S.c.currency)
    return case((S.c.currency.is_not(None), made), else_=null())


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
            _money(S.c.total_spent).label("total_spent_money"),
            _money(S.c.lifetime_value).label("lifetime_value_money"),
            S.c.first_purchase_at.label("first_purchase_at"),
            S.c.last_purchase_at.label("last_purchase_at"),
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
    "totalSpent": ("total_spent_money", "json", None),
    "lifetimeValue": ("lifetime_value_money", "json", None),
    "firstPurchaseAt": ("first_purchase_at", "ts", None),
    "lastPurchaseAt": ("last_purchase_at", "ts", None),
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


PARTS = frozenset({"top", "acquisition", "retention", "risk", "risk_count", "places"})


async def report(
    conn, principal, top: int, retention_days: int, churn_factor: int, parts=PARTS
) -> dict:
    """The tenant's figures over the customers the viewer sees, only the `parts` asked
    for. The counts (acquisition, retention, churn risk, places) are one pass over the
    figures grouped by grouping sets, not a scan each: at a million customers the report
    was seven statements and six scans. The two top lists walk their indexes."""
    tenant_id = principal.tenant_id
    base = [S.c.tenant_id == tenant_id]
    found: dict = {"currency": await reporting_currency(conn, tenant_id)}
    if "top" in parts:
        tops = await conn.execute(
            _visible(
                principal,
                select(S.c.customer_id, S.c.total_spent).where(*base, S.c.total_spent > 0),
            )
            .order_by(S.c.total_spent.desc(), S.c.customer_id)
            .limit(top)
        )
        found["top"] = tops.all()
    now = utcnow()
    at_risk = and_(
        S.c.interval_seconds > 0,
        now.timestamp() - _epoch(conn.dialect.name, S.c.last_purchase_at)
        > S.c.interval_seconds * churn_factor,
    )
    if "risk" in parts:
        risky = _visible(
            principal,
            select(S.c.customer_id, S.c.last_purchase_at, S.c.interval_seconds).where(
                *base, S.c.last_purchase_at.is_not(None), at_risk
            ),
        )
        found["risk"] = (
            await conn.execute(risky.order_by(S.c.last_purchase_at, S.c.customer_id).limit(top))
        ).all()
    if parts & {"acquisition", "retention", "risk_count", "places"}:
        found.update(await _counts(conn, principal, now, retention_days, at_risk))
    return found


async def _counts(conn, principal, now, retention_days: int, at_risk) -> dict:
    """Acquisition per month, retention, churn risk and places in one statement: the
    viewer's figures read once (a materialised CTE) and grouped four ways (grouping sets
    would do on PostgreSQL; SQLite has none)."""
    address = CustomerAddress.__table__
    # a customer whose first purchase is younger than the window cannot have returned yet
    settled = S.c.first_purchase_at <= now - timedelta(days=retention_days)
    rows = (
        _visible(
            principal,
            select(
                S.c.first_month.label("month"),
                address.c.country,
                Customer.city,
                S.c.total_spent.label("spent"),
                (S.c.purchase_count > 0).label("bought"),
                (S.c.first_month >= first_month(now)).label("recent"),
                and_(settled, S.c.first_purchase_at.is_not(None)).label("settled"),
                and_(settled, S.c.repeat_days <= retention_days).label("returned"),
                at_risk.label("at_risk"),
            ).where(S.c.tenant_id == principal.tenant_id),
        )
        .outerjoin(
            address,
            (address.c.customer_id == S.c.customer_id) & (address.c.kind == "BILLING"),
        )
        .cte("figures")
        .prefix_with("MATERIALIZED")
    )
    true = rows.c.bought.is_(True)

    def counted(kind: str, *keys, where):
        padded = [*keys, *[null()] * (2 - len(keys))]
        return (
            select(
                literal(kind).label("kind"),
                *(key.label(f"k{i}") for i, key in enumerate(padded)),
                func.count().label("n"),
                func.coalesce(func.sum(rows.c.spent), 0).label("spent"),
            )
            .where(where)
            .group_by(*keys)
        )

    query = union_all(
        counted("month", rows.c.month, where=rows.c.recent.is_(True)),
        counted("place", rows.c.country, rows.c.city, where=true),
        counted("country", rows.c.country, where=true),
        counted("buyers", where=rows.c.settled.is_(True)),
        counted("returned", where=rows.c.returned.is_(True)),
        counted("at_risk", where=rows.c.at_risk.is_(True)),
    )
    by_kind = defaultdict(list)
    for row in await conn.execute(query):
        by_kind[row.kind].append(row)

    def total(kind: str) -> int:
        return by_kind[kind][0].n if by_kind[kind] else 0

    def places(kind: str):
        found = by_kind[kind]
        found.sort(key=lambda r: (-r.n, r.k0 is None, r.k0 or "", r.k1 is None, r.k1 or ""))
        return found[:200]

    return {
        "acquisition": sorted((r.k0, r.n) for r in by_kind["month"] if r.k0),
        "retention": (total("buyers"), total("returned")),
        "risk_count": total("at_risk"),
        "places": [(r.k0, r.k1, r.n, r.spent) for r in places("place")],
        "countries": [(r.k0, r.n, r.spent) for r in places("country")],
    }
