"""Batched reads: Core selects of plain rows, one statement per batch, always filtered by the
principal's tenant. Builders (`*_query`) are kept apart from the functions that run them, so
the look-ahead read (`schema.py`) runs several in one statement and the compiled path and
the badge use them as they are."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, case, cast, func, select

from core import keyset
from core.keyset import Order
from plugins.payouts.models import WAITING, Payout
from schema.compiled.module_json import json_list, json_object

T = Payout.__table__
NEWEST = Order("newest", (), T.c.id, descending=True)


@dataclass(frozen=True)
class PayoutFilter:
    """None: every status; an empty tuple matches nothing."""

    statuses: tuple[str, ...] | None = None

    def conditions(self) -> list:
        return [] if self.statuses is None else [T.c.status.in_(self.statuses)]


def pages_query(principal, customer_ids, f: PayoutFilter, page):
    conditions = [T.c.tenant_id == principal.tenant_id, *f.conditions()]
    return keyset.grouped_pages_query(T, "customer_id", customer_ids, conditions, NEWEST, page)


async def pages(conn, principal, customer_ids, f: PayoutFilter, page):
    rows = (await conn.execute(pages_query(principal, customer_ids, f, page))).mappings()
    return keyset.pages_of(rows, "customer_id", customer_ids, NEWEST, page)


def worker_ids(principal, customer_ids, column: str):
    """The ids in `column` (`created_by_id`, `approved_by_id`) of the customers' payouts."""
    return select(T.c[column]).where(
        T.c.tenant_id == principal.tenant_id, T.c.customer_id.in_(customer_ids)
    )


def counts_query(principal, customer_ids, f: PayoutFilter):
    """(customer id, payouts matching `f`)."""
    return keyset.counts_query(T, "customer_id", principal.tenant_id, customer_ids, *f.conditions())


async def counts(conn, principal, customer_ids, f: PayoutFilter) -> list[int]:
    found = dict((await conn.execute(counts_query(principal, customer_ids, f))).all())
    return [found.get(i, 0) for i in customer_ids]


def summary_query(principal, customer_ids):
    """(customer id, currency, waiting, sent): payouts PENDING or APPROVED, and the amount
    SENT, per currency."""
    waiting = func.sum(case((T.c.status.in_(WAITING), 1), else_=0))
    sent = func.sum(case((T.c.status == "SENT", T.c.amount), else_=0))
    return (
        select(T.c.customer_id, T.c.currency, waiting.label("waiting"), sent.label("sent"))
        .where(T.c.tenant_id == principal.tenant_id, T.c.customer_id.in_(customer_ids))
        .group_by(T.c.customer_id, T.c.currency)
    )


def compiled_summaries(principal, customer_ids):
    """`summary_query` per customer for the compiled path: the waiting count and the
    amounts sent per currency (those with any) as a JSON list of Money."""
    rows = summary_query(principal, customer_ids).subquery()
    sent = cast(rows.c.sent, BigInteger)
    return select(
        rows.c.customer_id,
        func.sum(rows.c.waiting).label("pending"),
        json_list(json_object(amount=sent, currency=rows.c.currency))
        .filter(rows.c.sent != 0)
        .label("total_sent"),
    ).group_by(rows.c.customer_id)


def summaries_of(rows, customer_ids) -> list[dict]:
    """`{"waiting": n, "sent": {currency: amount}}` per customer from `summary_query`'s rows
    (mappings)."""
    found = {i: {"waiting": 0, "sent": defaultdict(int)} for i in customer_ids}
    for row in rows:
        summary = found[row["customer_id"]]
        summary["waiting"] += int(row["waiting"] or 0)
        if row["sent"]:
            summary["sent"][row["currency"]] += int(row["sent"])
    return [found[i] for i in customer_ids]


async def summaries(conn, principal, customer_ids) -> list[dict]:
    rows = (await conn.execute(summary_query(principal, customer_ids))).mappings()
    return summaries_of(rows, customer_ids)


def waiting_counts(tenant_id: int, customer_ids):
    """(customer id, pending): payouts PENDING or APPROVED, the tab's badge and the compiled
    `pendingCount`. No time in it: the status alone decides."""
    return (
        select(T.c.customer_id, func.count().label("pending"))
        .where(
            T.c.tenant_id == tenant_id,
            T.c.customer_id.in_(customer_ids),
            T.c.status.in_(WAITING),
        )
        .group_by(T.c.customer_id)
    )


def _jsonable(row) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"payouts": [...]}`: every payout of the customer, oldest first, as JSON values."""
    rows = await conn.execute(
        select(*T.c)
        .where(T.c.tenant_id == tenant_id, T.c.customer_id == customer_id)
        .order_by(T.c.id)
    )
    return {"payouts": [_jsonable(r) for r in rows.mappings()]}
