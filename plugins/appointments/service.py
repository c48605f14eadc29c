"""Writing appointments and credits, inside the caller's transaction: validate, check
access, lock, check, write, emit. Anything wrong raises before a row is flushed.

Rules:
- BOOKED → CONFIRMED; BOOKED/CONFIRMED → CANCELLED, COMPLETED, NO_SHOW; the last three are
  final. Completing or marking a no-show waits for the start. Rescheduling a CONFIRMED
  appointment makes it BOOKED again: the confirmation was for the old time.
- A worker holds at most one BOOKED/CONFIRMED appointment at any instant. The check locks
  the worker's row first, so two bookings of one worker are checked one after the other.
- Credits: completing an appointment uses one credit when the customer has any; a prepaid
  appointment must use one, so completing it without credits is refused (NO_CREDITS).
  Changes to one customer's appointments lock the customer's row, so the balance read
  before using a credit is still true when the credit is used and never goes below 0."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, NotFound, Problem
from core.models import Base, Customer, Worker, utcnow
from core.records import Transitions
from plugins.appointments.models import Appointment, AppointmentCredit
from plugins.appointments.queries import ACTIVE
from schema.money import check_money

BOOK = "appointments.book"
CREDITS = "appointments.credits"
FINAL = frozenset()
TRANSITIONS = Transitions(
    "An appointment",
    {
        "BOOKED": frozenset({"CONFIRMED", "CANCELLED", "COMPLETED", "NO_SHOW"}),
        "CONFIRMED": frozenset({"CANCELLED", "COMPLETED", "NO_SHOW"}),
        "CANCELLED": FINAL,
        "COMPLETED": FINAL,
        "NO_SHOW": FINAL,
    },
)
EVENTS = {
    "CONFIRMED": "appointment.confirmed",
    "CANCELLED": "appointment.cancelled",
    "COMPLETED": "appointment.completed",
    "NO_SHOW": "appointment.no_show",
}
MAX_LENGTH = timedelta(hours=24)
HORIZON = timedelta(days=5 * 366)
MAX_REMINDERS = 10
MAX_LEAD_MINUTES = 28 * 24 * 60
MAX_CREDITS = 1000
LIMITS = {"location": 300, "notes": 5000, "reason": 500, "note": 500}


@dataclass(frozen=True)
class Reminder:
    """One of the two is set: minutes before the start, or an absolute time."""

    minutes_before: int | None = None
    remind_at: datetime | None = None


def utc(value: datetime) -> datetime:
    """A time without a zone is read as UTC, like everywhere else in the API."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _times(start: datetime, end: datetime, problems: list[Problem]):
    start, end = utc(start), utc(end)
    if abs(start - utcnow()) > HORIZON:
        problems.append(Problem(("input", "start"), "Pick a start within 5 years.", "INVALID"))
    elif end <= start:
        problems.append(Problem(("input", "end"), "The end must be after the start.", "INVALID"))
    elif end - start > MAX_LENGTH:
        problems.append(
            Problem(("input", "end"), "An appointment lasts at most 24 hours.", "TOO_LONG")
        )
    return start, end


def _reminders(
    items: Sequence[Reminder], start: datetime, path: tuple[str, ...], problems: list[Problem]
) -> list[dict]:
    if len(items) > MAX_REMINDERS:
        problems.append(Problem(path, f"At most {MAX_REMINDERS} reminders.", "TOO_MANY"))
        return []
    stored, seen = [], set()
    for index, item in enumerate(items):
        here = (*path, str(index))
        if (item.minutes_before is None) == (item.remind_at is None):
            problems.append(
                Problem(here, "Give minutesBefore or remindAt, one of them.", "INVALID")
            )
            continue
        if item.minutes_before is not None:
            if not 0 < item.minutes_before <= MAX_LEAD_MINUTES:
                problems.append(
                    Problem(
                        (*here, "minutesBefore"),
                        f"Between 1 and {MAX_LEAD_MINUTES} minutes (4 weeks).",
                        "INVALID",
                    )
                )
                continue
            value = {"minutesBefore": item.minutes_before}
            when = start - timedelta(minutes=item.minutes_before)
        else:
            when = utc(item.remind_at)
            if not timedelta(0) < start - when <= timedelta(minutes=MAX_LEAD_MINUTES):
                problems.append(
                    Problem(
                        (*here, "remindAt"),
                        "A reminder goes out before the start, at most 4 weeks before.",
                        "INVALID",
                    )
                )
                continue
            value = {"remindAt": when.isoformat()}
        if when in seen:
            problems.append(Problem(here, "Another reminder goes out at that time.", "DUPLICATE"))
            continue
        seen.add(when)
        stored.append(value)
    return stored


