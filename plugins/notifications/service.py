"""Notifications made from events, and a worker's own writes (read marks, muted kinds).

Made in `hub_handle_event`, after the event committed, in a transaction of its own. Each
source names its recipients; a recipient gets the notification only if they are a worker of
the tenant, did not mute its kind and, for one about a customer, may see that customer (the
recipient's access, read now, never the actor's). The row is inserted with ON CONFLICT DO
NOTHING on (tenant, event, worker), so a redelivered event notifies once. Who got a new
notification hears of it through `notification.created`, whose data names them in
`forWorkers`: a per-worker signal (`schema/live.py`), so the top bar's count follows live
without touching anyone else's subscriptions."""

import logging

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, events, records
from core.auth import Principal
from core.errors import Problem
from core.models import Customer, Worker, utcnow
from plugins.notifications import queries as q

log = logging.getLogger("customer_hub.notifications")

KINDS = ("MENTION", "ASSIGNED_CUSTOMER", "ASSIGNED_MISSION", "RULE", "SYSTEM")
MAX_TITLE = 200
MAX_BODY = 2_000
MAX_RECIPIENTS = 200


def _ids(values, actor_id: int | None = None) -> list[int]:
    """The worker ids of a list (ints, or refs `{"id": ...}`), without the actor."""
    found = []
    for value in values if isinstance(values, list) else []:
        pk = value.get("id") if isinstance(value, dict) else value
        if isinstance(pk, int) and not isinstance(pk, bool) and pk != actor_id:
            found.append(pk)
    return list(dict.fromkeys(found))[:MAX_RECIPIENTS]


def _from_contract(event: events.Event) -> tuple | None:
    """`data.notify`: `{workerIds, kind, title, body}` (docs/plugins.md)."""
    wanted = event.data.get("notify")
    if not isinstance(wanted, dict):
        return None
    title = wanted.get("title")
    if not isinstance(title, str) or not title.strip():
        log.warning("event %s (%s): unusable notify %r", event.id, event.name, wanted)
        return None
    kind = str(wanted.get("kind") or "SYSTEM").upper()
    if kind not in KINDS:
        log.warning("event %s: notify kind %r taken as SYSTEM", event.id, kind)
        kind = "SYSTEM"
    body = wanted.get("body") if isinstance(wanted.get("body"), str) else None
    return kind, _ids(wanted.get("workerIds")), title, body


async def _requests(session, event: events.Event) -> tuple | None:
    """(kind, recipients, title, body) the event asks for, or None."""
    data, actor = event.data, event.actor_id
    if "notify" in data:
        return _from_contract(event)
    if event.name == "customer.workers_changed" and event.customer_id is not None:
        name = await session.scalar(
            select(Customer.name).where(
                Customer.tenant_id == event.tenant_id, Customer.id == event.customer_id
            )
        )
        title = f"Assigned to you: {name}" if name else "A customer was assigned to you"
        return "ASSIGNED_CUSTOMER", _ids(data.get("added"), actor), title, None
    if event.name in ("mission.assigned", "mission.created"):
        added = data.get("added") if event.name == "mission.assigned" else data.get("assigneeIds")
        return "ASSIGNED_MISSION", _ids(added, actor), "A mission was assigned to you", None
    if event.name == "webhook.endpoint_disabled":
        admins = await session.scalars(
            select(Worker.id).where(
                Worker.tenant_id == event.tenant_id, Worker.role.in_(access.ADMINS)
            )
        )
        where = data.get("url") or f"endpoint {data.get('endpointId')}"
        body = f"Deliveries to {where} stopped after {data.get('failures', 'repeated')} failures."
        return "SYSTEM", list(admins), "A webhook endpoint was disabled", body
    return None


async def _may_see(conn, tenant_id: int, worker_id: int, customer_id: int | None) -> bool:
    """Whether the recipient, with their access as it is now, may see the customer."""
    principal = await access.principal_for(conn, tenant_id, worker_id)
    if principal is None:
        return False
    if customer_id is None:
        return True
    query = select(Customer.id).where(
        Customer.tenant_id == tenant_id,
        Customer.id == customer_id,
        access.visible_customers(principal),
    )
    return await conn.scalar(query) is not None


