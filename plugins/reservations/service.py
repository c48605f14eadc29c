"""Resource and reservation writes, inside the caller's transaction: validate (everything
wrong at once, nothing written), check permissions, lock, check, write, emit.

No double booking beyond capacity, also when many clients book the last place at once:
every write that takes capacity (a new reservation, new times or a larger party) locks the
resource's row first (`FOR UPDATE` on PostgreSQL; on SQLite the write already holds the
database's single writer turn, `BEGIN IMMEDIATE`), and only then sums the overlapping
PENDING/CONFIRMED reservations. The second of two such writes waits for the first's commit
and sees its reservation. Locks are taken customer first (`get_customer`,
`records.for_update`), then the resource: the one order every write here uses, so no two
wait for each other in a circle (as appointments does with its worker rows).

Status: PENDING → CONFIRMED; PENDING/CONFIRMED → CANCELLED; CONFIRMED → COMPLETED or
NO_SHOW, once it has started. The last three are final. New times make a CONFIRMED
reservation PENDING again: the confirmation was for the old time."""

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, NotFound, Problem
from core.models import utcnow
from core.records import Transitions
from core.tenants import tenant_zone
from plugins.reservations.models import Reservation, ReservationKey, ReservationResource
from plugins.reservations.queries import ACTIVE

EDIT, MANAGE = "reservations.edit", "reservations.manage"
KINDS = ("ROOM", "EQUIPMENT", "TABLE", "OTHER")
MAX_CAPACITY = 10_000
MAX_SPANS = 28
HORIZON = timedelta(days=5 * 366)
LIMITS = {"name": 100, "note": 2_000, "reason": 500, "idempotencyKey": 200}
TRANSITIONS = Transitions(
    "A reservation",
    {
        "PENDING": frozenset({"CONFIRMED", "CANCELLED"}),
        "CONFIRMED": frozenset({"CANCELLED", "COMPLETED", "NO_SHOW"}),
        "CANCELLED": frozenset(),
        "COMPLETED": frozenset(),
        "NO_SHOW": frozenset(),
    },
)
EVENTS = {
    "CONFIRMED": "reservation.confirmed",
    "CANCELLED": "reservation.cancelled",
    "COMPLETED": "reservation.completed",
    "NO_SHOW": "reservation.no_show",
}


def _text(value, name: str, problems: list[Problem], required: bool = False) -> str | None:
    return records.clean_text(value, ("input", name), LIMITS[name], problems, required)


# --- opening hours --------------------------------------------------------------------------


def clean_hours(spans, problems: list[Problem]) -> list[dict]:
    """Weekly spans `(weekday 0-6, opens, closes)` (times; a `closes` of 00:00 is midnight at
    the end of the day) as stored: minutes, sorted, none overlapping another of its day."""
    path = ("input", "openingHours")
    if len(spans) > MAX_SPANS:
        problems.append(Problem(path, f"At most {MAX_SPANS} spans a week.", "TOO_MANY"))
        return []
    stored = []
    for index, (weekday, opens, closes) in enumerate(spans):
        start = opens.hour * 60 + opens.minute
        end = closes.hour * 60 + closes.minute or 24 * 60
        if not 0 <= weekday <= 6 or start >= end:
            message = "A span opens before it closes, within one day (closes 00:00: midnight)."
            problems.append(Problem((*path, str(index)), message, "INVALID"))
            continue
        stored.append({"weekday": weekday, "opens": start, "closes": end})
    stored.sort(key=lambda s: (s["weekday"], s["opens"]))
    for before, after in itertools.pairwise(stored):
        if before["weekday"] == after["weekday"] and after["opens"] < before["closes"]:
            problems.append(Problem(path, "Two spans of one day overlap.", "INVALID"))
            break
    return stored


def local_instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of `minutes` after local midnight of `day`, by the wall clock."""
    day, minutes = (day + timedelta(days=1), 0) if minutes == 24 * 60 else (day, minutes)
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(UTC)


def spans_on(hours: list[dict], day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The resource's opening spans on a local day, as UTC instants."""
    return [
        (local_instant(day, s["opens"], zone), local_instant(day, s["closes"], zone))
        for s in hours
        if s["weekday"] == day.weekday()
    ]