def stored_reminders(stored: list[dict]) -> list[Reminder]:
    return [
        Reminder(minutes_before=r["minutesBefore"])
        if "minutesBefore" in r
        else Reminder(remind_at=datetime.fromisoformat(r["remindAt"]))
        for r in stored or []
    ]


def _clean(value, name: str, problems: list[Problem]) -> str | None:
    return records.clean_text(value, ("input", name), LIMITS[name], problems)


async def _lock(session: AsyncSession, model: type[Base], tenant_id: int, row_id: int) -> bool:
    """Hold the row's write lock until the transaction ends; False if the tenant has no such
    row. A no-op UPDATE takes the row lock on PostgreSQL and the write lock on SQLite (whose
    reads outside a write take none), so what is read next is the latest committed state
    and nobody else holding the same lock can commit in between."""
    table = model.__table__
    keep = "updated_at" if "updated_at" in table.c else "id"  # suppresses `onupdate`
    result = await session.execute(
        update(table)
        .where(table.c.tenant_id == tenant_id, table.c.id == row_id)
        .values({keep: table.c[keep]})
    )
    return result.rowcount == 1


async def _lock_worker(session: AsyncSession, principal: Principal, worker_id: int) -> None:
    if not await _lock(session, Worker, principal.tenant_id, worker_id):
        raise InvalidInput.one(("input", "workerId"), "Worker not found.", "NOT_FOUND")


def _span(start: datetime, end: datetime) -> str:
    until = f"{end:%H:%M}" if start.date() == end.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M} to {until} UTC"


