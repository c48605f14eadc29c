"""The daily loyalty job of a tenant: birthday and anniversary bonuses, and expiry.

Scheduling, in a few lines (`schedule`): the job for a day is enqueued with the idempotency
key `daily:<day>` to run just after that day's midnight in the tenant's time zone, and its
first chunk enqueues the next day's the same way. A key per day makes a chain that several
processes, a crash replay or a second enabling cannot fork: there is at most one job per day
and tenant, whoever enqueues it. A job that starts late (the runner was down) grants for its
own day and the next is due at once, so missed days are caught up in order.

Granting once: each bonus is an entry with the source key `birthday:<customer>:<year>` or
`anniversary:<customer>:<year>` and each expiry `expire:<customer>:<day>`, so running a day
again (a manual `runLoyaltyGrants`, a retried chunk) writes nothing twice.

- Birthday: `customers.date_of_birth` (a core standard field); born on 29 February, it is
  the 28th in other years. Anniversary: the day the customer was created, in the tenant's
  zone, from the first anniversary on. Archived customers get neither.
- Expiry after N months, first in first out: points earned before the cutoff (the day less
  N months) expire as far as everything taken from the account since (redemptions,
  reversals, expiries, negative adjustments) has not used them up.

Both scans read the tenant's customers by month and day without an index (a daily job);
an expression index on (tenant, month, day) is the next step for very large tenants."""

from calendar import isleap, monthrange
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, extract, func, or_, select

from core import jobs
from core.models import Customer, Tenant
from core.tenants import zone_of
from plugins.loyalty.ledger import A, E, post, program_of

KIND = "loyalty.daily"
CHUNK = 200


async def _zone(session, tenant_id: int):
    return zone_of(await session.scalar(select(Tenant.time_zone).where(Tenant.id == tenant_id)))


async def today(session, tenant_id: int) -> date:
    return datetime.now(await _zone(session, tenant_id)).date()


async def schedule(session, tenant_id: int, day: date, key: str | None = None, **extra):
    """(job, created): the daily job of `day`, or with `key` an extra run of that day that
    schedules nothing (`chain` False)."""
    zone = await _zone(session, tenant_id)
    start = datetime.combine(day, time(0, 1), tzinfo=zone).astimezone(UTC)
    return await jobs.enqueue(
        session,
        tenant_id,
        KIND,
        {"date": day.isoformat(), "chain": key is None},
        idempotency_key=key or f"daily:{day.isoformat()}",
        run_after=start if key is None else None,
        **extra,
    )


async def keep_scheduled(session, tenant_id: int) -> None:
    """Today's and tomorrow's links of the chain (on enabling, or on changing the program):
    a chain broken while the module was off starts again; an existing one is untouched."""
    day = await today(session, tenant_id)
    await schedule(session, tenant_id, day)
    await schedule(session, tenant_id, day + timedelta(days=1))


def same_day(born: date, year: int) -> date:
    """`born`'s month and day in `year` (29 February is the 28th in other years)."""
    if born.month == 2 and born.day == 29 and not isleap(year):
        return date(year, 2, 28)
    return date(year, born.month, born.day)


def months_before(day: date, months: int) -> date:
    years, month = divmod(day.month - 1 - months, 12)
    year = day.year + years
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def _month_day(column, days: list[date]):
    pairs = {(d.month, d.day) for d in days}
    if any(d.month == 2 and d.day == 28 and not isleap(d.year) for d in days):
        pairs.add((2, 29))
    return or_(
        *(and_(extract("month", column) == m, extract("day", column) == d) for m, d in pairs)
    )


def _live(tenant_id: int, after: int):
    return (Customer.tenant_id == tenant_id, Customer.archived_at.is_(None), Customer.id > after)


async def _birthdays(session, tenant_id, program, day, zone, after) -> tuple[list, int | None]:
    if not program.birthday_points:
        return [], None
    rows = await session.execute(
        select(Customer.id, Customer.date_of_birth)
        .where(*_live(tenant_id, after), _month_day(Customer.date_of_birth, [day]))
        .order_by(Customer.id)
        .limit(CHUNK)
    )
    rows = list(rows)
    due = [(cid, born) for cid, born in rows if same_day(born, day.year) == day]
    grants = [
        ("BIRTHDAY", cid, program.birthday_points, f"birthday:{cid}:{day.year}", "Birthday")
        for cid, _ in due
    ]
    return grants, rows[-1][0] if len(rows) == CHUNK else None


