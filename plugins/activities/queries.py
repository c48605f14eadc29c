"""Batched reads: Core selects of plain rows, one statement per batch of customers, always
within the principal's tenant. Pages and filtered counts come from the kit
(`schema.kit.customer_list`); what is read here is the tab's summary and its badge."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from core.keyset import Order, counts_query
from core.models import now_param, utcnow
from plugins.activities.models import KINDS, Activity

T = Activity.__table__
NEWEST = Order("newest", ((T.c.occurred_at, True, False),), T.c.id)
RECENT = timedelta(days=7)


@dataclass(frozen=True)
class ActivityFilter:
    """None: no condition; an empty tuple matches nothing. `search` is already case-folded.
    Hashable: it names the list it filters in the request's loaders."""

    kinds: tuple[str, ...] | None = None
    outcomes: tuple[str, ...] | None = None
    search: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None

    def conditions(self) -> tuple:
        found = []
        if self.kinds is not None:
            found.append(T.c.kind.in_(self.kinds))
        if self.outcomes is not None:
            found.append(T.c.outcome.in_(self.outcomes))
        if self.search:
            # one customer's rows: a bounded scan; `autoescape` keeps % and _ literal
            found.append(T.c.search_text.contains(self.search, autoescape=True))
        if self.occurred_from is not None:
            found.append(T.c.occurred_at >= self.occurred_from)
        if self.occurred_to is not None:
            found.append(T.c.occurred_at < self.occurred_to)
        return tuple(found)


def recent_counts(tenant_id: int, customer_ids):
    """(customer id, activities that occurred in the last 7 days): the tab's badge, a range
    of the (tenant, customer, occurred_at) index per customer."""
    return counts_query(
        T, "customer_id", tenant_id, customer_ids, T.c.occurred_at >= now_param(RECENT)
    )


def since() -> datetime:
    return utcnow() - RECENT


async def recent(conn, principal, customer_ids) -> list[int]:
    found = dict((await conn.execute(recent_counts(principal.tenant_id, customer_ids))).all())
    return [found.get(i, 0) for i in customer_ids]


async def summaries(conn, principal, customer_ids) -> list[dict]:
    """Per customer: `total`, `last` (latest occurred_at or None) and `by_kind` (every kind,
    zeros too), from one grouped read of the (tenant, customer, kind, occurred_at) index."""
    rows = await conn.execute(
        select(T.c.customer_id, T.c.kind, func.count(), func.max(T.c.occurred_at))
        .where(T.c.tenant_id == principal.tenant_id, T.c.customer_id.in_(customer_ids))
        .group_by(T.c.customer_id, T.c.kind)
    )
    found = {
        i: {"total": 0, "last": None, "by_kind": dict.fromkeys(KINDS, 0)} for i in customer_ids
    }
    for customer_id, kind, count, last in rows:
        summary = found[customer_id]
        summary["total"] += count
        summary["by_kind"][kind] = count
        if summary["last"] is None or last > summary["last"]:
            summary["last"] = last
    return [found[i] for i in customer_ids]


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"activities": [...]}`, oldest first, as JSON values."""
    rows = await conn.execute(
        select(*(c for c in T.c if c.key not in ("search_text", "tenant_id")))
        .where(T.c.tenant_id == tenant_id, T.c.customer_id == customer_id)
        .order_by(T.c.occurred_at, T.c.id)
    )
    return {
        "activities": [
            {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
            for row in rows.mappings()
        ]
    }