async def _check_free(
    session: AsyncSession,
    principal: Principal,
    worker_id: int,
    start: datetime,
    end: datetime,
    exclude_id: int | None = None,
) -> None:
    """DOUBLE_BOOKED naming the first clashing appointment; a customer the principal may
    not see is not named."""
    who = case((access.visible_customers(principal), Customer.name), else_=None)
    query = (
        select(Appointment.start_at, Appointment.end_at, who, Worker.name)
        .join(Customer, Customer.id == Appointment.customer_id)
        .join(Worker, Worker.id == Appointment.worker_id)
        .where(
            Appointment.tenant_id == principal.tenant_id,
            Appointment.worker_id == worker_id,
            Appointment.status.in_(ACTIVE),
            Appointment.start_at < end,
            Appointment.end_at > start,
        )
        .order_by(Appointment.start_at)
        .limit(1)
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    clash = (await session.execute(query)).first()
    if clash:
        other_start, other_end, customer, worker = clash
        raise InvalidInput.one(
            ("input", "start"),
            f"{worker} is already booked with {customer or 'another customer'} "
            f"{_span(other_start, other_end)}.",
            "DOUBLE_BOOKED",
        )


async def _appointment(session: AsyncSession, principal: Principal, appointment_id: int):
    """The appointment, read after locking its customer's row (see the module rules). Its
    customer must be one the principal may change, like for any write to a customer."""
    customer_id = await session.scalar(
        select(Appointment.customer_id).where(
            Appointment.tenant_id == principal.tenant_id, Appointment.id == appointment_id
        )
    )
    try:
        if customer_id is None:
            raise NotFound("Appointment")
        await get_customer(session, principal, customer_id)
    except NotFound as exc:
        raise NotFound("Appointment") from exc
    if not await _lock(session, Customer, principal.tenant_id, customer_id):
        raise NotFound("Appointment")
    appointment = await session.scalar(
        select(Appointment)
        .where(Appointment.id == appointment_id, Appointment.customer_id == customer_id)
        .execution_options(populate_existing=True)
    )
    if appointment is None:
        raise NotFound("Appointment")
    return appointment


def _data(appointment: Appointment, **extra) -> dict:
    return {
        "appointmentId": appointment.id,
        "workerId": appointment.worker_id,
        "start": appointment.start_at.isoformat(),
        "end": appointment.end_at.isoformat(),
        "status": appointment.status,
        **extra,
    }


async def _emit(session, principal: Principal, name: str, appointment: Appointment, **extra):
    await records.emit(
        session, principal, name, appointment.customer_id, **_data(appointment, **extra)
    )


async def book(
    session: AsyncSession,
    principal: Principal,
    customer_id: int,
    worker_id: int,
    start: datetime,
    end: datetime,
    location: str | None = None,
    notes: str | None = None,
    reminders: Sequence[Reminder] = (),
    prepaid: bool = False,
) -> Appointment:
    access.require(principal, BOOK)
    problems: list[Problem] = []
    start, end = _times(start, end, problems)
    location = _clean(location, "location", problems)
    notes = _clean(notes, "notes", problems)
    stored = _reminders(reminders, start, ("input", "reminders"), problems)
    records.fail_if(problems)
    customer = await get_customer(session, principal, customer_id)
    await _lock_worker(session, principal, worker_id)
    await _check_free(session, principal, worker_id, start, end)
    appointment = Appointment(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        worker_id=worker_id,
        start_at=start,
        end_at=end,
        status="BOOKED",
        location=location,
        notes=notes,
        reminders=stored,
        prepaid=prepaid,
        credit_used=False,
    )
    session.add(appointment)
    await session.flush()
    await _emit(session, principal, "appointment.booked", appointment)
    return appointment


KEEP = object()


async def reschedule(
    session: AsyncSession,
    principal: Principal,
    appointment_id: int,
    start: datetime,
    end: datetime,
    worker_id: int | object = KEEP,
    reminders: Sequence[Reminder] | None = None,
) -> Appointment:
    """New times (and worker), checked for clashes like a booking. Relative reminders move
    with the start; absolute ones must still come before it, or be replaced."""
    access.require(principal, BOOK)
    problems: list[Problem] = []
    start, end = _times(start, end, problems)
    if reminders is not None:
        stored = _reminders(reminders, start, ("input", "reminders"), problems)
    records.fail_if(problems)
    appointment = await _appointment(session, principal, appointment_id)
    if appointment.status not in ACTIVE:
        raise InvalidInput.one(
            ("input", "id"),
            f"A {appointment.status.lower()} appointment cannot be rescheduled.",
            "INVALID_TRANSITION",
        )
    if reminders is None:
        kept: list[Problem] = []
        stored = _reminders(
            stored_reminders(appointment.reminders), start, ("input", "reminders"), kept
        )
        if kept:
            raise InvalidInput.one(
                ("input", "reminders"),
                "A reminder of this appointment would go out after the new start (or more "
                "than 4 weeks before it): send the reminders too.",
                "INVALID",
            )
    worker_id = appointment.worker_id if worker_id is KEEP else worker_id
    if worker_id is None:
        raise InvalidInput.one(
            ("input", "workerId"), "The appointment has no worker any more: pick one.", "REQUIRED"
        )
    await _lock_worker(session, principal, worker_id)
    await _check_free(session, principal, worker_id, start, end, exclude_id=appointment.id)
    appointment.start_at, appointment.end_at = start, end
    appointment.worker_id = worker_id
    appointment.reminders = stored
    appointment.status = "BOOKED"
    await session.flush()
    await _emit(session, principal, "appointment.rescheduled", appointment)
    return appointment


async def update_details(
    session: AsyncSession, principal: Principal, appointment_id: int, changes: dict
) -> Appointment:
    """Location and notes at any time; reminders and `prepaid` while the appointment is
    still ahead (BOOKED/CONFIRMED)."""
    access.require(principal, BOOK)
    problems: list[Problem] = []
    texts = {k: _clean(changes[k], k, problems) for k in ("location", "notes") if k in changes}
    records.fail_if(problems)
    appointment = await _appointment(session, principal, appointment_id)
    for key in ("reminders", "prepaid"):
        if key in changes and appointment.status not in ACTIVE:
            raise InvalidInput.one(
                ("input", key),
                f"A {appointment.status.lower()} appointment keeps its {key}.",
                "INVALID_TRANSITION",
            )
    if changes.get("reminders") is not None:
        appointment.reminders = _reminders(
            changes["reminders"], appointment.start_at, ("input", "reminders"), problems
        )
        records.fail_if(problems)
    elif "reminders" in changes:
        appointment.reminders = []
    if changes.get("prepaid") is not None:
        appointment.prepaid = changes["prepaid"]
    for key, value in texts.items():
        setattr(appointment, key, value)
    await session.flush()
    return appointment


async def balance(session: AsyncSession, tenant_id: int, customer_id: int) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(AppointmentCredit.change), 0)).where(
            AppointmentCredit.tenant_id == tenant_id, AppointmentCredit.customer_id == customer_id
        )
    )
    return int(total)


