"""The `appointments` field on Customer, the `workerAppointments` query and the mutations."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

import strawberry
from sqlalchemy import union
from strawberry import UNSET

from core import access, keyset, multiread
from core.errors import InvalidInput
from core.models import now_param, utcnow
from core.pagination import PageRequest
from plugins.appointments import queries as q
from plugins.appointments import service
from plugins.appointments.types import (
    Appointment,
    AppointmentStatus,
    CustomerAppointments,
    count_loader,
    page_loader,
    status_filter,
)
from schema import kit, overview
from schema.compiled.customers import ModuleField, per_customer
from schema.compiled.module_lists import ModuleList, worker
from schema.compiled.objects import column, gid
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.money import MoneyInput
from schema.payloads import UserError, as_row, input_named, mutate, payload
from schema.relay import Connection, connection

VIEW = "appointments.view"
MAX_RANGE = timedelta(days=366)


@dataclass(frozen=True)
class Overview:
    """What the selection under `appointments` reads: first pages `(Listing, size)`, counts
    (`Listing`s), the credits, the workers of the pages' rows."""

    pages: frozenset = frozenset()
    counts: frozenset = frozenset()
    credits: bool = False
    workers: bool = False


LISTS = {"upcoming": (True, q.ACTIVE), "past": (False, q.STATUSES)}


def _overview(fields) -> Overview | None:
    pages, counts, credits, workers = set(), set(), False, False
    for field in fields:
        if field.name == "next":
            pages.add((q.BADGE, 1))
            workers |= overview.selects(field, "worker")
        elif field.name == "upcomingCount":
            counts.add(q.BADGE)
        elif field.name == "credits":
            credits = True
        elif field.name in LISTS:
            page = overview.first_page(field)
            if page is None:
                continue
            upcoming, default = LISTS[field.name]
            chosen = set(overview.argument(field, "status") or ())
            listing = q.Listing(upcoming, tuple(s for s in q.STATUSES if s in chosen) or default)
            pages.add((listing, page.size))
            if overview.selects(field, "totalCount"):
                counts.add(listing)
            workers |= overview.selects(field, "worker")
    if not (pages or counts or credits):
        return None
    return Overview(frozenset(pages), frozenset(counts), credits, workers)


async def _read(conn, ctx, customer_ids: list[int], want: Overview) -> None:
    """All of `want` for these customers in one statement, into the loaders' caches."""
    principal, loaders = ctx.principal, ctx.loaders
    now = utcnow()
    largest = {}  # a list's smaller first pages (`next`) are cut from its largest
    for listing, size in want.pages:
        largest[listing] = max(size, largest.get(listing, 0))
    parts = {
        ("page", listing): q.pages_query(principal, customer_ids, listing, PageRequest(size), now)
        for listing, size in largest.items()
    }
    for listing in want.counts:
        parts["count", listing] = q.count_query(principal, customer_ids, listing, now)
    if want.credits:
        parts["credits"] = q.balances_query(principal, customer_ids)
    if want.workers and largest:  # those of all the lists' rows: a few more than shown
        ids = union(*(q.worker_ids(principal, customer_ids, listing, now) for listing in largest))
        parts["workers"] = overview.workers_among(principal.tenant_id, ids)
    found = dict(zip(parts, await multiread.read(conn, list(parts.values())), strict=True))
    for listing, size in want.pages:
        pages, page = page_loader(loaders, listing, size, None)
        rows = found["page", listing]
        made = keyset.pages_of(rows, "customer_id", customer_ids, listing.order, page)
        for customer_id, made_page in zip(customer_ids, made, strict=True):
            pages.prime(customer_id, made_page)
    for listing in want.counts:
        counted = overview.by_customer(found["count", listing])
        for customer_id in customer_ids:
            count_loader(loaders, listing).prime(customer_id, counted.get(customer_id, 0))
    if want.credits:
        left = overview.by_customer(found["credits"])
        credits = loaders.custom("appointments.credits", q.balances)
        for customer_id in customer_ids:
            credits.prime(customer_id, int(left.get(customer_id) or 0))
    overview.prime_workers(ctx, found.get("workers", []))


