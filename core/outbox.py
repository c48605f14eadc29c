"""After a commit, a write's events go to the bus and to the modules' handlers, then are
marked published, by one relay task per process, never on the request's time: a write is
answered as soon as it is committed, whether the bus (Redis) is up, slow or gone.

The event rows are the durable queue (written in the transaction of the change); the relay's
memory is only a shortcut to them. While the bus refuses a message, it and everything after
it wait, in order, and are retried with backoff (at once when the bus reconnects); past
`MAX_WAITING` in memory the newest are left to the sweep, which finds every row still
unpublished (a crash's or an outage's) at start-up and every `OUTBOX_SWEEP_SECONDS`. So
delivery is at least once: a handler may see an event twice, and handlers are idempotent.
A failing handler is logged with the event id and breaks neither the write nor the others.
Handlers run under their event's tenant (row-level security on PostgreSQL); only the
outbox's own bookkeeping (marking, sweeping) works across tenants."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from core import events
from core.bus import Bus
from core.database import Database
from core.models import EventRecord, TenantModule, utcnow
from core.plugins import Plugins

log = logging.getLogger("customer_hub.outbox")

SWEEP_BATCH = 500
RELAY_BATCH = 200
MAX_WAITING = 10_000
MAX_DEPTH = 3
RETRY_MIN, RETRY_MAX = 0.1, 2.0


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


def _when(text: str | None) -> datetime:
    if not text:
        return utcnow()
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Outbox:
    def __init__(self, db: Database, plugins: Plugins, bus: Bus):
        self.db = db
        self.plugins = plugins
        self.bus = bus
        self._waiting: list[tuple[dict, int]] = []  # (message, depth), in commit order
        self._queued: set[int] = set()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task | None = None
        self._overflowed = False
        self.on_commit: list = []  # called with each committed batch's messages (job runner)
        bus.on_resync.append(self._bus_back)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self, within: float = 5.0) -> None:
        """Send what is waiting (within `within` seconds; the rest stays for the sweep)."""
        if self._task is None:
            return
        await self.drained(within)
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    def after_commit(self, records: list, depth: int = 0) -> None:
        """Queue a committed transaction's events; returns at once."""
        committed = []
        for record in records:
            message = message_of(record)
            committed.append(message)
            if message["id"] in self._queued:
                continue
            if len(self._waiting) >= MAX_WAITING:
                self._overflowed = True  # still in the table, unpublished: swept later
                break
            self._queued.add(message["id"])
            self._waiting.append((message, depth))
        if self._waiting:
            self._idle.clear()
            self._wake.set()
        if self._task is None:
            self.start()
        for callback in self.on_commit:
            callback(committed)

    def status(self) -> dict:
        """For `/health`: events committed here and not yet sent (grows while Redis is down)."""
        return {"waiting": len(self._waiting), "overflowed": self._overflowed}

    async def drained(self, within: float = 5.0) -> bool:
        """Whether everything queued so far was sent and handled within `within` seconds."""
        try:
            async with asyncio.timeout(within):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    async def _bus_back(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        delay = RETRY_MIN
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._waiting:
                try:
                    sent = await self._relay(self._waiting[:RELAY_BATCH])
                except Exception:
                    log.exception("outbox relay failed; retrying")
                    sent = 0
                if sent:
                    delay = RETRY_MIN
                    if not self._waiting and self._overflowed:
                        self._overflowed = False
                        await self._sweep_now()
                    continue
                try:  # the bus refused: wait, unless it says it is back
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                except TimeoutError:
                    pass
                self._wake.clear()
                delay = min(delay * 2, RETRY_MAX)
            self._idle.set()

    async def _sweep_now(self) -> None:
        """What did not fit in memory, now that there is room."""
        try:
            await self.sweep(older_than=timedelta(0))
        except Exception:
            log.exception("outbox sweep failed")

    async def _relay(self, batch: list[tuple[dict, int]]) -> int:
        """Publish in order up to the first refusal, handle and mark what went out; returns
        how many left the queue."""
        published = []
        for message, depth in batch:
            if not await self.bus.publish(message["tenantId"], message):
                break
            published.append((message, depth))
        modules: dict[int, frozenset[str]] = {}
        for message, depth in published:
            await self._handle(message, depth, modules)
        await self._mark([m["id"] for m, _ in published])
        del self._waiting[: len(published)]
        self._queued.difference_update(m["id"] for m, _ in published)
        return len(published)

    async def _mark(self, ids: list[int]) -> None:
        if not ids:
            return
        async with self.db.transaction() as session:
            await session.execute(
                update(EventRecord).where(EventRecord.id.in_(ids)).values(published_at=utcnow())
            )

    async def _handle(self, message: dict, depth: int, modules: dict) -> None:
        tenant_id = message["tenantId"]
        if tenant_id not in modules:  # bookkeeping: read as the login
            async with self.db.read() as conn:
                modules[tenant_id] = frozenset(
                    await conn.scalars(
                        select(TenantModule.module).where(TenantModule.tenant_id == tenant_id)
                    )
                )
        enabled = modules[tenant_id]
        hooks = self.plugins.caller("hub_handle_event", enabled).get_hookimpls()
        if not hooks:
            return
        event = events.Event(
            message["name"],
            message["tenantId"],
            message["customerId"],
            message["data"],
            message["actorId"],
            # when it happened, not when it is handled (a replay may come much later)
            occurred_at=_when(message.get("occurredAt")),
            id=message["id"],
        )
        for impl in hooks:
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
                self.after_commit(follow_up, depth + 1)

    async def sweep(self, older_than: timedelta = timedelta(seconds=30)) -> int:
        """Queue what a crash or an outage left unpublished; returns how many were queued."""
        queued, after = 0, 0
        while len(self._waiting) < MAX_WAITING:
            async with self.db.read() as conn:
                rows = (
                    (
                        await conn.execute(
                            select(EventRecord.__table__)
                            .where(
                                EventRecord.published_at.is_(None),
                                EventRecord.occurred_at < utcnow() - older_than,
                                EventRecord.id > after,
                            )
                            .order_by(EventRecord.id)
                            .limit(SWEEP_BATCH)
                        )
                    )
                    .mappings()
                    .all()
                )
            if not rows:
                break
            fresh = [dict(r) for r in rows if r["id"] not in self._queued]
            self.after_commit(fresh)
            queued += len(fresh)
            after = rows[-1]["id"]
        return queued

    async def run_sweeps(self, every: float = 15.0) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.sweep()
            except Exception:
                log.exception("outbox sweep failed")
