"""Activity writes: validation (everything wrong is reported at once, nothing is written),
permissions and events, inside the caller's transaction.

Every role may log activities and change or delete its own (`activities.manage`): those it
logged or that are attributed to it. Someone else's takes `activities.manage_others`
(owner, admin, manager by default), so nobody quietly rewrites a colleague's record. An
activity is part of its customer's record: writing takes a customer the worker may change;
one they cannot see hides its activities (NOT_FOUND).

Other modules log entries without importing this one: an event whose data carries an
`activity` object becomes an entry on the event's customer (`log_from_event`, the contract
documented in the package docstring)."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, events, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import Problem
from core.models import Customer, Worker, utcnow
from plugins.activities.models import KINDS, Activity, search_text

log = logging.getLogger(__name__)

MAX_TITLE = 200
MAX_TEXT = 10_000
MAX_DURATION = 7 * 24 * 3600
CLOCK_SKEW = timedelta(minutes=5)
REQUIRED = ("kind", "title", "occurred_at", "worker_id")
# API names of the changed members, as `activity.updated` lists them
NAMES = {
    "occurred_at": "occurredAt",
    "duration_seconds": "durationSeconds",
    "worker_id": "workerId",
}


async def _checked(session, principal: Principal, data: dict) -> dict:
    """The given members, cleaned; `InvalidInput` naming every problem."""
    problems: list[Problem] = []
    values = dict(data)
    for key in REQUIRED:
        if key in data and data[key] is None:
            name = NAMES.get(key, key)
            problems.append(Problem(("input", name), "This field is required.", "REQUIRED"))
    if data.get("title") is not None:
        values["title"] = records.clean_text(
            data["title"], ("input", "title"), MAX_TITLE, problems, required=True
        )
    if "description" in data:
        path = ("input", "description")
        values["description"] = records.clean_text(data["description"], path, MAX_TEXT, problems)
    if data.get("occurred_at") is not None:
        values["occurred_at"] = records.utc(data["occurred_at"])
        if values["occurred_at"] > utcnow() + CLOCK_SKEW:
            message = "An activity is logged once it happened: not in the future."
            problems.append(Problem(("input", "occurredAt"), message, "INVALID"))
    duration = data.get("duration_seconds")
    if duration is not None and not 0 <= duration <= MAX_DURATION:
        message = f"Between 0 and {MAX_DURATION} seconds (7 days)."
        problems.append(Problem(("input", "durationSeconds"), message, "INVALID"))
    if data.get("worker_id") not in (None, principal.worker_id):
        await records.check_worker(
            session, principal.tenant_id, data["worker_id"], "workerId", problems
        )
    records.fail_if(problems)
    return values


async def _emit(session, principal, activity: Activity, name: str, **data) -> None:
    """`kind` and `title` let the timeline say "Call logged: Follow-up about the invoice"."""
    await records.emit(
        session,
        principal,
        name,
        activity.customer_id,
        activityId=activity.id,
        kind=activity.kind,
        title=activity.title,
        **data,
    )


async def log_activity(session: AsyncSession, principal: Principal, data: dict) -> Activity:
    access.require(principal, "activities.manage")
    customer = await get_customer(session, principal, data.pop("customer_id"))
    now = utcnow()
    if data.get("worker_id") is None:
        data["worker_id"] = principal.worker_id
    if data.get("occurred_at") is None:
        data["occurred_at"] = now
    values = await _checked(session, principal, data)
    activity = Activity(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        search_text=search_text(values["title"], values.get("description")),
        created_by_id=principal.worker_id,
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(activity)
    await session.flush()
    await _emit(session, principal, activity, "activity.logged", workerId=activity.worker_id)
    return activity


async def _mine_or_allowed(session, principal: Principal, activity_id: int) -> Activity:
    access.require(principal, "activities.manage")
    activity = await records.for_update(session, principal, Activity, activity_id, "Activity")
    if principal.worker_id not in (activity.created_by_id, activity.worker_id):
        access.require(principal, "activities.manage_others")
    return activity


async def update_activity(
    session: AsyncSession, principal: Principal, activity_id: int, changes: dict
) -> Activity:
    """Only the members of `changes` change; None clears description, duration, outcome."""
    activity = await _mine_or_allowed(session, principal, activity_id)
    values = await _checked(session, principal, changes)
    changed = [key for key, value in values.items() if getattr(activity, key) != value]
    for key in changed:
        setattr(activity, key, values[key])
    if changed:
        activity.search_text = search_text(activity.title, activity.description)
        activity.updated_at = utcnow()
        await session.flush()
        fields = [NAMES.get(key, key) for key in changed]
        await _emit(session, principal, activity, "activity.updated", fields=fields)
    return activity


async def delete_activity(session: AsyncSession, principal: Principal, activity_id: int) -> bool:
    activity = await _mine_or_allowed(session, principal, activity_id)
    await _emit(session, principal, activity, "activity.deleted")
    await session.delete(activity)
    await session.flush()
    return True


async def move_activities(session: AsyncSession, tenant_id: int, source_id: int, target_id: int):
    """Merging customers: the duplicate's activities join the record kept."""
    await records.move_to_customer(session, tenant_id, source_id, target_id, Activity)


async def log_from_event(session: AsyncSession, event: events.Event) -> None:
    """The entry another module's event asks for (`event.data["activity"]`), once per event:
    the row is keyed by the event's id and inserted only if absent, so a replayed delivery
    (the outbox delivers at least once) adds nothing. An event without a customer, or whose
    customer is gone, logs nothing; a malformed object is logged and skipped."""
    wanted = event.data.get("activity") if isinstance(event.data, dict) else None
    if wanted is None or event.customer_id is None or event.id is None:
        return
    fields = wanted if isinstance(wanted, dict) else {}
    kind, subject, body = (fields.get(k) for k in ("kind", "subject", "body"))
    if kind not in KINDS or not isinstance(subject, str) or not subject.strip():
        log.warning("event %s (%s): unusable activity %r", event.id, event.name, wanted)
        return
    tenant_id = event.tenant_id
    customer = await session.scalar(
        select(Customer.id).where(Customer.tenant_id == tenant_id, Customer.id == event.customer_id)
    )
    if customer is None:
        return
    worker = None
    if event.actor_id is not None:
        worker = await session.scalar(
            select(Worker.id).where(Worker.tenant_id == tenant_id, Worker.id == event.actor_id)
        )
    title = subject.strip()[:MAX_TITLE]
    description = (body.strip()[:MAX_TEXT] or None) if isinstance(body, str) else None
    occurred = event.occurred_at if isinstance(event.occurred_at, datetime) else utcnow()
    table = Activity.__table__
    activity_id = await session.scalar(
        records.upsert(session, table)
        .values(
            tenant_id=tenant_id,
            customer_id=customer,
            kind=kind,
            title=title,
            description=description,
            search_text=search_text(title, description),
            occurred_at=occurred,
            worker_id=worker,
            created_by_id=worker,
            source_event_id=event.id,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "source_event_id"])
        .returning(table.c.id)
    )
    if activity_id is None:  # logged by an earlier delivery of this event
        return
    data = {"activityId": activity_id, "kind": kind, "title": title, "workerId": worker}
    await events.emit(
        session, events.Event("activity.logged", tenant_id, customer, data, event.actor_id)
    )
