"""The shared fan-out behind the subscriptions. One bus listener per tenant, not per
subscriber: a tenant's messages are gathered for `COALESCE` seconds, then each *audience*
(subscribers who see the same: same permissions, modules and visibility) gets its counts
recomputed from the database once, and the one result goes to every subscriber of that
audience watching the customer. A thousand screens on the same list cost one query per burst.

A bus message is only a signal: what is sent is always read afresh, as absolute values with
a version. A tenant-wide event (permissions changed, an API key revoked, a module switched)
re-authenticates every subscriber first: one whose credentials no longer hold is closed
(4403), the others are regrouped under their new access and resynced.

Each subscriber has a bounded queue; one that does not read is closed (4413) rather than
buffered without end.

A module's own live view (a flow's board) is a `Feed`: its subscribers are grouped by the
feed's key and their audience like the others, and per burst that holds a message the feed
`wants` (or on a resync) its `read` runs once per group, its result shared by the group."""

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass

from sqlalchemy import func, select

from core import access, multiread
from core import customer_queries as q
from core.auth import Principal
from core.database import Database, RequestConnection, is_unavailable
from core.errors import Unauthenticated
from core.models import EventRecord
from core.outbox import message_of
from schema import live_types as types
from schema.live_types import shared
from schema.tabs import (
    ProfileTab,
    add_badge_rows,
    badge_queries,
    python_badge_counts,
    shown_tabs,
    tabs_with_counts,
)

log = logging.getLogger("customer_hub.live")

COALESCE = 0.05
SETTLE = 2.0
MAX_PENDING = 10_000
MAX_REMEMBERED = 2_000
MAX_REPLAYED = 500
RETRY_DELAY = 0.5
RESYNC = "__resync__"
REMOVALS = ("customer.deleted", "customer.merged_away")
# The list leaves archived customers out: for it an archive is a removal, a restore a creation.
ARCHIVING = {"customer.archived": "REMOVED", "customer.restored": "CREATED"}
SLOW_CLIENT_CLOSE = 4413
SLOW_CLIENT_REASON = "Too many updates waiting: reconnect and subscribe again."
REVOKED_CLOSE = 4403
_END = object()

Authenticate = Callable[[str | None], Awaitable[Principal]]


def audience_of(principal: Principal) -> tuple:
    """What decides which customers and tabs a subscriber sees and what their badges count.
    The worker is part of it even for those who see every customer: a module's badge may
    count per worker (unread messages, unread chat), so two admins never share one read."""
    if access.can(principal, "customers.view_all"):
        return (principal.permissions, principal.modules, principal.worker_id)
    return (principal.permissions, principal.modules, principal.worker_id, principal.view_folders)


@dataclass(frozen=True, eq=False)
class Feed:
    """A module's live view: `key` names what is watched (subscribers with equal keys and
    audiences share one read per burst); `wants(message)` says whether a bus message may
    change it; `read(conn, principal, messages, resync)` returns the updates to send (the
    burst's wanted messages; all of them are gone on a resync), or None to complete the
    subscriptions (the view is gone)."""

    key: Hashable
    wants: Callable[[dict], bool]
    read: Callable[..., Awaitable[list | None]]


