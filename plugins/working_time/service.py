"""Writes: validation (everything wrong at once, nothing written), permissions, events.

Everyone may track their own time (`working_time.track`: their timer, their clock, their
entries); entries of someone else, or of a removed worker, take `working_time.manage`
(owner, admin, manager). An entry belongs to its customer's record: writing it takes a
customer the worker may change. "At most one running" is the database's unique partial
index: the insert that loses the race inserts nothing and answers TIMER_RUNNING /
ALREADY_AT_WORK instead of failing the transaction."""

import math
import re
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, Problem
from core.models import Customer, utcnow
from plugins.working_time import queries as q
from plugins.working_time.models import TimeEntry

VIEW, TRACK, MANAGE = "working_time.view", "working_time.track", "working_time.manage"
MAX_SECONDS = 24 * 3600
MAX_NOTE = 2000
MAX_RATE = 10**9
SLACK = timedelta(minutes=1)  # clocks of clients and server differ a little
CURRENCY = re.compile(r"^[A-Z]{3}$")


def _may_touch(principal: Principal, worker_id: int | None) -> None:
    access.require(principal, TRACK)
    if worker_id != principal.worker_id:
        access.require(principal, MANAGE)


def _rate(value: tuple | None, problems: list[Problem]) -> tuple[int | None, str | None]:
    """(minor units per hour, currency) of `hourlyRate`, or (None, None)."""
    if value is None:
        return None, None
    amount, currency = value[0], value[1].strip().upper()
    if not CURRENCY.match(currency):
        problems.append(
            Problem(("input", "hourlyRate", "currency"), "Use a code like EUR.", "INVALID")
        )
    if not 0 <= amount <= MAX_RATE:
        text = "A rate is 0 or more minor units per hour."
        problems.append(Problem(("input", "hourlyRate", "amount"), text, "INVALID"))
    return amount, currency


def _check_span(start, end, seconds: int, field: str, problems: list[Problem]) -> None:
    if seconds <= 0:
        problems.append(Problem(("input", field), "The end must come after the start.", "INVALID"))
    elif seconds > MAX_SECONDS:
        problems.append(Problem(("input", field), "An entry is at most 24 hours.", "TOO_LONG"))
    elif end > utcnow() + SLACK:
        problems.append(Problem(("input", field), "Time cannot be logged ahead.", "IN_FUTURE"))


def _price(entry: TimeEntry) -> None:
    """The amount of a stopped, billable, rated entry: seconds times the hourly rate, half up."""
    rated = entry.billable and entry.rate_minor is not None and entry.duration_seconds
    entry.amount_minor = (
        (entry.duration_seconds * entry.rate_minor + 1800) // 3600 if rated else None
    )


async def _work_date(session, tenant_id: int, started_at: datetime):
    return started_at.astimezone(await q.tenant_zone(session, tenant_id)).date()


async def _emit(session, principal, name: str, entry: TimeEntry, **data) -> None:
    await records.emit(
        session,
        principal,
        name,
        entry.customer_id,
        timeEntryId=entry.id,
        workerId=entry.worker_id,
        **data,
    )


def _details(data: dict, problems: list[Problem]) -> dict:
    """Note, billable and rate of an input, checked; only the keys present."""
    found = {}
    if "note" in data:
        found["note"] = records.clean_text(data["note"], ("input", "note"), MAX_NOTE, problems)
    if data.get("billable") is not None:
        found["billable"] = data["billable"]
    if "rate" in data:
        found["rate_minor"], found["currency"] = _rate(data["rate"], problems)
    return found


async def start_timer(session: AsyncSession, principal: Principal, data: dict) -> dict:
    access.require(principal, TRACK)
    customer = await get_customer(session, principal, data["customer_id"])
    problems: list[Problem] = []
    details = _details(data, problems)
    records.fail_if(problems)
    now = utcnow()
    values = dict(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        worker_id=principal.worker_id,
        started_at=now,
        work_date=await _work_date(session, principal.tenant_id, now),
        **{"billable": True, **details},
        created_at=now,
        updated_at=now,
    )
    statement = (
        records.upsert(session, q.T)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=["tenant_id", "worker_id"], index_where=q.T.c.ended_at.is_(None)
        )
        .returning(q.T.c.id)
    )
    entry_id = (await session.execute(statement)).scalar()
    if entry_id is None:
        raise InvalidInput.one(
            ("input", "customerId"),
            "Your timer is already running: stop it first.",
            "TIMER_RUNNING",
        )
    entry = await session.get(TimeEntry, entry_id)
    await _emit(session, principal, "timer.started", entry)
    return entry