async def _use_credit(session: AsyncSession, principal: Principal, appointment: Appointment):
    if await balance(session, principal.tenant_id, appointment.customer_id) > 0:
        session.add(
            AppointmentCredit(
                tenant_id=principal.tenant_id,
                customer_id=appointment.customer_id,
                change=-1,
                appointment_id=appointment.id,
                worker_id=principal.worker_id,
            )
        )
        appointment.credit_used = True
    elif appointment.prepaid:
        raise InvalidInput.one(
            ("input", "id"),
            "The appointment is prepaid but the customer has no appointment credits left: "
            "buy credits first.",
            "NO_CREDITS",
        )


async def set_status(
    session: AsyncSession,
    principal: Principal,
    appointment_id: int,
    status: str,
    reason: str | None = None,
) -> Appointment:
    access.require(principal, BOOK)
    problems: list[Problem] = []
    reason = _clean(reason, "reason", problems)
    records.fail_if(problems)
    appointment = await _appointment(session, principal, appointment_id)
    if not TRANSITIONS.check(appointment.status, status, ("input", "id")):
        raise InvalidInput.one(
            ("input", "id"), f"The appointment is already {status.lower()}.", "INVALID_TRANSITION"
        )
    if status in ("COMPLETED", "NO_SHOW") and appointment.start_at > utcnow():
        raise InvalidInput.one(
            ("input", "id"),
            f"The appointment starts {_span(appointment.start_at, appointment.end_at)}: "
            f"it cannot be {status.lower().replace('_', '-')} before it starts.",
            "INVALID_TRANSITION",
        )
    if status == "COMPLETED":
        await _use_credit(session, principal, appointment)
    appointment.status = status
    if status == "CANCELLED":
        appointment.cancel_reason = reason
    await session.flush()
    extra = {"reason": reason} if status == "CANCELLED" else {}
    if status == "COMPLETED":
        extra = {"creditUsed": appointment.credit_used}
    await _emit(session, principal, EVENTS[status], appointment, **extra)
    return appointment


async def buy_credits(
    session: AsyncSession,
    principal: Principal,
    customer_id: int,
    quantity: int,
    price=None,
    note: str | None = None,
) -> tuple[Customer, int]:
    """(customer, new balance). `price` (a `MoneyInput`) is what the customer paid, kept
    for the record."""
    access.require(principal, CREDITS)
    problems: list[Problem] = []
    if not 0 < quantity <= MAX_CREDITS:
        problems.append(
            Problem(("input", "quantity"), f"Between 1 and {MAX_CREDITS} credits.", "INVALID")
        )
    amount = currency = None
    if price is not None:
        amount, currency = check_money(price, ("input", "price"), problems)
    note = _clean(note, "note", problems)
    records.fail_if(problems)
    customer = await get_customer(session, principal, customer_id)
    session.add(
        AppointmentCredit(
            tenant_id=principal.tenant_id,
            customer_id=customer.id,
            change=quantity,
            price_amount=amount,
            price_currency=currency,
            note=note,
            worker_id=principal.worker_id,
        )
    )
    await session.flush()
    total = await balance(session, principal.tenant_id, customer.id)
    await records.emit(
        session,
        principal,
        "appointment.credits_bought",
        customer.id,
        quantity=quantity,
        balance=total,
    )
    return customer, total


async def move_to(session: AsyncSession, tenant_id: int, source_id: int, target_id: int) -> None:
    """A merge: the source's appointments and credits become the target's."""
    await records.move_to_customer(
        session, tenant_id, source_id, target_id, Appointment, AppointmentCredit
    )
