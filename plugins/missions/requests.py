"""Mission requests (docs/plugins.md, "Module contract: mission requests"): any module's
event may carry `mission_request: {"key", "title", "assigneeId", "dueAt"}`; the mission is
made once per (tenant, key) on the event's customer, by the event's actor. The key's row is
inserted first with ON CONFLICT DO NOTHING, so a replayed event (or the same one handled
twice at once) makes one mission. A malformed request is logged and skipped."""

import logging
from datetime import datetime

from sqlalchemy import select

from core import events, records
from core.models import Customer, Tenant, Worker, utcnow
from core.tenants import zone_of
from plugins.missions.models import Mission, MissionAssignee, MissionRequest

log = logging.getLogger("customer_hub.missions")


def _due(value, zone: str):
    if not value:
        return None, None, None
    try:
        instant = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None, None, None
    instant = records.utc(instant)
    local = instant.astimezone(zone_of(zone))
    return local.date(), local.time().replace(second=0, microsecond=0, tzinfo=None), instant


async def handle(session, event) -> None:
    request = (event.data or {}).get("mission_request")
    if not isinstance(request, dict) or event.customer_id is None:
        return
    key, title = str(request.get("key") or "")[:200], str(request.get("title") or "").strip()
    if not key or not title:
        log.warning("event %s: a mission request without key or title", event.id)
        return
    tenant_id = event.tenant_id
    customer = await session.scalar(
        select(Customer.id)
        .where(Customer.tenant_id == tenant_id, Customer.id == event.customer_id)
        .with_for_update()
    )
    if customer is None:
        return
    claimed = await session.scalar(
        records.upsert(session, MissionRequest.__table__)
        .values(tenant_id=tenant_id, key=key, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
        .returning(MissionRequest.__table__.c.key)
    )
    if claimed is None:
        return
    zone = await session.scalar(select(Tenant.time_zone).where(Tenant.id == tenant_id))
    due_on, due_time, due_at = _due(request.get("dueAt"), zone or "UTC")
    assignee = request.get("assigneeId")
    if assignee is not None:
        assignee = await session.scalar(
            select(Worker.id).where(Worker.tenant_id == tenant_id, Worker.id == assignee)
        )
    now = utcnow()
    mission = Mission(
        tenant_id=tenant_id,
        customer_id=customer,
        title=title[:200],
        status="OPEN",
        priority=1,
        due_on=due_on,
        due_time=due_time,
        due_at=due_at,
        created_by_id=event.actor_id,
        created_at=now,
        updated_at=now,
    )
    session.add(mission)
    await session.flush()
    if assignee is not None:
        session.add(MissionAssignee(mission_id=mission.id, worker_id=assignee, tenant_id=tenant_id))
    row = await session.get(MissionRequest, (tenant_id, key))
    row.mission_id = mission.id
    assignees = [assignee] if assignee is not None else []
    data = {"missionId": mission.id, "assigneeIds": assignees}
    await events.emit(
        session, events.Event("mission.created", tenant_id, customer, data, event.actor_id)
    )