async def stop_timer(session: AsyncSession, principal: Principal, data: dict) -> TimeEntry | None:
    """The worker's running timer, stopped now or at `ended_at` (a forgotten one), whatever
    its customer: one's own clock always stops. Answered only if the customer is visible."""
    access.require(principal, TRACK)
    entry = await session.scalar(
        select(TimeEntry)
        .where(
            TimeEntry.tenant_id == principal.tenant_id,
            TimeEntry.worker_id == principal.worker_id,
            TimeEntry.ended_at.is_(None),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if entry is None:
        raise InvalidInput.one(("input",), "No timer of yours is running.", "NO_TIMER")
    problems: list[Problem] = []
    details = _details(data, problems)
    end = records.utc(data.get("ended_at")) or utcnow()
    seconds = math.ceil((end - entry.started_at).total_seconds())
    if seconds > MAX_SECONDS and data.get("ended_at") is None:
        text = "The timer ran over 24 hours: give endedAt, when you stopped working."
        problems.append(Problem(("input", "endedAt"), text, "TOO_LONG"))
    else:
        _check_span(entry.started_at, end, seconds, "endedAt", problems)
    records.fail_if(problems)
    for key, value in details.items():
        setattr(entry, key, value)
    entry.ended_at, entry.duration_seconds, entry.updated_at = end, seconds, utcnow()
    _price(entry)
    await session.flush()
    await _emit(session, principal, "timer.stopped", entry, durationSeconds=seconds)
    visible = await session.scalar(
        select(Customer.id).where(
            access.visible_customers(principal), Customer.id == entry.customer_id
        )
    )
    return entry if visible else None


def _times(data: dict, problems: list[Problem]) -> tuple[datetime, datetime, int] | None:
    """(start, end, seconds) from start + end, start + duration, or a duration ending now."""
    start, end = records.utc(data.get("started_at")), records.utc(data.get("ended_at"))
    seconds = data.get("duration_seconds")
    if end is not None and seconds is not None:
        text = "Give endedAt or durationSeconds, not both."
        problems.append(Problem(("input", "durationSeconds"), text, "INVALID"))
        return None
    if end is None and seconds is None:
        text = "Give endedAt or durationSeconds."
        problems.append(Problem(("input", "durationSeconds"), text, "REQUIRED"))
        return None
    if end is not None:
        if start is None:
            problems.append(Problem(("input", "startedAt"), "Give the start.", "REQUIRED"))
            return None
        seconds, field = math.ceil((end - start).total_seconds()), "endedAt"
    else:
        end = start + timedelta(seconds=seconds) if start and seconds > 0 else utcnow()
        start, field = start or end - timedelta(seconds=max(seconds, 0)), "durationSeconds"
    _check_span(start, end, seconds, field, problems)
    return start, end, seconds


async def log_time(session: AsyncSession, principal: Principal, data: dict) -> TimeEntry:
    worker_id = principal.worker_id if data.get("worker_id") is None else data["worker_id"]
    _may_touch(principal, worker_id)
    customer = await get_customer(session, principal, data["customer_id"])
    problems: list[Problem] = []
    if worker_id != principal.worker_id:
        await records.check_worker(session, principal.tenant_id, worker_id, "workerId", problems)
    span = _times(data, problems)
    details = _details(data, problems)
    records.fail_if(problems)
    start, end, seconds = span
    now = utcnow()
    entry = TimeEntry(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        worker_id=worker_id,
        started_at=start,
        ended_at=end,
        work_date=await _work_date(session, principal.tenant_id, start),
        duration_seconds=seconds,
        **{"billable": True, **details},
        created_at=now,
        updated_at=now,
    )
    _price(entry)
    session.add(entry)
    await session.flush()
    await _emit(session, principal, "time_entry.logged", entry, durationSeconds=seconds)
    return entry


async def _entry(session, principal, entry_id: int) -> TimeEntry:
    access.require(principal, TRACK)
    entry = await records.for_update(session, principal, TimeEntry, entry_id, "Time entry")
    _may_touch(principal, entry.worker_id)
    return entry


async def update_entry(session: AsyncSession, principal: Principal, entry_id: int, changes: dict):
    """Only what is sent changes. A new start keeps the end (the duration follows) unless
    an end or a duration is sent too; a running timer's end is set by stopping it."""
    entry = await _entry(session, principal, entry_id)
    problems: list[Problem] = []
    values = _details(changes, problems)
    start = records.utc(changes.get("started_at", entry.started_at))
    if start is None:
        problems.append(Problem(("input", "startedAt"), "Give the start.", "REQUIRED"))
    elif entry.ended_at is None:
        if {"ended_at", "duration_seconds"} & changes.keys():
            text = "The timer is running: stop it to set its end."
            problems.append(Problem(("input", "endedAt"), text, "TIMER_RUNNING"))
        elif start > utcnow() + SLACK:
            problems.append(Problem(("input", "startedAt"), "Not in the future.", "IN_FUTURE"))
        values["started_at"] = start
    else:
        given = {k: changes[k] for k in ("ended_at", "duration_seconds") if k in changes}
        if not given:
            given = {"ended_at": entry.ended_at}
        span = _times({"started_at": start, **given}, problems)
        if span:
            values["started_at"], values["ended_at"], values["duration_seconds"] = span
    records.fail_if(problems)
    if values.get("started_at", entry.started_at) != entry.started_at:
        values["work_date"] = await _work_date(session, principal.tenant_id, start)
    changed = [k for k, v in values.items() if getattr(entry, k) != v]
    for key in changed:
        setattr(entry, key, values[key])
    if changed:
        _price(entry)
        entry.updated_at = utcnow()
        await session.flush()
        await _emit(session, principal, "time_entry.updated", entry, changed=changed)
    return entry


async def delete_entry(session: AsyncSession, principal: Principal, entry_id: int) -> int:
    """Deleting a running timer discards it."""
    entry = await _entry(session, principal, entry_id)
    running = entry.ended_at is None
    await session.delete(entry)
    await session.flush()
    await _emit(session, principal, "time_entry.deleted", entry, running=running)
    return entry_id


async def clock_in(session: AsyncSession, principal: Principal) -> bool:
    access.require(principal, TRACK)
    statement = (
        records.upsert(session, q.S)
        .values(tenant_id=principal.tenant_id, worker_id=principal.worker_id, started_at=utcnow())
        .on_conflict_do_nothing(
            index_elements=["tenant_id", "worker_id"], index_where=q.S.c.ended_at.is_(None)
        )
        .returning(q.S.c.id)
    )
    if (await session.execute(statement)).scalar() is None:
        raise InvalidInput.one(("input",), "You are already at work.", "ALREADY_AT_WORK")
    await records.emit(session, principal, "work.started", None, workerId=principal.worker_id)
    return True


async def clock_out(session: AsyncSession, principal: Principal) -> bool:
    access.require(principal, TRACK)
    now = utcnow()
    closed = await session.execute(
        update(q.S)
        .where(
            q.S.c.tenant_id == principal.tenant_id,
            q.S.c.worker_id == principal.worker_id,
            q.S.c.ended_at.is_(None),
        )
        .values(ended_at=now)
        .returning(q.S.c.started_at)
    )
    started = closed.scalar()
    if started is None:
        raise InvalidInput.one(("input",), "You are not at work.", "NOT_AT_WORK")
    seconds = int((now - records.utc(started)).total_seconds())
    await records.emit(
        session, principal, "work.ended", None, workerId=principal.worker_id, seconds=seconds
    )
    return True


async def stop_orphans(session: AsyncSession, tenant_id: int, at: datetime) -> None:
    """A removed worker's running timer (its worker set null) stops when they were removed."""
    rows = await session.scalars(
        select(TimeEntry).where(
            TimeEntry.tenant_id == tenant_id,
            TimeEntry.worker_id.is_(None),
            TimeEntry.ended_at.is_(None),
        )
    )
    for entry in rows:
        entry.ended_at = max(at, entry.started_at)
        seconds = math.ceil((entry.ended_at - entry.started_at).total_seconds())
        entry.duration_seconds = min(seconds, MAX_SECONDS)
        _price(entry)


async def merge(session: AsyncSession, tenant_id: int, source_id: int, target_id: int) -> None:
    await records.move_to_customer(session, tenant_id, source_id, target_id, TimeEntry)