async def notify_from_event(session: AsyncSession, event: events.Event) -> list[int]:
    """The notifications the event asks for, once per recipient; the workers notified now."""
    if event.id is None or not isinstance(event.data, dict):
        return []
    wanted = await _requests(session, event)
    if wanted is None:
        return []
    kind, recipients, title, body = wanted
    if not recipients:
        return []
    tenant_id, conn = event.tenant_id, await session.connection()
    muted = await q.muted(conn, tenant_id, recipients)
    table = q.N
    notified = []
    for worker_id in recipients:
        if (worker_id, kind) in muted:
            continue
        if not await _may_see(conn, tenant_id, worker_id, event.customer_id):
            continue
        made = await session.scalar(
            records.upsert(session, table)
            .values(
                tenant_id=tenant_id,
                worker_id=worker_id,
                kind=kind,
                title=title.strip()[:MAX_TITLE],
                body=(body.strip()[:MAX_BODY] or None) if body else None,
                customer_id=event.customer_id,
                source_event_id=event.id,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["tenant_id", "source_event_id", "worker_id"])
            .returning(table.c.id)
        )
        if made is not None:
            notified.append(worker_id)
    if notified:
        signal = {"forWorkers": notified, "kind": kind, "sourceEventId": event.id}
        await events.emit(session, events.Event("notification.created", tenant_id, None, signal))
    return notified


async def mark_read(session: AsyncSession, principal: Principal, ids: list[int], all_: bool):
    """Marks the worker's own notifications read; the unread count after. Another worker's
    or tenant's id is NOT_FOUND, like one that never existed, and nothing is marked."""
    access.require(principal, "notifications.view")
    table = q.N
    if not all_ and not ids:
        problem = Problem(("input", "ids"), "Give ids or all: true.", "REQUIRED")
        records.fail_if([problem])
    if not all_:
        query = select(table.c.id).where(*q.own(principal), table.c.id.in_(ids))
        own = set(await session.scalars(query))
        records.fail_if(
            [
                Problem(("input", "ids", str(i)), "Notification not found.", "NOT_FOUND")
                for i, pk in enumerate(ids)
                if pk not in own
            ]
        )
    statement = update(table).where(
        table.c.tenant_id == principal.tenant_id,
        table.c.worker_id == principal.worker_id,
        table.c.read_at.is_(None),
    )
    if not all_:
        statement = statement.where(table.c.id.in_(ids))
    result = await session.execute(statement.values(read_at=utcnow()))
    if result.rowcount:
        await records.emit(
            session, principal, "notification.read", None, forWorkers=[principal.worker_id]
        )
    return await q.unread_count(
        await session.connection(), principal.tenant_id, principal.worker_id
    )


async def set_preference(session: AsyncSession, principal: Principal, kind: str, enabled: bool):
    """Mutes or unmutes one kind for the signed-in worker: muted kinds are not made (what is
    in the feed stays)."""
    access.require(principal, "notifications.view")
    if kind not in KINDS:
        records.fail_if([Problem(("input", "kind"), "Unknown kind.", "INVALID")])
    table = q.P
    await session.execute(
        records.upsert(session, table)
        .values(
            tenant_id=principal.tenant_id, worker_id=principal.worker_id, kind=kind, enabled=enabled
        )
        .on_conflict_do_update(index_elements=["worker_id", "kind"], set_={"enabled": enabled})
    )
    return await preferences(await session.connection(), principal)


async def preferences(conn, principal: Principal) -> list[tuple[str, bool]]:
    muted = await q.muted(conn, principal.tenant_id, [principal.worker_id])
    return [(kind, (principal.worker_id, kind) not in muted) for kind in KINDS]


async def unread(conn, principal: Principal) -> int:
    return await q.unread_count(conn, principal.tenant_id, principal.worker_id)