async def appointments(root: Customer, info: Info) -> CustomerAppointments:
    access.require(info.context.principal, VIEW)
    want = overview.plan(info, "appointments", _overview)
    if want is not None:
        await overview.read_once(info, "appointments", root.pk, want, _read)
    return CustomerAppointments(customer_id=root.pk)


# The compiled path's columns (lower case: PostgreSQL folds the unquoted names it reads them
# by) and the look-ahead read's selects they come from (the badge's count: upcoming from now,
# built per request).
COMPILED = {
    "upcomingCount": ("upcoming", q.count_query),
    "credits": ("credits", q.balances_query),
}


APPOINTMENT = {
    "id": gid("Appointment"),
    "start": column("start_at", "ts"),
    "end": column("end_at", "ts"),
    "status": column("status", enum=AppointmentStatus),
    "location": column("location"),
    "notes": column("notes"),
    "prepaid": column("prepaid", "bool"),
    "creditUsed": column("credit_used", "bool"),
    "cancelReason": column("cancel_reason"),
    "createdAt": column("created_at", "ts"),
    "updatedAt": column("updated_at", "ts"),
    "worker": worker("worker_id"),
}


def _listed(listing: q.Listing, kind: str = "connection") -> ModuleList:
    """A list as the resolver reads it (`q.pages`), its time read when the statement runs."""

    def where(principal):
        return [q.A.c.tenant_id == principal.tenant_id, *listing.conditions(now_param())]

    return ModuleList(q.A, where, APPOINTMENT, kind, listing.order, counted=kind == "connection")


LIST_FIELDS = {
    "upcoming": _listed(q.Listing(True, q.ACTIVE)),
    "past": _listed(q.Listing(False, q.STATUSES)),
    "next": _listed(q.BADGE, "first"),
}