def _inside_hours(hours: list[dict], start: datetime, end: datetime, zone: ZoneInfo) -> bool:
    day = start.astimezone(zone).date()
    return any(opens <= start and end <= closes for opens, closes in spans_on(hours, day, zone))


# --- resources ------------------------------------------------------------------------------


def _resource_values(data: dict, problems: list[Problem]) -> dict:
    values = {}
    if "name" in data:
        values["name"] = _text(data["name"], "name", problems, required=True)
    if "kind" in data:
        values["kind"] = data["kind"]
    if "capacity" in data:
        if data["capacity"] is None or not 1 <= data["capacity"] <= MAX_CAPACITY:
            message = f"From 1 to {MAX_CAPACITY} (party-size units at once)."
            problems.append(Problem(("input", "capacity"), message, "INVALID"))
        values["capacity"] = data["capacity"]
    if "opening_hours" in data:
        values["opening_hours"] = clean_hours(data["opening_hours"] or [], problems)
    if "active" in data:
        if data["active"] is None:
            problems.append(Problem(("input", "active"), "Give true or false.", "REQUIRED"))
        values["active"] = data["active"]
    return values


async def create_resource(session: AsyncSession, principal: Principal, data: dict):
    access.require(principal, MANAGE)
    problems: list[Problem] = []
    values = _resource_values(data, problems)
    records.fail_if(problems)
    now = utcnow()
    resource = ReservationResource(
        tenant_id=principal.tenant_id, active=True, version=1, created_at=now, updated_at=now
    )
    for key, value in values.items():
        setattr(resource, key, value)
    session.add(resource)
    await session.flush()
    return resource