async def _anniversaries(session, tenant_id, program, day, zone, after):
    if not program.anniversary_points:
        return [], None
    near = [day - timedelta(days=1), day, day + timedelta(days=1)]  # UTC vs the tenant's day
    rows = await session.execute(
        select(Customer.id, Customer.created_at)
        .where(*_live(tenant_id, after), _month_day(Customer.created_at, near))
        .order_by(Customer.id)
        .limit(CHUNK)
    )
    rows = list(rows)
    grants = []
    for cid, created in rows:
        local = created.astimezone(zone).date()
        if local.year < day.year and same_day(local, day.year) == day:
            years = day.year - local.year
            text = f"{years} year{'s' if years > 1 else ''} with us"
            grants.append(
                (
                    "ANNIVERSARY",
                    cid,
                    program.anniversary_points,
                    f"anniversary:{cid}:{day.year}",
                    text,
                )
            )
    return grants, rows[-1][0] if len(rows) == CHUNK else None


async def _expiries(session, tenant_id, program, day, zone, after):
    if not program.expiry_months:
        return [], None
    cutoff = datetime.combine(months_before(day, program.expiry_months), time(), tzinfo=zone)
    accounts = list(
        await session.scalars(
            select(A.c.customer_id)
            .where(A.c.tenant_id == tenant_id, A.c.balance > 0, A.c.customer_id > after)
            .order_by(A.c.customer_id)
            .limit(CHUNK)
        )
    )
    if not accounts:
        return [], None
    old = func.coalesce(func.sum(E.c.points).filter(E.c.points > 0, E.c.created_at < cutoff), 0)
    spent = func.coalesce(-func.sum(E.c.points).filter(E.c.points < 0), 0)
    rows = await session.execute(
        select(E.c.customer_id, old - spent, A.c.balance)
        .join(A, A.c.customer_id == E.c.customer_id)
        .where(E.c.tenant_id == tenant_id, E.c.customer_id.in_(accounts))
        .group_by(E.c.customer_id, A.c.balance)
        .order_by(E.c.customer_id)
    )
    grants = [
        ("EXPIRE", cid, -min(due, balance), f"expire:{cid}:{day.isoformat()}", "Points expired")
        for cid, due, balance in rows
        if due > 0
    ]
    return grants, accounts[-1] if len(accounts) == CHUNK else None


PHASES = (_birthdays, _anniversaries, _expiries)


async def run_daily(ctx) -> dict:
    """The job's handler: the phases in chunks, each chunk's grants and checkpoint in one
    transaction, so a crash resumes where it stopped (and the source keys cover the rest)."""
    if "loyalty" not in ctx.modules:
        return {"skipped": "the loyalty module is off"}
    day = date.fromisoformat(ctx.payload["date"])
    phase, after = (ctx.checkpoint or {}).get("phase", 0), (ctx.checkpoint or {}).get("after", 0)
    granted = dict((ctx.checkpoint or {}).get("granted", {}))
    if ctx.payload.get("chain") and ctx.checkpoint is None:
        async with ctx.chunk() as session:  # first: a failing day never breaks the chain
            await schedule(session, ctx.tenant_id, day + timedelta(days=1))
            ctx.save({"phase": 0, "after": 0, "granted": {}})
    while phase < len(PHASES):
        ctx.raise_if_cancelled()
        async with ctx.chunk() as session:
            program = await program_of(session, ctx.tenant_id)
            zone = await _zone(session, ctx.tenant_id)
            grants, last = await PHASES[phase](session, ctx.tenant_id, program, day, zone, after)
            for kind, customer_id, points, key, reason in grants:
                if await post(
                    session, ctx.tenant_id, customer_id, kind, points, key, reason=reason
                ):
                    granted[kind] = granted.get(kind, 0) + 1
            phase, after = (phase, last) if last is not None else (phase + 1, 0)
            ctx.save({"phase": phase, "after": after, "granted": granted})
    return {"date": day.isoformat(), "granted": granted}
