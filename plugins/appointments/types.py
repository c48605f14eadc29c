"""GraphQL types of the appointments module. Every list and related row loads through the
request's loaders, one statement per kind for a whole page of customers."""

from datetime import datetime, timedelta
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import Private

from plugins.appointments import queries as q
from schema import kit
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
        return kit.from_row(
            cls,
            row,
            start=row["start_at"],
            end=row["end_at"],
            stored_reminders=row["reminders"] or [],
        )

    @strawberry.field(description="Due reminders, earliest first.")
    def reminders(self) -> list[AppointmentReminder]:
        return _reminders(self.stored_reminders, self.start)

    @strawberry.field(description="Null once the worker was deleted.")
    async def worker(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.worker_id)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)


def status_filter(status: list[AppointmentStatus] | None, default: tuple[str, ...]):
    chosen = {s.value for s in status or ()}
    return tuple(s for s in q.STATUSES if s in chosen) or default


def page_loader(loaders, listing: q.Listing, first: int | None, after: str | None):
    """The loader of one kind of page (list, size, cursor), and that page."""
    page = listing.order.request(first, after)

    async def batch(conn, principal, customer_ids):
        return await q.pages(conn, principal, customer_ids, listing, page)

    return loaders.custom(f"appointments.page:{listing}:{page.size}:{after}", batch), page


def count_loader(loaders, listing: q.Listing):
    async def batch(conn, principal, customer_ids):
        return await q.counts(conn, principal, customer_ids, listing)

    return loaders.custom(f"appointments.count:{listing}", batch)


async def _list(
    info: Info, customer_id: int, listing: q.Listing, first: int | None, after: str | None
) -> Connection[Appointment]:
    loaders = info.context.loaders
    pages, _ = page_loader(loaders, listing, first, after)
    result = await pages.load(customer_id)

    def count():
        return count_loader(loaders, listing).load(customer_id)

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
        listing = q.Listing(True, status_filter(status, q.ACTIVE))
        return await _list(info, self.customer_id, listing, first, after)

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
        listing = q.Listing(False, status_filter(status, q.STATUSES))
        return await _list(info, self.customer_id, listing, first, after)

    @strawberry.field(description="The earliest upcoming BOOKED or CONFIRMED appointment.")
    async def next(self, info: Info) -> Appointment | None:
        pages, _ = page_loader(info.context.loaders, q.BADGE, 1, None)
        page = await pages.load(self.customer_id)
        return Appointment.from_row(page.rows[0]) if page.rows else None

    @strawberry.field(description="Upcoming BOOKED or CONFIRMED appointments (the tab badge).")
    async def upcoming_count(self, info: Info) -> int:
        return await count_loader(info.context.loaders, q.BADGE).load(self.customer_id)

    @strawberry.field(description="Prepaid appointment credits left (never below 0).")
    async def credits(self, info: Info) -> int:
        return await info.context.loaders.custom("appointments.credits", q.balances).load(
            self.customer_id
        )
