"""The daily loyalty work of a tenant: birthday and anniversary bonuses, and expiry.

Scheduling is `core/schedules.py`'s: `DAILY` ticks at midnight in the tenant's time zone
(`local=True`), one tick per tenant and date (key `loyalty.daily:<tenant>:<date>`, the date
in the payload's `day`) however many processes arm it; a late tick runs once and arms the
next midnight after now; a tenant that switched loyalty off, or whose program grants and
expires nothing (`wanted`), arms no further tick. Configuring the program (and enabling the
module) arms today's tick too, so a program switched on at noon still grants today's
birthdays. `runLoyaltyGrants` is `schedules.run_now` with a past `day`.

Granting once: each bonus is an entry with the source key `birthday:<customer>:<year>` or
`anniversary:<customer>:<year>` and each expiry `expire:<customer>:<day>`, so running a day
again (a manual `runLoyaltyGrants`, a retried chunk, a tick beside a manual run) writes
nothing twice.

- Birthday: `customers.date_of_birth` (a core standard field); born on 29 February, it is
  the 28th in other years. Anniversary: the day the customer was created, in the tenant's
  zone, from the first anniversary on. Archived customers get neither.
- Expiry after N months, first in first out: points earned before the cutoff (the day less
  N months) expire as far as everything taken from the account since (redemptions,
  reversals, expiries, negative adjustments) has not used them up.

Birthdays are read by month and day from an expression index on customers (`born_on`,
loyalty_0002); anniversaries still scan the tenant's live customers (`created_at` is a
timestamp with a zone, whose month PostgreSQL cannot index without fixing a zone)."""

from calendar import isleap, monthrange
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, exists, extract, func, or_, select

from core import schedules
from core.models import Customer
from core.tenants import tenant_zone
from plugins.loyalty.ledger import A, E, post, program_of
from plugins.loyalty.models import LoyaltyProgram

CHUNK = 200


async def has_daily_work(session, tenant_id: int) -> bool:
    """The schedule's `wanted`: the program grants a bonus or expires points."""
    P = LoyaltyProgram
    return bool(
        await session.scalar(
            select(
                exists().where(
                    P.tenant_id == tenant_id,
                    or_(P.birthday_points > 0, P.anniversary_points > 0, P.expiry_months > 0),
                )
            )
        )
    )


DAILY = schedules.Schedule(
    "loyalty.daily", schedules.DAY, module="loyalty", wanted=has_daily_work, local=True
)


async def keep_scheduled(session, tenant_id: int) -> None:
    """Today's tick (it runs at once unless it ran) and so the chain, when the program has
    daily work (on enabling, on changing the program); an existing chain is untouched."""
    await schedules.ensure(session, DAILY, tenant_id, current=True)


async def today(session, tenant_id: int) -> date:
    return datetime.now(await tenant_zone(session, tenant_id)).date()


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
    """`column` falls on one of `days`' month and day: per month, `month = m AND day IN
    (...)`, so a single month (28 and 29 February included) is one range of an index on
    (month, day), which SQLite uses where it would not use an OR of two."""
    by_month: dict[int, set[int]] = {}
    for d in days:
        by_month.setdefault(d.month, set()).add(d.day)
        if d.month == 2 and d.day == 28 and not isleap(d.year):
            by_month[2].add(29)
    day = extract("day", column)
    return or_(
        *(
            and_(
                extract("month", column) == m,
                day == min(ds) if len(ds) == 1 else day.in_(sorted(ds)),
            )
            for m, ds in sorted(by_month.items())
        )
    )


def _live(tenant_id: int, after: int):
    return (Customer.tenant_id == tenant_id, Customer.archived_at.is_(None), Customer.id > after)


def born_on(tenant_id: int, day: date, after: int = 0):
    """A chunk of the live customers with their birthday on `day` (and those born on 29
    February on a 28th of other years), by id: read from `ix_loyalty_birthdays` (loyalty_0002:
    customers (tenant_id, month, day, id) of the date of birth, where one is known), whose
    expressions are these `extract`s, so both databases match them to the index."""
    born = Customer.date_of_birth
    return (
        select(Customer.id, born)
        .where(*_live(tenant_id, after), born.is_not(None), _month_day(born, [day]))
        .order_by(Customer.id)
        .limit(CHUNK)
    )


async def _birthdays(session, tenant_id, program, day, zone, after) -> tuple[list, int | None]:
    if not program.birthday_points:
        return [], None
    rows = list(await session.execute(born_on(tenant_id, day, after)))
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
    """A tick's work (`schedules.periodic` has armed the next tick before): the phases in
    chunks, each chunk's grants and checkpoint in one transaction, so a crash resumes where it
    stopped (and the source keys cover the rest). `date` is the payload of a job queued by the
    chain this replaced."""
    day = date.fromisoformat(ctx.payload.get("day") or ctx.payload["date"])
    phase, after = (ctx.checkpoint or {}).get("phase", 0), (ctx.checkpoint or {}).get("after", 0)
    granted = dict((ctx.checkpoint or {}).get("granted", {}))
    while phase < len(PHASES):
        ctx.raise_if_cancelled()
        async with ctx.chunk() as session:
            program = await program_of(session, ctx.tenant_id)
            zone = await tenant_zone(session, ctx.tenant_id)
            grants, last = await PHASES[phase](session, ctx.tenant_id, program, day, zone, after)
            for kind, customer_id, points, key, reason in grants:
                if await post(
                    session, ctx.tenant_id, customer_id, kind, points, key, reason=reason
                ):
                    granted[kind] = granted.get(kind, 0) + 1
            phase, after = (phase, last) if last is not None else (phase + 1, 0)
            ctx.save({"phase": phase, "after": after, "granted": granted})
    return {"date": day.isoformat(), "granted": granted}
