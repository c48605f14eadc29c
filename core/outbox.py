"""After a commit, a write's events go to the bus and to the modules' handlers, then are
marked published. Rows a crash left unpublished are sent at start-up and by a periodic sweep
(at least once: a handler may see an event twice after a crash, so handlers are idempotent).
A failing handler is logged with the event id and breaks neither the write nor the others.
Handlers run under their event's tenant (row-level security on PostgreSQL); only the
outbox's own bookkeeping (marking, sweeping) works across tenants."""

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import select, update

from core import events
from core.bus import Bus
from core.database import Database
from core.models import EventRecord, TenantModule, utcnow
from core.plugins import Plugins

log = logging.getLogger("customer_hub.outbox")

SWEEP_BATCH = 500
MAX_DEPTH = 3


def message_of(row) -> dict:
    """The bus message of an event record (row or ORM object)."""
    get = row.__getitem__ if isinstance(row, dict) else lambda key: getattr(row, key)
    return {
        "id": get("id"),
        "tenantId": get("tenant_id"),
        "name": get("action"),
        "customerId": get("customer_id"),
        "actorId": get("actor_id"),
        "data": get("data"),
        "occurredAt": get("occurred_at").isoformat(),
    }


class Outbox:
    def __init__(self, db: Database, plugins: Plugins, bus: Bus):
        self.db = db
        self.plugins = plugins
        self.bus = bus

    async def after_commit(self, records: list, depth: int = 0) -> None:
        messages = [message_of(r) for r in records]
        for message in messages:
            await self.bus.publish(message["tenantId"], message)
        for message in messages:
            await self._handle(message, depth)
        await self._mark([m["id"] for m in messages])

    async def _mark(self, ids: list[int]) -> None:
        if not ids:
            return
        async with self.db.transaction() as session:
            await session.execute(
                update(EventRecord).where(EventRecord.id.in_(ids)).values(published_at=utcnow())
            )

    async def _handle(self, message: dict, depth: int) -> None:
        tenant_id = message["tenantId"]
        async with self.db.transaction(tenant_id) as session:
            enabled = frozenset(
                await session.scalars(
                    select(TenantModule.module).where(TenantModule.tenant_id == tenant_id)
                )
            )
        event = events.Event(
            message["name"],
            message["tenantId"],
            message["customerId"],
            message["data"],
            message["actorId"],
            id=message["id"],
        )
        for impl in self.plugins.caller("hub_handle_event", enabled).get_hookimpls():
            follow_up: list = []
            try:
                async with self.db.transaction(tenant_id) as session:
                    events.bind(session, self.plugins, enabled)
                    result = impl.function(session=session, event=event)
                    if asyncio.iscoroutine(result):
                        await result
                    follow_up = list(session.info["records"])
            except Exception:
                log.exception("handler %s failed on event %s", impl.plugin_name, event.id)
                continue
            if follow_up and depth < MAX_DEPTH:
                await self.after_commit(follow_up, depth + 1)

    async def sweep(self, older_than: timedelta = timedelta(seconds=30)) -> int:
        """Publish what a crash left behind; returns how many events were sent."""
        sent = 0
        while True:
            async with self.db.read() as conn:
                rows = (
                    (
                        await conn.execute(
                            select(EventRecord.__table__)
                            .where(
                                EventRecord.published_at.is_(None),
                                EventRecord.occurred_at < utcnow() - older_than,
                            )
                            .order_by(EventRecord.id)
                            .limit(SWEEP_BATCH)
                        )
                    )
                    .mappings()
                    .all()
                )
            if not rows:
                return sent
            await self.after_commit([dict(r) for r in rows])
            sent += len(rows)

    async def run_sweeps(self, every: float = 15.0) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.sweep()
            except Exception:
                log.exception("outbox sweep failed")