async def _resource(session, tenant_id: int, resource_id: int, field: str | None = None):
    """The resource, its row locked until the transaction ends. Unknown (or another
    tenant's): NOT_FOUND, a user error at `input.<field>` when given."""
    resource = await session.scalar(
        select(ReservationResource)
        .where(ReservationResource.tenant_id == tenant_id, ReservationResource.id == resource_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if resource is None:
        if field is None:
            raise NotFound("Resource")
        raise InvalidInput.one(("input", field), "Resource not found.", "NOT_FOUND")
    return resource


def _check_version(row, expected: int | None, what: str) -> None:
    if expected is not None and row.version != expected:
        message = (
            f"The {what} changed since version {expected} (it is at {row.version}): "
            "read it again and decide on what it is now."
        )
        raise InvalidInput.one(("input", "expectedVersion"), message, "VERSION_CONFLICT")


async def update_resource(session, principal: Principal, resource_id: int, changes: dict):
    """Only the members of `changes`. Reservations made before stay as they are, also when
    the hours or the capacity shrink under them (nobody is moved or cancelled silently)."""
    access.require(principal, MANAGE)
    resource = await _resource(session, principal.tenant_id, resource_id)
    _check_version(resource, changes.pop("expected_version", None), "resource")
    problems: list[Problem] = []
    values = _resource_values(changes, problems)
    records.fail_if(problems)
    changed = [key for key, value in values.items() if getattr(resource, key) != value]
    for key in changed:
        setattr(resource, key, values[key])
    if changed:
        resource.version += 1
        resource.updated_at = utcnow()
        await session.flush()
    return resource


async def deactivate_resource(session, principal: Principal, resource_id: int):
    """No new reservations or new times on it; its reservations stay."""
    return await update_resource(session, principal, resource_id, {"active": False})


# --- reservations ---------------------------------------------------------------------------


def _times(start: datetime, end: datetime, problems: list[Problem]):
    start, end = records.utc(start), records.utc(end)
    if abs(start - utcnow()) > HORIZON:
        problems.append(Problem(("input", "start"), "Pick a start within 5 years.", "INVALID"))
    elif end <= start:
        problems.append(Problem(("input", "end"), "The end must be after the start.", "INVALID"))
    return start, end


def _party(value: int, problems: list[Problem]) -> int:
    if not 1 <= value <= MAX_CAPACITY:
        message = f"From 1 to {MAX_CAPACITY}."
        problems.append(Problem(("input", "partySize"), message, "INVALID"))
    return value


def peak(rows, start: datetime, end: datetime) -> int:
    """The most party-size units that `rows` (start, end, party size) hold at one instant of
    [start, end): the load only rises where one of them starts."""
    instants = {start} | {s for s, _, _ in rows if start < s < end}
    return max(sum(p for s, e, p in rows if s <= t < e) for t in instants)


async def _check_room(session, principal: Principal, resource, start, end, party, own_id=None):
    """With the resource locked: active, open for all of [start, end) (tenant's time zone),
    and room for `party` beside the PENDING/CONFIRMED reservations overlapping it."""
    if not resource.active:
        message = f"{resource.name} is not taking reservations (inactive)."
        raise InvalidInput.one(("input", "resourceId"), message, "RESOURCE_INACTIVE")
    zone = await tenant_zone(session, principal.tenant_id)
    if not _inside_hours(resource.opening_hours, start, end, zone):
        message = f"{resource.name} is not open for all of that time ({zone.key} opening hours)."
        raise InvalidInput.one(("input", "start"), message, "OUTSIDE_OPENING_HOURS")
    query = select(Reservation.start_at, Reservation.end_at, Reservation.party_size).where(
        Reservation.tenant_id == principal.tenant_id,
        Reservation.resource_id == resource.id,
        Reservation.status.in_(ACTIVE),
        Reservation.start_at < end,
        Reservation.end_at > start,
    )
    if own_id is not None:
        query = query.where(Reservation.id != own_id)
    taken = peak((await session.execute(query)).all(), start, end)
    if taken + party > resource.capacity:
        free = max(resource.capacity - taken, 0)
        message = (
            f"{resource.name} has room for {free} of {resource.capacity} at that time; "
            f"the party is {party}."
        )
        raise InvalidInput.one(("input", "partySize"), message, "OVER_CAPACITY")


async def _emit(session, principal: Principal, name: str, reservation, resource, **extra):
    """`title` is the resource's name, so the timeline reads "Reservation created: Room 1"."""
    await records.emit(
        session,
        principal,
        name,
        reservation.customer_id,
        reservationId=reservation.id,
        resourceId=resource.id,
        title=resource.name,
        start=reservation.start_at.isoformat(),
        end=reservation.end_at.isoformat(),
        partySize=reservation.party_size,
        status=reservation.status,
        **extra,
    )


async def create_reservation(session: AsyncSession, principal: Principal, data: dict):
    """PENDING. With an idempotency key, a retry with the same input answers the first
    reservation (no second event), other input IDEMPOTENCY_KEY_REUSED."""
    access.require(principal, EDIT)
    problems: list[Problem] = []
    start, end = _times(data["start"], data["end"], problems)
    party = _party(data["party_size"], problems)
    note = _text(data.get("note"), "note", problems)
    key = _text(data.get("idempotency_key"), "idempotencyKey", problems)
    records.fail_if(problems)
    customer = await get_customer(session, principal, data["customer_id"])
    if key is not None:
        facts = {"customer": customer.id, "resource": data["resource_id"], "start": start}
        facts |= {"end": end, "party": party, "note": note}
        first = await records.claim_key(
            session,
            ReservationKey,
            principal.tenant_id,
            key,
            records.fingerprint(facts),
            ReservationKey.reservation_id,
            "reservation",
        )
        if first is not None:
            return await session.get(Reservation, first)
    resource = await _resource(session, principal.tenant_id, data["resource_id"], "resourceId")
    await _check_room(session, principal, resource, start, end, party)
    now = utcnow()
    reservation = Reservation(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        resource_id=resource.id,
        start_at=start,
        end_at=end,
        party_size=party,
        note=note,
        status="PENDING",
        version=1,
        created_by_id=principal.worker_id,
        created_at=now,
        updated_at=now,
    )
    session.add(reservation)
    await session.flush()
    if key is not None:
        await session.execute(
            update(ReservationKey)
            .where(ReservationKey.tenant_id == principal.tenant_id, ReservationKey.key == key)
            .values(reservation_id=reservation.id)
        )
    await _emit(session, principal, "reservation.created", reservation, resource)
    return reservation


async def _locked(session, principal: Principal, reservation_id: int, expected: int | None):
    access.require(principal, EDIT)
    reservation = await records.for_update(
        session, principal, Reservation, reservation_id, "Reservation"
    )
    _check_version(reservation, expected, "reservation")
    return reservation


async def update_reservation(session, principal: Principal, reservation_id: int, changes: dict):
    """New times, party size or note. Times and party size only while PENDING/CONFIRMED,
    checked like a new reservation (the reservation itself aside)."""
    reservation = await _locked(
        session, principal, reservation_id, changes.pop("expected_version", None)
    )
    problems: list[Problem] = []
    start = changes.get("start", reservation.start_at)
    end = changes.get("end", reservation.end_at)
    if "start" in changes or "end" in changes:
        start, end = _times(start, end, problems)
    party = _party(changes.get("party_size", reservation.party_size), problems)
    note = _text(changes["note"], "note", problems) if "note" in changes else reservation.note
    records.fail_if(problems)
    moved = (start, end) != (reservation.start_at, reservation.end_at)
    takes = moved or party > reservation.party_size
    if (moved or party != reservation.party_size) and reservation.status not in ACTIVE:
        message = f"A {reservation.status.lower()} reservation keeps its time and party."
        raise InvalidInput.one(("input", "id"), message, "INVALID_TRANSITION")
    resource = await _resource(session, principal.tenant_id, reservation.resource_id)
    if takes:
        await _check_room(session, principal, resource, start, end, party, reservation.id)
    fields = [
        name
        for name, old, new in (
            ("start", reservation.start_at, start),
            ("end", reservation.end_at, end),
            ("partySize", reservation.party_size, party),
            ("note", reservation.note, note),
        )
        if old != new
    ]
    if not fields:
        return reservation
    reservation.start_at, reservation.end_at = start, end
    reservation.party_size, reservation.note = party, note
    if moved and reservation.status == "CONFIRMED":
        reservation.status = "PENDING"
    reservation.version += 1
    reservation.updated_at = utcnow()
    await session.flush()
    await _emit(session, principal, "reservation.updated", reservation, resource, fields=fields)
    return reservation


async def set_status(
    session,
    principal: Principal,
    reservation_id: int,
    status: str,
    expected: int | None = None,
    reason: str | None = None,
):
    """A status move; the status it is in already is a no-op (a retried request)."""
    problems: list[Problem] = []
    reason = _text(reason, "reason", problems)
    records.fail_if(problems)
    reservation = await _locked(session, principal, reservation_id, expected)
    if not TRANSITIONS.check(reservation.status, status, ("input", "id")):
        return reservation
    if status in ("COMPLETED", "NO_SHOW") and reservation.start_at > utcnow():
        message = f"The reservation starts {reservation.start_at:%Y-%m-%d %H:%M} UTC: not yet."
        raise InvalidInput.one(("input", "id"), message, "INVALID_TRANSITION")
    reservation.status = status
    if status == "CANCELLED":
        reservation.cancel_reason = reason
    reservation.version += 1
    reservation.updated_at = utcnow()
    await session.flush()
    resource = await session.get(ReservationResource, reservation.resource_id)
    extra = {"reason": reason} if status == "CANCELLED" else {}
    await _emit(session, principal, EVENTS[status], reservation, resource, **extra)
    return reservation


# --- a customer's life ----------------------------------------------------------------------


async def move_to(session: AsyncSession, tenant_id: int, source_id: int, target_id: int):
    """A merge: the duplicate's reservations join the record kept."""
    await records.move_to_customer(session, tenant_id, source_id, target_id, Reservation)


async def erase(session: AsyncSession, tenant_id: int, customer_id: int):
    """Erasing a customer: their reservations and the keys that made them (the cascade
    would too; said here so the erasure does not rest on the database's foreign keys)."""
    mine = select(Reservation.id).where(
        Reservation.tenant_id == tenant_id, Reservation.customer_id == customer_id
    )
    await session.execute(
        delete(ReservationKey).where(
            ReservationKey.tenant_id == tenant_id, ReservationKey.reservation_id.in_(mine)
        )
    )
    await session.execute(
        delete(Reservation).where(
            Reservation.tenant_id == tenant_id, Reservation.customer_id == customer_id
        )
    )
