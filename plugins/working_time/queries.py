"""Reads: Core selects of plain rows, one statement per batch, scoped to the principal's
tenant; sums over a period go through the visibility rule. Totals count stopped and logged
entries (a running timer has no duration yet); money is summed per currency."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, null, select

from core.access import visible_customers
from core.keyset import Order, counts_query
from core.models import Customer, utcnow
from core.tenants import tenant_zone
from plugins.working_time.models import TimeEntry, WorkSession

T = TimeEntry.__table__
S = WorkSession.__table__
NEWEST = Order("newest", ((T.c.started_at, True, False),), T.c.id)
# A removed worker's timer (worker_id set null) runs for nobody.
RUNNING = and_(T.c.ended_at.is_(None), T.c.worker_id.is_not(None))
STOPPED = T.c.ended_at.is_not(None)


def day_bounds(zone: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    """The instants a calendar day of the zone starts and ends (23 or 25 hours across DST)."""
    start = datetime.combine(day, time(0), zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone)


def badge(tenant_id: int, customer_ids):
    """(customer id, running timers): who is working on the customer right now."""
    return counts_query(T, "customer_id", tenant_id, customer_ids, RUNNING)


async def running(conn, principal, customer_ids) -> list[list[dict]]:
    rows = await conn.execute(
        select(*T.c)
        .where(T.c.tenant_id == principal.tenant_id, T.c.customer_id.in_(customer_ids), RUNNING)
        .order_by(T.c.started_at, T.c.id)
    )
    found = defaultdict(list)
    for row in rows.mappings():
        found[row["customer_id"]].append(row)
    return [found[i] for i in customer_ids]


async def running_of(conn, principal, worker_ids) -> list[dict | None]:
    """The running timer of each worker, on a customer the principal may see, else None."""
    query = (
        select(*T.c)
        .join(Customer.__table__, Customer.id == T.c.customer_id)
        .where(visible_customers(principal), T.c.tenant_id == principal.tenant_id)
        .where(T.c.worker_id.in_(worker_ids), RUNNING)
    )
    found = {r["worker_id"]: r for r in (await conn.execute(query)).mappings()}
    return [found.get(i) for i in worker_ids]


@dataclass
class Sum:
    entries: int = 0
    seconds: int = 0
    billable_seconds: int = 0
    amounts: dict[str, int] = field(default_factory=dict)


def _sum_columns(*keys):
    billable = case((T.c.billable, T.c.duration_seconds), else_=0)
    return (
        *keys,
        T.c.currency,
        func.count(),
        func.coalesce(func.sum(T.c.duration_seconds), 0),
        func.coalesce(func.sum(billable), 0),
        func.sum(T.c.amount_minor),
    )


def sums_of(rows) -> dict:
    """{key: Sum} from rows of (key, currency, entries, seconds, billable seconds, amount)."""
    found: dict = defaultdict(Sum)
    for key, currency, entries, seconds, billable, amount in rows:
        total = found[key]
        total.entries += entries
        total.seconds += int(seconds)
        total.billable_seconds += int(billable)
        if currency is not None and amount is not None:
            total.amounts[currency] = total.amounts.get(currency, 0) + int(amount)
    return found


async def customer_sums(conn, principal, customer_ids) -> list[Sum]:
    rows = await conn.execute(
        select(*_sum_columns(T.c.customer_id))
        .where(T.c.tenant_id == principal.tenant_id, T.c.customer_id.in_(customer_ids), STOPPED)
        .group_by(T.c.customer_id, T.c.currency)
    )
    found = sums_of(rows.all())
    return [found.get(i, Sum()) for i in customer_ids]


@dataclass(frozen=True)
class Period:
    """Entries whose work day lies in [start, end], optionally of one worker or customer."""

    start: date
    end: date
    worker_id: int | None = None
    customer_id: int | None = None

    def conditions(self) -> list:
        found = [T.c.work_date >= self.start, T.c.work_date <= self.end, STOPPED]
        if self.worker_id is not None:
            found.append(T.c.worker_id == self.worker_id)
        if self.customer_id is not None:
            found.append(T.c.customer_id == self.customer_id)
        return found


GROUPS = {"all": None, "day": T.c.work_date, "worker": T.c.worker_id, "customer": T.c.customer_id}


async def period_sums(conn, principal, period: Period, group: str) -> dict:
    """{group key: Sum} over the customers the principal sees (key None for "all")."""
    key = GROUPS[group]
    columns = _sum_columns(key if key is not None else null())
    query = (
        select(*columns)
        .select_from(T.join(Customer.__table__, Customer.id == T.c.customer_id))
        .where(visible_customers(principal), T.c.tenant_id == principal.tenant_id)
        .where(*period.conditions())
        .group_by(*([key] if key is not None else []), T.c.currency)
    )
    return sums_of((await conn.execute(query)).all())


async def clock(conn, principal) -> dict:
    """The worker's own clock: at work since when, and the seconds at work today (the part
    of each session inside today's bounds in the tenant's zone, the open one until now)."""
    zone = await tenant_zone(conn, principal.tenant_id)
    now = utcnow()
    start, end = day_bounds(zone, now.astimezone(zone).date())
    rows = await conn.execute(
        select(S.c.started_at, S.c.ended_at).where(
            S.c.tenant_id == principal.tenant_id,
            S.c.worker_id == principal.worker_id,
            S.c.started_at < end,
            (S.c.ended_at.is_(None)) | (S.c.ended_at > start),
        )
    )
    since, seconds = None, 0
    for began, ended in rows:
        if ended is None:
            since = began
        overlap = min(ended or now, end, now) - max(began, start)
        seconds += max(0, int(overlap.total_seconds()))
    return {"at_work": since is not None, "since": since, "today_seconds": seconds}


def _jsonable(row) -> dict:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()}


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    rows = await conn.execute(
        select(*T.c)
        .where(T.c.tenant_id == tenant_id, T.c.customer_id == customer_id)
        .order_by(T.c.started_at, T.c.id)
    )
    return {"working_time": [_jsonable(r) for r in rows.mappings()]}
