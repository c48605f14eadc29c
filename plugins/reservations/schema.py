"""The `reservations` field on Customer, the tenant's resources and a resource's calendar,
and the resource and reservation mutations.

The calendar shows every reservation that takes the resource, whoever the customer: a
worker booking the last table must see that it is taken. A reservation of a customer the
viewer may not see is a busy block (start, end, party size) without the reservation
itself (customer, note, status, id): who reserved and why stays as hidden as the customer
is elsewhere (`node(id:)`, lists, `OVER_CAPACITY` messages name nobody either)."""

from datetime import date, datetime, time, timedelta
from typing import Annotated

import strawberry
from strawberry import UNSET

from core import access
from core.errors import InvalidInput, NotFound
from core.tenants import tenant_zone
from plugins.reservations import queries as q
from plugins.reservations import service
from plugins.reservations.types import (
    CalendarDay,
    CalendarEntry,
    CustomerReservations,
    OpeningSpan,
    Reservation,
    ReservationResource,
    ReservationResourceKind,
    ResourceCalendar,
    Weekday,
    _load_reservation,
    all_resources,
    resource_by_id,
)
from schema import kit
from schema.compiled.customers import ModuleField, per_customer
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.payloads import input_named, payload

VIEW = "reservations.view"
MAX_DAYS = 7


async def customer_reservations(root: Customer, info: Info) -> CustomerReservations:
    access.require(info.context.principal, VIEW)
    return CustomerReservations(customer_id=root.pk)


# The compiled path's column (lower case: PostgreSQL folds the unquoted names it reads).
COMPILED = {"upcomingCount": ("upcoming_count", "int", "0")}


