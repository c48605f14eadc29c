"""GraphQL types of the appointments module. Every list and related row loads through the
request's loaders, one statement per kind for a whole page of customers."""

from datetime import datetime, timedelta
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import Private

from core.pagination import PageRequest, decode_cursor
from plugins.appointments import queries as q
from schema.context import Info
from schema.customers.types import Customer
from schema.relay import Connection, Node, connection
from schema.team.types import Worker


@strawberry.enum(
    description="BOOKED → CONFIRMED; BOOKED or CONFIRMED → CANCELLED, COMPLETED, NO_SHOW "
    "(final). Rescheduling makes a CONFIRMED appointment BOOKED again."
)
class AppointmentStatus(Enum):
    BOOKED = "BOOKED"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"
    NO_SHOW = "NO_SHOW"


@strawberry.type(description="When a reminder of an appointment is due (sending is not ours).")
class AppointmentReminder:
    minutes_before: int | None = strawberry.field(
        description="Set for a reminder relative to the start (it moves with the start)."
    )
    remind_at: datetime = strawberry.field(description="When it is due, UTC.")


def _reminders(stored: list[dict], start: datetime) -> list[AppointmentReminder]:
    reminders = [
        AppointmentReminder(
            minutes_before=r["minutesBefore"],
            remind_at=start - timedelta(minutes=r["minutesBefore"]),
        )
        if "minutesBefore" in r
        else AppointmentReminder(
            minutes_before=None, remind_at=datetime.fromisoformat(r["remindAt"])
        )
        for r in stored or []
    ]
    return sorted(reminders, key=lambda r: r.remind_at)


async def _worker(info: Info, worker_id: int) -> Worker | None:
    row = await info.context.loaders.worker.load(worker_id)
    return Worker.from_row(row) if row else None


async def _customer(info: Info, customer_id: int) -> Customer | None:
    row = await info.context.loaders.customer.load(customer_id)
    return Customer.from_row(row) if row else None


@strawberry.type(description="A customer's appointment with a worker.")
class Appointment(Node):
    start: datetime = strawberry.field(description="UTC.")
    end: datetime = strawberry.field(description="UTC; after the start, at most 24 hours on.")
    status: AppointmentStatus
    location: str | None
    notes: str | None
    prepaid: bool = strawberry.field(
        description="Completing it must use one of the customer's appointment credits."
    )
    credit_used: bool = strawberry.field(description="Completing it used a credit.")
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    worker_id: Private[int | None]
    customer_id: Private[int]
    stored_reminders: Private[list]

    @classmethod
    def from_row(cls, row) -> "Appointment":
        return cls(
            pk=row["id"],
            start=row["start_at"],
            end=row["end_at"],
            status=AppointmentStatus(row["status"]),
            location=row["location"],
            notes=row["notes"],
            prepaid=row["prepaid"],
            credit_used=row["credit_used"],
            cancel_reason=row["cancel_reason"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            worker_id=row["worker_id"],
            customer_id=row["customer_id"],
            stored_reminders=row["reminders"] or [],
        )

    @strawberry.field(description="Due reminders, earliest first.")
    def reminders(self) -> list[AppointmentReminder]:
        return _reminders(self.stored_reminders, self.start)

    @strawberry.field(description="Null once the worker was deleted.")
    def worker(self, info: Info) -> Worker | None:
        return None if self.worker_id is None else _worker(info, self.worker_id)

    @strawberry.field
    def customer(self, info: Info) -> Customer | None:
        return _customer(info, self.customer_id)


def status_filter(status: list[AppointmentStatus] | None, default: tuple[str, ...]):
    chosen = {s.value for s in status or ()}
    return tuple(s for s in q.STATUSES if s in chosen) or default


async def _list(
    info: Info,
    customer_id: int,
    upcoming: bool,
    first: int | None,
    after: str | None,
    statuses: tuple[str, ...],
) -> Connection[Appointment]:
    loaders = info.context.loaders
    page = PageRequest(first=first, after=after).validated()
    cursor = None
    if after is not None:
        cursor = decode_cursor(after, "after", q.order_key(upcoming), q.A.c.start_at, False)
    key = q.ListKey(customer_id, upcoming, statuses, page.size, cursor)
    result = await loaders.custom("appointments.pages", q.pages).load(key)

    async def count() -> int:
        counts = loaders.custom("appointments.counts", q.counts)
        return await counts.load((customer_id, upcoming, statuses))

    return connection(result, [Appointment.from_row(r) for r in result.rows], count)


STATUS_FILTER = "Only these statuses; null or empty: the default."


@strawberry.type(description="A customer's appointments: upcoming, past, the next one, credits.")
class CustomerAppointments:
    customer_id: Private[int]

    @strawberry.field(
        description="Appointments starting later than now, soonest first; by default the "
        "BOOKED and CONFIRMED ones. At most 100 per page."
    )
    async def upcoming(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[
            list[AppointmentStatus] | None, strawberry.argument(description=STATUS_FILTER)
        ] = None,
    ) -> Connection[Appointment]:
        statuses = status_filter(status, q.ACTIVE)
        return await _list(info, self.customer_id, True, first, after, statuses)

    @strawberry.field(
        description="Appointments that started by now, latest first; by default all "
        "statuses. At most 100 per page."
    )
    async def past(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[
            list[AppointmentStatus] | None, strawberry.argument(description=STATUS_FILTER)
        ] = None,
    ) -> Connection[Appointment]:
        statuses = status_filter(status, q.STATUSES)
        return await _list(info, self.customer_id, False, first, after, statuses)

    @strawberry.field(description="The earliest upcoming BOOKED or CONFIRMED appointment.")
    async def next(self, info: Info) -> Appointment | None:
        key = q.ListKey(self.customer_id, True, q.ACTIVE, 1)
        page = await info.context.loaders.custom("appointments.pages", q.pages).load(key)
        return Appointment.from_row(page.rows[0]) if page.rows else None

    @strawberry.field(description="Upcoming BOOKED or CONFIRMED appointments (the tab badge).")
    async def upcoming_count(self, info: Info) -> int:
        counts = info.context.loaders.custom("appointments.counts", q.counts)
        return await counts.load((self.customer_id, True, q.ACTIVE))

    @strawberry.field(description="Prepaid appointment credits left (never below 0).")
    async def credits(self, info: Info) -> int:
        return await info.context.loaders.custom("appointments.credits", q.balances).load(
            self.customer_id
        )