def compiled_appointments(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`appointments { upcomingCount credits next upcoming past }` in the compiled path
    (`schema/compiled`): the selects `_read` runs for the counts, per page, and the lists
    without a `status` (`schema.compiled.module_lists`)."""
    if not access.can(principal, VIEW) or not set(names) <= {*COMPILED, *LIST_FIELDS}:
        return None
    wanted = [COMPILED[name] for name in COMPILED if name in names]

    def query(principal, customer_ids):
        counts = {label: made(principal, customer_ids) for label, made in wanted}
        return per_customer(counts)

    fields = {name: (COMPILED[name][0], "int", "0") for name in names if name in COMPILED}
    lists = {name: LIST_FIELDS[name] for name in names if name in LIST_FIELDS}
    return ModuleField(query if wanted else None, fields, lists)


_load_appointment = kit.node_loader(q.A, Appointment)


async def load_appointment(info: Info, pk: int) -> Appointment | None:
    """For `node(id:)`: None without appointments.view, or for another tenant's or an
    invisible customer's appointment."""
    if not access.can(info.context.principal, VIEW):
        return None
    return await _load_appointment(info, pk)


async def worker_appointments(
    info: Info,
    worker_id: strawberry.ID,
    from_: Annotated[datetime, strawberry.argument(name="from")],
    to: datetime,
    first: int | None = None,
    after: str | None = None,
    status: Annotated[
        list[AppointmentStatus] | None,
        strawberry.argument(description="Only these statuses; null or empty: all."),
    ] = None,
) -> Connection[Appointment]:
    ctx = info.context
    principal = ctx.principal
    access.require(principal, VIEW)
    start, end = service.utc(from_), service.utc(to)
    if not timedelta(0) < end - start <= MAX_RANGE:
        raise InvalidInput.one("to", "`to` must be after `from`, at most 366 days.", "INVALID")
    worker = from_global_id(worker_id, "Worker")
    statuses = status_filter(status, q.STATUSES)
    page = PageRequest(first=first, after=after)
    async with ctx.read() as conn:
        result = await q.worker_page(conn, principal, worker, start, end, statuses, page)

    async def count() -> int:
        async with ctx.read() as conn:
            return await q.worker_count(conn, principal, worker, start, end, statuses)

    return connection(result, [Appointment.from_row(r) for r in result.rows], count)


# --- mutations --------------------------------------------------------------------------

AppointmentPayload = payload(Appointment, "appointment")


@strawberry.input(description="Give `minutesBefore` or `remindAt`, one of them.")
class AppointmentReminderInput:
    minutes_before: int | None = strawberry.field(
        default=None, description="1 to 40320 (4 weeks); moves with the start."
    )
    remind_at: datetime | None = strawberry.field(
        default=None, description="Before the start, at most 4 weeks before it."
    )


def _reminders(items: list[AppointmentReminderInput] | None) -> list[service.Reminder] | None:
    if items is None:
        return None
    return [service.Reminder(i.minutes_before, i.remind_at) for i in items]


@strawberry.input
class BookAppointmentInput:
    customer_id: strawberry.ID
    worker_id: strawberry.ID = strawberry.field(
        description="Refused with DOUBLE_BOOKED when the worker has an overlapping BOOKED or "
        "CONFIRMED appointment."
    )
    start: datetime
    end: datetime = strawberry.field(description="After `start`, at most 24 hours on.")
    location: str | None = None
    notes: str | None = None
    reminders: list[AppointmentReminderInput] | None = strawberry.field(
        default=None, description="At most 10."
    )
    prepaid: bool = strawberry.field(
        default=False, description="Completing it must use a credit (NO_CREDITS otherwise)."
    )


@strawberry.input(description="New times, checked for double booking like a booking.")
class RescheduleAppointmentInput:
    id: strawberry.ID
    start: datetime
    end: datetime
    worker_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null: the same worker."
    )
    reminders: list[AppointmentReminderInput] | None = strawberry.field(
        default=None, description="Null: keep them (relative ones move with the start)."
    )


@strawberry.input(description="Only the members sent change; null clears a text or the reminders.")
class UpdateAppointmentInput:
    id: strawberry.ID
    location: str | None = UNSET
    notes: str | None = UNSET
    reminders: list[AppointmentReminderInput] | None = UNSET
    prepaid: bool | None = UNSET


@strawberry.input(description="The appointment to change.")
class AppointmentIdInput:
    id: strawberry.ID


ConfirmAppointmentInput = input_named(AppointmentIdInput, "ConfirmAppointmentInput")
CompleteAppointmentInput = input_named(AppointmentIdInput, "CompleteAppointmentInput")
MarkAppointmentNoShowInput = input_named(AppointmentIdInput, "MarkAppointmentNoShowInput")


@strawberry.input
class CancelAppointmentInput:
    id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="At most 500 characters.")


@strawberry.input
class BuyAppointmentCreditsInput:
    customer_id: strawberry.ID
    quantity: int = strawberry.field(description="1 to 1000 credits.")
    price: MoneyInput | None = strawberry.field(
        default=None, description="What the customer paid, for the record."
    )
    note: str | None = None


@strawberry.type(description="The customer and their new balance, or why nothing was written.")
class BuyAppointmentCreditsPayload:
    customer: Customer | None
    credits: int | None = strawberry.field(description="The balance after the purchase.")
    user_errors: list[UserError]


def _pk(value: strawberry.ID) -> int:
    return from_global_id(value, "Appointment")


async def _written(info: Info, work, target: str = "id") -> AppointmentPayload:
    return await kit.save(info, AppointmentPayload, "appointment", Appointment, work, target)