def compiled_reservations(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`reservations { upcomingCount }` in the compiled path (`schema/compiled`): the badge's
    count, its time a parameter read at each run. `all` takes the usual path."""
    if not access.can(principal, VIEW) or not set(names) <= COMPILED.keys():
        return None

    def query(principal, customer_ids):
        return per_customer(
            {"upcoming_count": q.upcoming_counts(principal.tenant_id, customer_ids)}
        )

    return ModuleField(query, COMPILED)


async def load_reservation(info: Info, pk: int) -> Reservation | None:
    """`node(id:)`: None without reservations.view, or for another tenant's or an invisible
    customer's reservation."""
    if not access.can(info.context.principal, VIEW):
        return None
    return await _load_reservation(info, pk)


async def load_resource(info: Info, pk: int) -> ReservationResource | None:
    if not access.can(info.context.principal, VIEW):
        return None
    return await resource_by_id(info, pk)


async def reservation_resources(
    info: Info, include_inactive: bool = False
) -> list[ReservationResource]:
    access.require(info.context.principal, VIEW)
    rows = await all_resources(info)
    return [ReservationResource.from_row(r) for r in rows if include_inactive or r["active"]]


def _entry(row: dict) -> CalendarEntry:
    shown = Reservation.from_row(row) if row["visible"] else None
    return CalendarEntry(
        start=row["start_at"], end=row["end_at"], party_size=row["party_size"], reservation=shown
    )


async def resource_calendar(
    info: Info,
    resource_id: strawberry.ID,
    from_: Annotated[date, strawberry.argument(name="from", description="The first day.")],
    days: Annotated[int, strawberry.argument(description="1 to 7 days.")] = 1,
) -> ResourceCalendar:
    ctx = info.context
    principal = ctx.principal
    access.require(principal, VIEW)
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput.one(("days",), f"From 1 to {MAX_DAYS} days.", "INVALID")
    resource = await resource_by_id(info, from_global_id(resource_id, "ReservationResource"))
    if resource is None:
        raise NotFound("Resource")
    dates = [from_ + timedelta(days=i) for i in range(days + 1)]
    async with ctx.read() as conn:
        zone = await tenant_zone(conn, principal.tenant_id)
        bounds = [service.local_instant(d, 0, zone) for d in dates]
        rows = await q.calendar(conn, principal, resource.pk, bounds[0], bounds[-1])
    calendar = []
    for day, start, end in zip(dates, bounds, bounds[1:], strict=False):
        spans = service.spans_on(resource.stored_hours, day, zone)
        entries = [_entry(r) for r in rows if r["start_at"] < end and r["end_at"] > start]
        calendar.append(
            CalendarDay(
                date=day,
                opening_hours=[OpeningSpan(start=s, end=e) for s, e in spans],
                entries=entries,
            )
        )
    return ResourceCalendar(resource=resource, time_zone=zone.key, days=calendar)


# --- resource mutations ------------------------------------------------------------------------

ResourcePayload = payload(ReservationResource, "resource")


@strawberry.input(description="A weekly span, by the wall clock of the tenant's time zone.")
class OpeningHoursInput:
    weekday: Weekday
    opens: time
    closes: time = strawberry.field(description="After `opens`; 00:00 is midnight, day's end.")


HOURS = (
    "When it may be reserved: a reservation lies inside one span. Spans of one day may not "
    "overlap; none: never open. At most 28."
)


@strawberry.input(description="A new resource (needs `reservations.manage`).")
class CreateReservationResourceInput:
    name: str = strawberry.field(description="Required, at most 100 characters.")
    capacity: int = strawberry.field(description="1 to 10,000 party-size units at once.")
    opening_hours: list[OpeningHoursInput] = strawberry.field(description=HOURS)
    kind: ReservationResourceKind = ReservationResourceKind.ROOM


@strawberry.input(
    description="Only the members sent change. Reservations made before stay, also when "
    "the hours or capacity shrink under them."
)
class UpdateReservationResourceInput:
    id: strawberry.ID
    expected_version: int | None = strawberry.field(
        default=None, description="If given, refused (VERSION_CONFLICT) unless the resource's."
    )
    name: str | None = UNSET
    kind: ReservationResourceKind | None = UNSET
    capacity: int | None = UNSET
    opening_hours: list[OpeningHoursInput] | None = strawberry.field(
        default=UNSET, description=HOURS
    )
    active: bool | None = strawberry.field(default=UNSET, description="true reactivates it.")


@strawberry.input(description="No new reservations on it; its reservations stay.")
class DeactivateReservationResourceInput:
    id: strawberry.ID


def _resource_id(value) -> int:
    return from_global_id(value, "ReservationResource")


def _hours(spans: list[OpeningHoursInput] | None) -> list[tuple] | None:
    return None if spans is None else [(s.weekday.value, s.opens, s.closes) for s in spans]


async def create_reservation_resource(
    info: Info, input: CreateReservationResourceInput
) -> ResourcePayload:
    data = {
        "name": input.name,
        "kind": input.kind.value,
        "capacity": input.capacity,
        "opening_hours": _hours(input.opening_hours),
    }
    work = lambda s, p: service.create_resource(s, p, data)  # noqa: E731
    return await kit.save(info, ResourcePayload, "resource", ReservationResource, work)


async def update_reservation_resource(
    info: Info, input: UpdateReservationResourceInput
) -> ResourcePayload:
    resource_id, changes = _resource_id(input.id), {"expected_version": input.expected_version}
    for key in ("name", "capacity", "active"):
        if getattr(input, key) is not UNSET:
            changes[key] = getattr(input, key)
    if input.kind is not UNSET:
        changes["kind"] = input.kind.value if input.kind else None
    if input.opening_hours is not UNSET:
        changes["opening_hours"] = _hours(input.opening_hours)
    work = lambda s, p: service.update_resource(s, p, resource_id, changes)  # noqa: E731
    return await kit.save(info, ResourcePayload, "resource", ReservationResource, work)


async def deactivate_reservation_resource(
    info: Info, input: DeactivateReservationResourceInput
) -> ResourcePayload:
    resource_id = _resource_id(input.id)
    work = lambda s, p: service.deactivate_resource(s, p, resource_id)  # noqa: E731
    return await kit.save(info, ResourcePayload, "resource", ReservationResource, work)


# --- reservation mutations ---------------------------------------------------------------------

ReservationPayload = payload(Reservation, "reservation")


@strawberry.input(
    description="A new PENDING reservation (needs `reservations.edit`). Retried with the same "
    "idempotency key and input, it answers the first reservation instead of making another."
)
class CreateReservationInput:
    customer_id: strawberry.ID
    resource_id: strawberry.ID
    start: datetime = strawberry.field(description="UTC unless an offset is given.")
    end: datetime = strawberry.field(description="After the start, in the same opening span.")
    party_size: int = strawberry.field(default=1, description="Units of capacity it takes.")
    note: str | None = strawberry.field(default=None, description="At most 2,000 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description="At most 200.")


@strawberry.input(
    description="Only the members sent change; times and party size only while PENDING or "
    "CONFIRMED, checked like a new reservation. New times make it PENDING again."
)
class UpdateReservationInput:
    id: strawberry.ID
    expected_version: int | None = strawberry.field(
        default=None, description="If given, refused (VERSION_CONFLICT) unless its version."
    )
    start: datetime | None = UNSET
    end: datetime | None = UNSET
    party_size: int | None = UNSET
    note: str | None = UNSET


@strawberry.input(description="A status move; `expectedVersion` as for updateReservation.")
class ReservationStatusInput:
    id: strawberry.ID
    expected_version: int | None = None


ConfirmReservationInput = input_named(ReservationStatusInput, "ConfirmReservationInput")
CompleteReservationInput = input_named(ReservationStatusInput, "CompleteReservationInput")
MarkReservationNoShowInput = input_named(ReservationStatusInput, "MarkReservationNoShowInput")


@strawberry.input(description="Frees its capacity at once.")
class CancelReservationInput:
    id: strawberry.ID
    expected_version: int | None = None
    reason: str | None = strawberry.field(default=None, description="At most 500 characters.")


def _reservation_id(value) -> int:
    return from_global_id(value, "Reservation")


async def create_reservation(info: Info, input: CreateReservationInput) -> ReservationPayload:
    data = {
        "customer_id": from_global_id(input.customer_id, "Customer"),
        "resource_id": _resource_id(input.resource_id),
        "start": input.start,
        "end": input.end,
        "party_size": input.party_size,
        "note": input.note,
        "idempotency_key": input.idempotency_key,
    }
    work = lambda s, p: service.create_reservation(s, p, data)  # noqa: E731
    return await kit.save(info, ReservationPayload, "reservation", Reservation, work, "customerId")


async def update_reservation(info: Info, input: UpdateReservationInput) -> ReservationPayload:
    reservation_id, changes = (
        _reservation_id(input.id),
        {"expected_version": input.expected_version},
    )
    for key in ("start", "end", "party_size", "note"):
        value = getattr(input, key)
        if value is not UNSET and (value is not None or key == "note"):
            changes[key] = value
    work = lambda s, p: service.update_reservation(s, p, reservation_id, changes)  # noqa: E731
    return await kit.save(info, ReservationPayload, "reservation", Reservation, work)


def _status_mutation(status: str, input_type: type, name: str, text: str):
    async def resolver(info: Info, input: input_type) -> ReservationPayload:
        reservation_id, reason = _reservation_id(input.id), getattr(input, "reason", None)

        def work(session, principal):
            return service.set_status(
                session, principal, reservation_id, status, input.expected_version, reason
            )

        return await kit.save(info, ReservationPayload, "reservation", Reservation, work)

    resolver.__name__ = name
    return strawberry.mutation(resolver=resolver, description=text)


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_reservations,
        name="reservations",
        description="Reservations module: the customer's reservations of rooms, equipment, "
        "tables; the badge counts the upcoming ones.",
    )
]
QUERY_FIELDS = [
    strawberry.field(
        resolver=reservation_resources,
        description="The business's bookable resources by name (active ones unless asked).",
    ),
    strawberry.field(
        resolver=resource_calendar,
        description="A resource's days from `from` (1 to 7, in the tenant's time zone): opening "
        "hours and reservations. Reservations of customers you may not see are busy blocks.",
    ),
]
MUTATION_FIELDS = [
    strawberry.mutation(
        resolver=create_reservation_resource, description="Add a bookable resource."
    ),
    strawberry.mutation(
        resolver=update_reservation_resource,
        description="Change a resource's name, kind, capacity, hours or active flag.",
    ),
    strawberry.mutation(
        resolver=deactivate_reservation_resource,
        description="Stop a resource taking reservations (its reservations stay).",
    ),
    strawberry.mutation(
        resolver=create_reservation,
        description="Reserve a resource for a customer; refused beyond capacity "
        "(OVER_CAPACITY), outside opening hours or on an inactive resource.",
    ),
    strawberry.mutation(
        resolver=update_reservation, description="Change a reservation's times, party or note."
    ),
    _status_mutation(
        "CONFIRMED", ConfirmReservationInput, "confirm_reservation", "Confirm a PENDING one."
    ),
    _status_mutation(
        "CANCELLED", CancelReservationInput, "cancel_reservation", "Cancel; frees its capacity."
    ),
    _status_mutation(
        "COMPLETED", CompleteReservationInput, "complete_reservation", "A CONFIRMED one took place."
    ),
    _status_mutation(
        "NO_SHOW",
        MarkReservationNoShowInput,
        "mark_reservation_no_show",
        "The customer of a CONFIRMED one did not come.",
    ),
]
