"""Batched reads: Core selects of plain rows, one statement per batch of customers, always
within the principal's tenant: a customer's deals (pages through `core.keyset`, by status),
the figures of the profile header, the badge, the stages and the tenant's pipeline."""

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import BigInteger, cast, func, select, union

from core.access import can, visible_customers
from core.keyset import Order, count_of_customer, counts_query
from core.models import Customer
from plugins.deals.models import Deal, DealStage
from schema.compiled.module_json import json_list, json_object

T = Deal.__table__
S = DealStage.__table__
NEWEST = Order("newest", ((T.c.created_at, True, False),), T.c.id)


def status_conditions(statuses: tuple[str, ...] | None) -> tuple:
    """A list's conditions: its statuses, or none for all deals."""
    return () if statuses is None else (T.c.status.in_(statuses),)


def weighted(total: int) -> int:
    """sum of amount * probability (percent) in minor units, rounded half up."""
    return (total + 50) // 100


def open_counts(tenant_id: int, customer_ids):
    """(customer id, open deals): the tab's badge."""
    return counts_query(T, "customer_id", tenant_id, customer_ids, T.c.status == "OPEN")


def open_count_of_customer(tenant_id: int):
    """Open deals of the customer a list row is on, through the (tenant, customer, status)
    index: the `deals.open` filter, sort and export column."""
    return count_of_customer(T, tenant_id, T.c.status == "OPEN")


def summaries_query(principal, customer_ids):
    """(customer, status, currency, deals, sum of amount, sum of amount * probability): the header's
    figures of a page of customers, from the (tenant, customer, status) index and the
    stages."""
    return (
        select(
            T.c.customer_id,
            T.c.status,
            T.c.currency,
            func.count().label("n"),
            func.sum(T.c.amount).label("total"),
            func.sum(T.c.amount * S.c.probability).label("weighted"),
        )
        .join(S, S.c.id == T.c.stage_id)
        .where(T.c.tenant_id == principal.tenant_id, T.c.customer_id.in_(customer_ids))
        .group_by(T.c.customer_id, T.c.status, T.c.currency)
    )


def compiled_summaries(principal, customer_ids):
    """`summaries_query` per customer for the compiled path: the open count and each
    per-currency sum as a JSON list of Money (`schema.compiled.module_json`)."""
    rows = summaries_query(principal, customer_ids).subquery()
    open_, won = rows.c.status == "OPEN", rows.c.status == "WON"
    total = cast(rows.c.total, BigInteger)
    weighted_total = (cast(rows.c.weighted, BigInteger) + 50) // 100  # `weighted`, in SQL

    def sums(amount, status):
        return json_list(json_object(amount=amount, currency=rows.c.currency)).filter(status)

    return select(
        rows.c.customer_id,
        func.coalesce(func.sum(rows.c.n).filter(open_), 0).label("open_count"),
        sums(total, open_).label("open_value"),
        sums(total, won).label("won_value"),
        sums(weighted_total, open_).label("weighted_value"),
    ).group_by(rows.c.customer_id)


def empty_summary() -> dict:
    return {"open_count": 0, "open": {}, "won": {}, "weighted": {}}


def summaries_of(rows, customer_ids) -> list[dict]:
    """Per customer, from `summaries_query`'s rows: `open_count` and per-currency sums
    `open`, `won`, `weighted` (of the open deals, by their stage's probability)."""
    found = {i: empty_summary() for i in customer_ids}
    for customer_id, status, currency, n, total, product in rows:
        summary = found[customer_id]
        if status == "OPEN":
            summary["open_count"] += n
            summary["open"][currency] = int(total)
            summary["weighted"][currency] = weighted(int(product))
        elif status == "WON":
            summary["won"][currency] = int(total)
    return [found[i] for i in customer_ids]


async def summaries(conn, principal, customer_ids) -> list[dict]:
    rows = await conn.execute(summaries_query(principal, customer_ids))
    return summaries_of(rows, customer_ids)


def stages_query(tenant_id: int):
    return select(*S.c).where(S.c.tenant_id == tenant_id).order_by(S.c.position, S.c.id)


async def stages(conn, principal, keys) -> list[list[dict]]:
    """The tenant's stages in pipeline order (one key: the tenant)."""
    rows = await conn.execute(stages_query(principal.tenant_id))
    found = [dict(r) for r in rows.mappings()]
    return [found for _ in keys]


def worker_ids(tenant_id: int, customer_ids, conditions):
    """The owners and creators of these customers' deals (a few more than a page shows)."""
    where = (T.c.tenant_id == tenant_id, T.c.customer_id.in_(customer_ids), *conditions)
    return union(select(T.c.owner_id).where(*where), select(T.c.created_by_id).where(*where))


def pipeline_query(principal, owner_id: int | None, currency: str | None):
    """(stage, currency, deals, sum of amount) over the deals of the customers the principal
    may see (archived ones are out, as in lists): an index-only scan of `ix_deals_pipeline`
    (deals_0002) in its (tenant, stage, currency) order. A worker who sees the whole tenant
    only subtracts the archived customers (a few, from their partial index), so no customer
    row is read; others take the customers they see. The weighted sum is the stage's
    probability times the sum, applied by `pipeline`."""
    C = Customer.__table__
    if can(principal, "customers.view_all"):
        archived = select(C.c.id).where(
            C.c.tenant_id == principal.tenant_id, C.c.archived_at.is_not(None)
        )
        seen = T.c.customer_id.not_in(archived)
    else:
        shown = visible_customers(principal)
        seen = T.c.customer_id.in_(select(C.c.id).where(shown, C.c.archived_at.is_(None)))
    query = (
        select(T.c.stage_id, T.c.currency, func.count().label("n"), func.sum(T.c.amount))
        .where(T.c.tenant_id == principal.tenant_id, seen)
        .group_by(T.c.stage_id, T.c.currency)
    )
    if owner_id is not None:
        query = query.where(T.c.owner_id == owner_id)
    if currency is not None:
        query = query.where(T.c.currency == currency)
    return query


async def pipeline(conn, principal, owner_id: int | None, currency: str | None) -> list[dict]:
    """Every stage in order with `count`, `value` and `weighted` (per currency): two
    statements whatever the number of stages or deals."""
    sums: dict[int, dict] = defaultdict(lambda: {"count": 0, "value": {}})
    for stage_id, code, n, total in await conn.execute(
        pipeline_query(principal, owner_id, currency)
    ):
        found = sums[stage_id]
        found["count"] += n
        found["value"][code] = int(total)
    (rows,) = await stages(conn, principal, [principal.tenant_id])
    return [
        {
            "stage": row,
            "count": sums[row["id"]]["count"],
            "value": sums[row["id"]]["value"],
            "weighted": {
                code: weighted(total * row["probability"])
                for code, total in sums[row["id"]]["value"].items()
            },
        }
        for row in rows
    ]


def _jsonable(row) -> dict:
    return {
        k: v.isoformat() if isinstance(v, datetime | date) else v
        for k, v in row.items()
        if k not in ("tenant_id", "fingerprint")
    }


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"deals": [...]}`, oldest first, with each deal's stage by name."""
    rows = await conn.execute(
        select(*T.c, S.c.name.label("stage"))
        .join(S, S.c.id == T.c.stage_id)
        .where(T.c.tenant_id == tenant_id, T.c.customer_id == customer_id)
        .order_by(T.c.created_at, T.c.id)
    )
    return {"deals": [_jsonable(row) for row in rows.mappings()]}