async def book_appointment(info: Info, input: BookAppointmentInput) -> AppointmentPayload:
    return await _written(
        info,
        lambda s, p: service.book(
            s,
            p,
            from_global_id(input.customer_id, "Customer"),
            from_global_id(input.worker_id, "Worker"),
            input.start,
            input.end,
            input.location,
            input.notes,
            _reminders(input.reminders) or [],
            input.prepaid,
        ),
        "customerId",
    )


async def reschedule_appointment(
    info: Info, input: RescheduleAppointmentInput
) -> AppointmentPayload:
    worker = service.KEEP if input.worker_id is None else from_global_id(input.worker_id, "Worker")
    return await _written(
        info,
        lambda s, p: service.reschedule(
            s, p, _pk(input.id), input.start, input.end, worker, _reminders(input.reminders)
        ),
    )


async def update_appointment(info: Info, input: UpdateAppointmentInput) -> AppointmentPayload:
    changes = {
        key: getattr(input, key)
        for key in ("location", "notes", "reminders", "prepaid")
        if getattr(input, key) is not UNSET
    }
    if "reminders" in changes:
        changes["reminders"] = _reminders(changes["reminders"])
    return await _written(info, lambda s, p: service.update_details(s, p, _pk(input.id), changes))


def _status_mutation(status: str, input_type: type, name: str, text: str):
    async def resolver(info: Info, input: input_type) -> AppointmentPayload:
        reason = getattr(input, "reason", None)
        return await _written(
            info, lambda s, p: service.set_status(s, p, _pk(input.id), status, reason)
        )

    resolver.__name__ = name
    return strawberry.mutation(resolver=resolver, description=text)


async def buy_appointment_credits(
    info: Info, input: BuyAppointmentCreditsInput
) -> BuyAppointmentCreditsPayload:
    result, errors = await mutate(
        info,
        lambda s, p: service.buy_credits(
            s,
            p,
            from_global_id(input.customer_id, "Customer"),
            input.quantity,
            input.price,
            input.note,
        ),
        "customerId",
    )
    customer, credits = result if result else (None, None)
    return BuyAppointmentCreditsPayload(
        customer=Customer.from_row(as_row(customer)) if customer else None,
        credits=credits,
        user_errors=errors,
    )


def customer_fields() -> list:
    return [
        strawberry.field(
            resolver=appointments,
            description="Appointments module: upcoming and past appointments, the next one, "
            "prepaid credits.",
        )
    ]


def query_fields() -> list:
    return [
        strawberry.field(
            resolver=worker_appointments,
            description="A worker's appointments overlapping [from, to) (at most 366 days), "
            "soonest first, of the customers you may see. An unknown worker has none.",
        )
    ]


def mutation_fields() -> list:
    return [
        strawberry.mutation(
            resolver=book_appointment,
            description="Book a worker for a customer (BOOKED). Needs appointments.book.",
        ),
        strawberry.mutation(
            resolver=reschedule_appointment,
            description="Move a BOOKED or CONFIRMED appointment (it becomes BOOKED).",
        ),
        strawberry.mutation(
            resolver=update_appointment,
            description="Change location and notes; reminders and `prepaid` while still ahead.",
        ),
        _status_mutation(
            "CONFIRMED", ConfirmAppointmentInput, "confirm_appointment", "BOOKED → CONFIRMED."
        ),
        _status_mutation(
            "CANCELLED", CancelAppointmentInput, "cancel_appointment", "Cancel, with a reason."
        ),
        _status_mutation(
            "COMPLETED",
            CompleteAppointmentInput,
            "complete_appointment",
            "Once started: COMPLETED, using a credit if the customer has one (a prepaid "
            "appointment must: NO_CREDITS otherwise).",
        ),
        _status_mutation(
            "NO_SHOW",
            MarkAppointmentNoShowInput,
            "mark_appointment_no_show",
            "Once started: the customer did not come.",
        ),
        strawberry.mutation(
            resolver=buy_appointment_credits,
            description="Add prepaid appointment credits to a customer. Needs "
            "appointments.credits.",
        ),
    ]
