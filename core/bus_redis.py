"""The event bus across processes: Redis pub/sub, one channel per tenant
(`<REDIS_CHANNEL_PREFIX>:events:<id>`, by default `hub:events:<id>`; `make_bus` builds the
prefix, so deployments sharing one Redis each hear only their own channels).

Each process holds ONE pub/sub connection read by ONE task; the first local listener of a
tenant SUBSCRIBEs its channel, the last one leaving UNSUBSCRIBEs it, and what arrives is fanned
out in-process by `Listeners` (PITFALLS.md: no connection per subscription, no patterns).
`publish` only PUBLISHes: a process hears its own events back through Redis, exactly once.

Redis pub/sub is at-most-once and keeps nothing, which is enough because a message is only a
signal (core/bus.py). What can be lost, and how it heals:
- Publishing while Redis is down logs and returns False: the outbox keeps the event and
  sends it again when Redis is back (`core/outbox.py`). Every process's reader lost its
  connection too, so each one resyncs when Redis is back.
- While the reader is disconnected it hears nothing; it reconnects by itself (backoff 0.1 s
  doubling to 2 s, reset once a connection has lived 5 s), subscribes every tenant that has
  listeners, waits for the server's confirmations, then runs `resync(self)` so live clients
  recompute what they show.
- A half-open connection (no FIN, e.g. a network partition) is found by a PING after
  `heartbeat` idle seconds: no answer within another `heartbeat` counts as a drop.
Listeners run on the reader task, one message after another: they must be quick (a signal
schedules work, it does not do it), or Redis disconnects a reader too slow for its output
buffer, which the reconnect and resync above then cover."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from core.bus import Listener, Listeners, resync

log = logging.getLogger("customer_hub.bus")

STABLE_AFTER = 5.0  # seconds a connection must live before the backoff starts over


def _cancelling() -> bool:
    """Whether this task was asked to stop, even if a library swallowed the CancelledError."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class RedisBus:
    def __init__(
        self,
        url: str,
        *,
        prefix: str = "hub:events:",
        backoff_min: float = 0.1,
        backoff_max: float = 2.0,
        heartbeat: float = 15.0,
        timeout: float = 2.0,
    ):
        self.url = url
        self.reconnects = 0  # connected again after a loss (the metrics show it)
        self.prefix = prefix
        self.backoff_min = backoff_min
        self.backoff_max = backoff_max
        self.heartbeat = heartbeat
        self.timeout = timeout  # connect and command timeout, also how long `start` waits
        self.listeners = Listeners()
        self.on_resync: list[Callable[[], Awaitable[None]]] = []
        self.connected = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._resync_task: asyncio.Task | None = None
        self._publisher: Redis | None = None
        self._publish_failing = False
        self._failures = 0  # failed connection attempts since the last success
        self._sent: set[int] = set()  # tenants SUBSCRIBEd on the current connection
        self._confirmed: set[int] = set()  # tenants whose subscription Redis confirmed
        self._changed = asyncio.Event()  # the set of tenants with listeners may have changed
        self._state = asyncio.Event()  # connection or confirmations changed: waiters re-check

    # -- the Bus protocol ----------------------------------------------------------------

    async def start(self) -> None:
        """Connect and subscribe the tenants that already have listeners. Redis being down
        does not stop the start: the reader keeps trying in the background."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._failures = 0
        self._publisher = self._client(retries=1)
        self._task = asyncio.create_task(self._run(), name="redis-bus-reader")
        await self._wait_until(lambda: self._subscribed_all() or self._failures > 0, self.timeout)

    async def close(self) -> None:
        tasks = [t for t in (self._task, self._resync_task) if t is not None]
        self._task = self._resync_task = None
        for task in tasks:
            task.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self.timeout)
            if pending:  # a swallowed cancellation must not hang the shutdown
                log.warning("Redis bus: %d task(s) did not stop on close", len(pending))
        if self._publisher is not None:
            await self._publisher.aclose()
            self._publisher = None
        self._loop = None

    async def publish(self, tenant_id: int, message: dict) -> bool:
        """PUBLISH to the tenant's channel; local listeners hear it back through Redis. Never
        raises; False while Redis does not take it (the outbox sends it again later)."""
        try:
            payload = orjson.dumps(message)
        except TypeError:
            log.exception("event %s is not JSON; not published", message.get("id"))
            return True  # never publishable: not retried
        if self._publisher is None:  # published before `start`: still reach Redis
            self._publisher = self._client(retries=1)
        try:
            async with asyncio.timeout(self.timeout):
                await self._publisher.publish(self._channel(tenant_id), payload)
        except Exception as exc:
            if not self._publish_failing:
                log.warning("Redis bus: cannot publish (%s); events wait until it is back", exc)
            self._publish_failing = True
            return False
        if self._publish_failing:
            log.info("Redis bus: publishing again")
            self._publish_failing = False
        return True

    def listen(self, tenant_id: int, listener: Listener) -> Callable[[], None]:
        """Safe to call from any thread, before `start` too; the SUBSCRIBE follows soon after
        (messages published before Redis confirmed it are not heard)."""
        remove = self.listeners.add(tenant_id, listener, on_empty=self._poke)
        self._poke()  # always: an UNSUBSCRIBE of this tenant may be on its way
        return remove

    # -- what tests and health checks may ask --------------------------------------------

    async def settled(self, within: float = 5.0) -> bool:
        """Wait until connected with every tenant that has listeners subscribed (confirmed by
        Redis); False if that did not happen within `within` seconds."""
        return await self._wait_until(self._subscribed_all, within)

    # -- the reader ----------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = self.backoff_min
        while True:
            client = self._client(retries=0)
            pubsub = client.pubsub()
            since = None
            try:
                async with asyncio.timeout(self.timeout):
                    await pubsub.connect()
                since = asyncio.get_running_loop().time()
                self._connected_now()
                async with asyncio.TaskGroup() as group:
                    group.create_task(self._read(pubsub))
                    group.create_task(self._keep_subscriptions(pubsub))
            except Exception as exc:
                self._disconnected(exc, since)
            finally:
                self.connected = False
                self._sent.clear()
                self._confirmed.clear()
                self._state.set()
                try:
                    await pubsub.aclose()
                    await client.aclose()
                except Exception:
                    log.debug("Redis bus: closing a dead connection failed", exc_info=True)
            if since is not None and asyncio.get_running_loop().time() - since >= STABLE_AFTER:
                backoff = self.backoff_min
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.backoff_max)

    def _connected_now(self) -> None:
        self.connected = True
        self._state.set()
        if self._failures:
            self.reconnects += 1
            log.info(
                "Redis bus: connected again after %d failed attempts; resyncing", self._failures
            )
            if self._resync_task is not None:
                self._resync_task.cancel()
            self._resync_task = asyncio.create_task(self._resync(), name="redis-bus-resync")
        self._failures = 0

    def _disconnected(self, exc: BaseException, since: float | None) -> None:
        while isinstance(exc, BaseExceptionGroup):  # from the TaskGroup
            exc = exc.exceptions[0]
        if self._failures == 0:
            what = "lost" if since is not None else "unavailable"
            log.warning(
                "Redis bus: connection %s (%s: %s); reconnecting in the background",
                what,
                type(exc).__name__,
                exc,
            )
        else:
            log.debug("Redis bus: reconnect failed (%s: %s)", type(exc).__name__, exc)
        self._failures += 1
        self._state.set()

    async def _resync(self) -> None:
        if not await self.settled(self.timeout):
            log.warning(
                "Redis bus: subscriptions not confirmed in %ss; resyncing anyway", self.timeout
            )
        await resync(self)

    async def _read(self, pubsub: PubSub) -> None:
        pinged = False
        while True:
            if _cancelling():
                raise asyncio.CancelledError
            message = await pubsub.get_message(timeout=self.heartbeat)
            if message is None:  # idle for `heartbeat` seconds
                if pinged:
                    raise ConnectionError(f"no answer to PING within {self.heartbeat}s")
                await pubsub.ping()
                pinged = True
                continue
            pinged = False
            kind = message["type"]
            if kind == "message":
                await self._deliver(message["channel"], message["data"])
            elif kind in ("subscribe", "unsubscribe"):
                tenant_id = self._tenant_of(message["channel"])
                if kind == "subscribe":
                    self._confirmed.add(tenant_id)
                else:
                    self._confirmed.discard(tenant_id)
                self._state.set()

    async def _keep_subscriptions(self, pubsub: PubSub) -> None:
        """Make the connection's subscriptions follow the tenants that have listeners."""
        while True:
            self._changed.clear()
            wanted = set(self.listeners.by_tenant)
            if new := wanted - self._sent:
                await pubsub.subscribe(*(self._channel(t) for t in sorted(new)))
                self._sent |= new
            if gone := self._sent - wanted:
                await pubsub.unsubscribe(*(self._channel(t) for t in sorted(gone)))
                self._sent -= gone
            self._state.set()
            if _cancelling():  # in case a library swallowed the CancelledError
                raise asyncio.CancelledError
            await self._changed.wait()

    async def _deliver(self, channel: bytes, data: bytes) -> None:
        try:
            tenant_id = self._tenant_of(channel)
            message = orjson.loads(data)
        except ValueError:
            log.warning("Redis bus: dropped a malformed message on %r", channel)
            return
        await self.listeners.deliver(tenant_id, message)

    # -- helpers -------------------------------------------------------------------------

    def _client(self, retries: int) -> Redis:
        # No `socket_timeout` (redis-py's default is 5 s): with one, each write goes through
        # `asyncio.wait_for`, which on Python 3.11 can swallow a cancellation, and `close`
        # hung. Commands are bounded by `asyncio.timeout` here, the reader by its heartbeat. No
        # retries for the reader: a dropped connection must surface, not be replaced quietly.
        return Redis.from_url(
            self.url,
            retry=Retry(NoBackoff(), retries),
            socket_timeout=None,
            socket_connect_timeout=self.timeout,
            health_check_interval=0,
        )

    def _channel(self, tenant_id: int) -> str:
        return f"{self.prefix}{tenant_id}"

    def _tenant_of(self, channel: bytes | str) -> int:
        name = channel.decode() if isinstance(channel, bytes) else channel
        return int(name.removeprefix(self.prefix))

    def _subscribed_all(self) -> bool:
        return self.connected and set(self.listeners.by_tenant) <= self._confirmed

    def _poke(self, _tenant_id: int | None = None) -> None:
        """Wake the subscription keeper, from the loop's thread or any other."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # not started: `start` subscribes whatever has listeners by then
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is loop:
            self._changed.set()
        else:
            loop.call_soon_threadsafe(self._changed.set)

    async def _wait_until(self, predicate: Callable[[], bool], within: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._state.clear()
            if predicate():
                break
            try:
                async with asyncio.timeout(remaining):  # not `wait_for`: see `_client`
                    await self._state.wait()
            except TimeoutError:
                return predicate()
        return True
