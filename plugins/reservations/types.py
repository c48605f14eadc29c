"""GraphQL types of the reservations module. A customer's pages and counts load through
per-request loaders for a whole page of customers at once, and the tenant's resources once
per request, so a list page costs the same statements whatever its length."""

from datetime import date, datetime, time
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import Private

from core.records import utc
from plugins.reservations import queries as q
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.relay import Connection, Node
from schema.team.types import Worker


@strawberry.enum(description="What a resource is; for lists and icons only.")
class ReservationResourceKind(Enum):
    ROOM = "ROOM"
    EQUIPMENT = "EQUIPMENT"
    TABLE = "TABLE"
    OTHER = "OTHER"


@strawberry.enum(
    description="PENDING → CONFIRMED; PENDING or CONFIRMED → CANCELLED; CONFIRMED → "
    "COMPLETED or NO_SHOW once started. The last three are final. New times make a "
    "CONFIRMED reservation PENDING again. PENDING and CONFIRMED hold capacity."
)
class ReservationStatus(Enum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


@strawberry.enum(description="A day of the week.")
class Weekday(Enum):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


@strawberry.type(description="A weekly opening span, by the wall clock of the tenant's zone.")
class OpeningHours:
    weekday: Weekday
    opens: time
    closes: time = strawberry.field(description="00:00 is midnight at the end of the day.")

    @classmethod
    def of(cls, stored: dict) -> "OpeningHours":
        closes = stored["closes"] % (24 * 60)
        return cls(
            weekday=Weekday(stored["weekday"]),
            opens=time(stored["opens"] // 60, stored["opens"] % 60),
            closes=time(closes // 60, closes % 60),
        )


@strawberry.type(description="Something customers reserve: a room, equipment, a table.")
class ReservationResource(Node):
    name: str
    kind: ReservationResourceKind
    capacity: int = strawberry.field(
        description="Party-size units it holds at once: at no instant may the PENDING and "
        "CONFIRMED reservations' party sizes add up to more (a resource booked whole: 1)."
    )
    active: bool = strawberry.field(description="Inactive: takes no new reservations.")
    version: int = strawberry.field(description="Bumped by every change.")
    created_at: datetime
    updated_at: datetime
    stored_hours: Private[list]

    @classmethod
    def from_row(cls, row) -> "ReservationResource":
        return kit.from_row(cls, row, stored_hours=row["opening_hours"] or [])

    @strawberry.field(description="When it may be reserved, in the tenant's time zone.")
    def opening_hours(self) -> list[OpeningHours]:
        return [OpeningHours.of(s) for s in self.stored_hours]


async def all_resources(info: Info) -> list[dict]:
    """The tenant's resources (rows), read once per request."""
    principal = info.context.principal
    return await kit.loader(info, "reservations.resources", q.resources).load(principal.tenant_id)


async def resource_by_id(info: Info, resource_id: int) -> ReservationResource | None:
    row = next((r for r in await all_resources(info) if r["id"] == resource_id), None)
    return ReservationResource.from_row(row) if row else None


@strawberry.type(description="A customer's reservation of a resource for [start, end).")
class Reservation(Node):
    start: datetime = strawberry.field(description="UTC.")
    end: datetime = strawberry.field(description="UTC; after the start, within opening hours.")
    party_size: int = strawberry.field(description="Units of the resource's capacity it takes.")
    note: str | None
    status: ReservationStatus
    cancel_reason: str | None
    version: int = strawberry.field(
        description="Bumped by every change; changes may name it (`expectedVersion`)."
    )
    created_at: datetime
    updated_at: datetime
    resource_id: Private[int]
    customer_id: Private[int]
    created_by_id: Private[int | None]

    @classmethod
    def from_row(cls, row) -> "Reservation":
        return kit.from_row(cls, row, start=row["start_at"], end=row["end_at"])

    @strawberry.field
    async def resource(self, info: Info) -> ReservationResource:
        return await resource_by_id(info, self.resource_id)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)

    @strawberry.field(description="Who made it; null once that worker is removed.")
    async def created_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.created_by_id)


def statuses_of(status) -> tuple[str, ...] | None:
    """The statuses a list keeps, in a fixed order (its loaders' key); None: all."""
    chosen = {s.value for s in status or ()}
    return tuple(s for s in q.STATUSES if s in chosen) or None


@strawberry.type(description="A customer's reservations: what the Reservations tab shows.")
class CustomerReservations:
    customer_id: Private[int]

    @strawberry.field(description="By start, soonest first; at most 100 a page (default 20).")
    async def all(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[
            list[ReservationStatus] | None,
            strawberry.argument(description="Only these statuses; null or empty: all."),
        ] = None,
        from_: Annotated[
            datetime | None,
            strawberry.argument(name="from", description="Starting at or after this time."),
        ] = None,
        to: Annotated[
            datetime | None, strawberry.argument(description="Starting before this time.")
        ] = None,
    ) -> Connection[Reservation]:
        statuses = statuses_of(status)
        start, end = utc(from_), utc(to)
        conditions = q.conditions(statuses, start, end)
        name = f"reservations.all:{statuses}:{start}:{end}"
        return await kit.customer_list(
            info,
            name,
            q.R,
            self.customer_id,
            q.SOONEST,
            first,
            after,
            Reservation.from_row,
            conditions,
        )

    @strawberry.field(
        description="PENDING and CONFIRMED reservations starting from now (the tab's badge)."
    )
    async def upcoming_count(self, info: Info) -> int:
        return await kit.loader(info, "reservations.upcoming", upcoming).load(self.customer_id)


async def upcoming(conn, principal, customer_ids) -> list[int]:
    found = dict((await conn.execute(q.upcoming_counts(principal.tenant_id, customer_ids))).all())
    return [found.get(i, 0) for i in customer_ids]


@strawberry.type(description="One opening span of a calendar day, as UTC instants.")
class OpeningSpan:
    start: datetime
    end: datetime


@strawberry.type(
    description="A reservation on a resource's calendar. `reservation` (customer, note, "
    "status) only for customers you may see; for others it is null and the entry only "
    "says that the resource is taken then, and by how many."
)
class CalendarEntry:
    start: datetime
    end: datetime
    party_size: int
    reservation: Reservation | None


@strawberry.type(description="A day of a resource's calendar, in the tenant's time zone.")
class CalendarDay:
    date: date
    opening_hours: list[OpeningSpan]
    entries: list[CalendarEntry] = strawberry.field(
        description="Its reservations except cancelled ones, by start."
    )


@strawberry.type(description="A resource's days: opening hours and reservations.")
class ResourceCalendar:
    resource: ReservationResource
    time_zone: str = strawberry.field(description="The tenant's zone the days are counted in.")
    days: list[CalendarDay]


load_resource = kit.tenant_node_loader(q.RES, ReservationResource)
_load_reservation = kit.node_loader(q.R, Reservation)