class Watcher:
    """One subscription: what it watches and the updates waiting for its client."""

    def __init__(
        self,
        kind: str,
        principal: Principal,
        credentials: str | None,
        socket,
        size: int,
        customers: frozenset[int] = frozenset(),
        feed: Feed | None = None,
    ):
        # "badges", "events", "list", "job" (`customers`: the job's id), "feed" (`feed`) or
        # "worker" (its worker's id: a module's per-worker feed)
        self.kind = kind
        self.feed = feed
        self.principal = principal
        self.credentials = credentials
        self.socket = socket
        self.customers = customers
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=size + 1)
        self.size = size
        self.closing: tuple[int, str] | None = None
        self.closer: asyncio.Future | None = None
        self.since = 0  # events: the newest event id when it started; only later ones go out
        self.sent: set[int] = set()  # events: ids already sent (a replay may repeat them)

    def new_events(self, messages: list[dict]) -> list[dict]:
        """Of these events of its customer, the ones it has not sent yet."""
        fresh = [m for m in messages if m["id"] > self.since and m["id"] not in self.sent]
        self.sent.update(m["id"] for m in fresh)
        if len(self.sent) > MAX_REMEMBERED:
            kept = sorted(self.sent)[-MAX_REMEMBERED // 2 :]
            self.since, self.sent = kept[0] - 1, set(kept)
        return fresh

    def send(self, items: list) -> None:
        """One delivery's updates; `size` deliveries waiting make a slow client."""
        if self.closing is not None or not items:
            return
        if self.queue.qsize() >= self.size:
            self.close(SLOW_CLIENT_CLOSE, SLOW_CLIENT_REASON)
            return
        self.queue.put_nowait(items)

    def end(self) -> None:
        """Complete the subscription (its customer is gone from view)."""
        if self.closing is None:
            self.closing = (0, "")
            self.queue.put_nowait(_END)

    def close(self, code: int, reason: str) -> None:
        """Close the whole socket: the client must reconnect. Not from `updates`, whose
        consumer may be the very send that waits on a client that does not read: the
        close frame follows what the socket already holds."""
        if self.closing is not None:
            return
        self.closing = (code, reason)
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(_END)
        log.info("closing a live socket (%s): %s", code, reason)
        if hasattr(self.socket, "close"):
            self.closer = asyncio.ensure_future(_close(self.socket, code, reason))

    async def updates(self) -> AsyncIterator:
        while True:
            items = await self.queue.get()
            if items is _END:
                if self.closer is not None:
                    # Closed, not completed: nothing more is sent, not even `complete`; the
                    # socket's close cancels this generator.
                    await asyncio.Future()
                return
            for item in items:
                if self.closer is not None:
                    break
                yield item


async def _close(socket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):  # closed already (by another subscription of it)
        await socket.close(code=code, reason=reason)


class TenantFeed:
    """One tenant's bus messages, folded into bursts and delivered by one task."""

    def __init__(self, hub: "LiveHub", tenant_id: int):
        self.hub = hub
        self.tenant_id = tenant_id
        self.watchers: set[Watcher] = set()
        self.pending: list[dict] = []
        self.wake = asyncio.Event()
        self.version = 0
        self.stop_listening = hub.bus.listen(tenant_id, self.put)
        self.heard = asyncio.ensure_future(hub.bus.settled(SETTLE))
        self.task = asyncio.create_task(self.run())

    def put(self, message: dict) -> None:
        if len(self.pending) >= MAX_PENDING:
            self.pending = [{"name": RESYNC, "id": 0}]
        self.pending.append(message)
        self.wake.set()

    async def run(self) -> None:
        while True:
            await self.wake.wait()
            await asyncio.sleep(COALESCE)
            self.wake.clear()
            burst, self.pending = self.pending, []
            try:
                await self.hub.deliver(self, burst)
            except Exception as error:
                if not is_unavailable(error):
                    log.exception("live update failed for tenant %s", self.tenant_id)
                    continue
                log.warning("live update for tenant %s waits for the database", self.tenant_id)
                await asyncio.sleep(RETRY_DELAY)  # then everything again, read afresh
                self.put({"name": RESYNC, "id": 0})

    def stop(self) -> None:
        self.stop_listening()
        self.task.cancel()
        self.heard.cancel()


class LiveHub:
    def __init__(self, db: Database, bus, plugins, registry, authenticate: Authenticate):
        self.db = db
        self.bus = bus
        self.plugins = plugins
        self.registry = registry
        self.authenticate = authenticate
        self.feeds: dict[int, TenantFeed] = {}
        bus.on_resync.append(self.resync)

    @property
    def subscriptions(self) -> int:
        """Live subscriptions in this process (`/health` shows it)."""
        return sum(len(feed.watchers) for feed in self.feeds.values())

    async def watch(self, watcher: Watcher) -> None:
        """Returns once the tenant's messages are heard, so that values read afterwards
        miss nothing (with Redis down, after `SETTLE` seconds: a resync follows)."""
        tenant_id = watcher.principal.tenant_id
        feed = self.feeds.get(tenant_id)
        if feed is None:
            feed = self.feeds[tenant_id] = TenantFeed(self, tenant_id)
        feed.watchers.add(watcher)
        await asyncio.shield(feed.heard)

    def unwatch(self, watcher: Watcher) -> None:
        feed = self.feeds.get(watcher.principal.tenant_id)
        if feed is None:
            return
        feed.watchers.discard(watcher)
        if not feed.watchers:
            feed.stop()
            del self.feeds[feed.tenant_id]

    async def resync(self) -> None:
        for feed in list(self.feeds.values()):
            feed.put({"name": RESYNC, "id": 0})

    async def deliver(self, feed: TenantFeed, burst: list[dict]) -> None:
        resync = any(m["name"] == RESYNC for m in burst)
        if any(tenant_wide(m) for m in burst):
            await self._reauthenticate(feed)
            resync = True
        poke_jobs(feed.watchers, burst, resync)
        poke_workers(feed.watchers, burst, resync)
        reader = RequestConnection(self.db, feed.tenant_id)
        try:
            if resync:
                async with reader() as conn:
                    feed.version = await latest_event_id(conn, feed.tenant_id)
            feed.version = max([feed.version, *(m["id"] for m in burst)])
            touched = {m["customerId"] for m in burst if m.get("customerId")}
            audiences: dict[tuple, list[Watcher]] = defaultdict(list)
            for watcher in feed.watchers:
                if watcher.closing is None:
                    audiences[audience_of(watcher.principal)].append(watcher)
            for watchers in audiences.values():
                await self._deliver_to(reader, watchers, burst, touched, resync, feed.version)
            await deliver_feeds(reader, feed.watchers, burst, resync)
        finally:
            await reader.close()

    async def _deliver_to(self, reader, watchers, burst, touched, resync, version) -> None:
        """One audience: one visibility query, one count per customer, shared by all."""
        principal = watchers[0].principal
        of_kind = {k: [w for w in watchers if w.kind == k] for k in ("badges", "events", "list")}
        badge_ids = set().union(*(w.customers for w in of_kind["badges"]))
        if not resync:
            badge_ids &= touched
        event_ids = set().union(*(w.customers for w in of_kind["events"]))
        if not resync:
            event_ids &= touched
        list_ids = touched if of_kind["list"] else set()
        candidates = badge_ids | event_ids | list_ids
        if not candidates:
            return
        messages = [m for m in burst if m.get("customerId") in event_ids and m["name"] != RESYNC]
        async with reader() as conn:
            if resync and event_ids:  # what the bus did not bring while it was away
                since = min(w.since for w in of_kind["events"])
                messages += await events_after(conn, principal.tenant_id, event_ids, since)
            visible = await visible_ids(conn, principal, candidates)
            shown = sorted(badge_ids & visible)
            badges = await read_badges(conn, self.registry, self.plugins, principal, shown)
        updates = {i: shared(types.badges(i, badges[i], version)) for i in badges}
        for watcher in of_kind["badges"]:
            watcher.send([updates[i] for i in sorted(watcher.customers & updates.keys())])
        messages = sorted({m["id"]: m for m in messages}.values(), key=lambda m: m["id"])
        events = {m["id"]: shared(types.event(m)) for m in messages}
        for watcher in of_kind["events"]:
            (customer_id,) = watcher.customers
            about = watcher.new_events([m for m in messages if m["customerId"] == customer_id])
            if any(m["name"] in REMOVALS for m in about) or (
                customer_id in touched and customer_id not in visible
            ):
                watcher.send([events[m["id"]] for m in about if m["name"] in REMOVALS])
                watcher.end()
                continue
            watcher.send([events[m["id"]] for m in about])
        if of_kind["list"]:
            changes = list_changes(burst, visible, access.can(principal, "customers.view_all"))
            changes = [shared(c) for c in changes]
            for watcher in of_kind["list"]:
                watcher.send(changes)

    async def _reauthenticate(self, feed: TenantFeed) -> None:
        by_credentials: dict[str | None, list[Watcher]] = defaultdict(list)
        for watcher in feed.watchers:
            by_credentials[watcher.credentials].append(watcher)
        for credentials, watchers in by_credentials.items():
            try:
                principal = await self.authenticate(credentials)
            except Unauthenticated as exc:
                for watcher in watchers:
                    watcher.close(REVOKED_CLOSE, str(exc))
                continue
            for watcher in watchers:
                watcher.principal = principal


def tenant_wide(message: dict) -> bool:
    """A change about no customer (permissions, keys, modules, workers): access may have
    changed. Job events are about one job only; an import's chunk events change no access."""
    name = message["name"]
    own = name.startswith(("job.", "customers.import")) or bool(for_workers(message))
    return message.get("customerId") is None and name != RESYNC and not own


async def deliver_feeds(reader, watchers, burst: list[dict], resync: bool) -> None:
    """Module feeds: one read per (feed key, audience) whose feed wants a message of the
    burst (every group on a resync), shared by the group's subscribers."""
    groups: dict[tuple, list[Watcher]] = defaultdict(list)
    for watcher in watchers:
        if watcher.kind == "feed" and watcher.closing is None:
            groups[watcher.feed.key, audience_of(watcher.principal)].append(watcher)
    for members in groups.values():
        feed = members[0].feed
        wanted = [m for m in burst if m["name"] != RESYNC and feed.wants(m)]
        if not (wanted or resync):
            continue
        async with reader() as conn:
            items = await feed.read(conn, members[0].principal, wanted, resync)
        sent = None if items is None else [shared(item) for item in items]
        for watcher in members:
            if sent is None:
                watcher.end()
            else:
                watcher.send(sent)


def poke_jobs(watchers, burst: list[dict], resync: bool) -> None:
    """`jobProgress` subscribers whose job an event of the burst is about (all of them on a
    resync) get one signal per burst; they read the job afresh (`schema/jobs.py`)."""
    touched = {(m.get("data") or {}).get("jobId") for m in burst if m["name"].startswith("job.")}
    for watcher in watchers:
        if watcher.kind == "job" and (resync or watcher.customers & touched):
            watcher.send([None])


def for_workers(message: dict) -> set[int]:
    """The workers a per-worker signal is for (`data.forWorkers`): a change to their own
    things (a module's feed, `plugins/notifications`), no one else's access."""
    data = message.get("data")
    workers = data.get("forWorkers") if isinstance(data, dict) else None
    return {w for w in workers if isinstance(w, int)} if isinstance(workers, list) else set()


def poke_workers(watchers, burst: list[dict], resync: bool) -> None:
    """`worker` subscribers (`Watcher.customers`: their worker id) named by a signal of the
    burst (all of them on a resync) get one signal per burst and read afresh."""
    touched = set().union(*(for_workers(m) for m in burst))
    for watcher in watchers:
        if watcher.kind == "worker" and (resync or watcher.customers & touched):
            watcher.send([None])


def list_changes(burst: list[dict], visible: set[int], sees_all: bool) -> list:
    """The latest change per customer; removals only to those who could see the whole
    tenant (for others, a removed customer is indistinguishable from one never seen)."""
    latest: dict[int, dict] = {}
    for message in burst:
        if message.get("customerId"):
            latest[message["customerId"]] = message
    changes = []
    for customer_id, message in latest.items():
        if message["name"] in REMOVALS:
            if not sees_all:
                continue
            kind = "REMOVED"
        elif customer_id not in visible:
            continue
        elif message["name"] in ARCHIVING:
            kind = ARCHIVING[message["name"]]
        elif message["name"] == "customer.created":
            kind = "CREATED"
        else:
            kind = "CHANGED"
        changes.append(types.list_change(kind, customer_id, message["id"]))
    return changes


async def visible_ids(conn, principal: Principal, ids) -> set[int]:
    """Which of `ids` the principal may see (the visibility rule, `core/access.py`)."""
    return set(await q.customers_by_ids(conn, principal, sorted(ids)))


async def read_badges(
    conn, registry, plugins, principal: Principal, ids: list[int]
) -> dict[int, list[ProfileTab]]:
    """Fresh counts from the database, with this principal's permissions and modules."""
    _, counts = await first_badges(conn, registry, plugins, principal, ids, checked=True)
    return counts


async def first_badges(
    conn, registry, plugins, principal: Principal, ids: list[int], checked: bool = False
) -> tuple[int, dict[int, list[ProfileTab]]]:
    """(the tenant's newest event id, the counts of those of `ids` the principal may see),
    in one statement: a subscription's first message, as the compiled list page reads its
    badges (one statement however many modules count). `checked`: `ids` are known to be
    visible, and no event id is needed."""
    if not ids:
        return 0, {}
    queries = badge_queries(plugins, principal, ids)
    reads = [q.memberships_query(principal.tenant_id, ids), *queries.values()]
    if not checked:
        newest = newest_event_query(principal.tenant_id)
        shown = select(q.C.id).where(access.visible_customers(principal), q.C.id.in_(ids))
        reads += [newest, shown]
    found = await multiread.read(conn, reads)
    version = 0
    if not checked:
        *found, newest_rows, shown_rows = found
        version = (newest_rows[0]["id"] if newest_rows else None) or 0
        ids = sorted({r["id"] for r in shown_rows})
    memberships: dict[int, list[dict]] = defaultdict(list)
    for row in found[0]:
        memberships[row["customer_id"]].append(row)
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    add_badge_rows(counts, queries, found[1:])
    await python_badge_counts(plugins, conn, principal, counts)
    return version, {
        customer_id: tabs_with_counts(
            shown_tabs(registry, principal, memberships.get(customer_id, [])),
            counts[customer_id],
        )
        for customer_id in ids
    }


async def events_after(conn, tenant_id: int, customer_ids, after: int) -> list[dict]:
    """The customers' events newer than `after`, as bus messages (the newest
    `MAX_REPLAYED`)."""
    rows = await conn.execute(
        select(EventRecord.__table__)
        .where(
            EventRecord.tenant_id == tenant_id,
            EventRecord.customer_id.in_(sorted(customer_ids)),
            EventRecord.id > after,
        )
        .order_by(EventRecord.id.desc())
        .limit(MAX_REPLAYED)
    )
    return [message_of(dict(r)) for r in rows.mappings()]


def newest_event_query(tenant_id: int):
    return select(func.max(EventRecord.id).label("id")).where(EventRecord.tenant_id == tenant_id)


async def latest_event_id(conn, tenant_id: int) -> int:
    found = await conn.scalar(newest_event_query(tenant_id))
    return found or 0
