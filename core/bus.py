"""The event bus: events of committed writes, as JSON-able dicts, per tenant. In-process when
`REDIS_URL` is unset (`LocalBus`); across processes with Redis (`core.bus_redis.RedisBus`).

A message is only a signal: listeners recompute what they show from the database, so a lost
or repeated message never leaves anything wrong for longer than the next one or a resync.
After a reconnect, `on_resync` callbacks run so live clients get fresh values."""

import asyncio
import inspect
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Protocol

log = logging.getLogger("customer_hub.bus")

Listener = Callable[[dict], Awaitable[None] | None]


class Bus(Protocol):
    on_resync: list[Callable[[], Awaitable[None]]]

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, tenant_id: int, message: dict) -> bool:
        """Send one message; False if the bus refused it now (the outbox retries). Never
        raises."""

    def listen(self, tenant_id: int, listener: Listener) -> Callable[[], None]:
        """Call `listener` with each message of the tenant; returns the unsubscribe."""

    async def settled(self, within: float = 5.0) -> bool:
        """Wait until every tenant listened to is heard (Redis confirmed the subscription);
        False if not within `within` seconds. Read initial values after it, not before."""


class Listeners:
    """The in-process fan-out every bus ends in: listeners per tenant."""

    def __init__(self):
        self.by_tenant: dict[int, list[Listener]] = defaultdict(list)

    def add(self, tenant_id: int, listener: Listener, on_empty=None) -> Callable[[], None]:
        self.by_tenant[tenant_id].append(listener)

        def remove() -> None:
            listeners = self.by_tenant.get(tenant_id, [])
            if listener in listeners:
                listeners.remove(listener)
            if not listeners:
                self.by_tenant.pop(tenant_id, None)
                if on_empty is not None:
                    on_empty(tenant_id)

        return remove

    async def deliver(self, tenant_id: int, message: dict) -> None:
        for listener in list(self.by_tenant.get(tenant_id, ())):
            try:
                result = listener(message)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("listener failed on event %s", message.get("id"))


class LocalBus:
    """One process: publishing is delivering."""

    def __init__(self):
        self.listeners = Listeners()
        self.on_resync: list[Callable[[], Awaitable[None]]] = []

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def publish(self, tenant_id: int, message: dict) -> bool:
        await self.listeners.deliver(tenant_id, message)
        return True

    def listen(self, tenant_id: int, listener: Listener) -> Callable[[], None]:
        return self.listeners.add(tenant_id, listener)

    async def settled(self, within: float = 5.0) -> bool:
        return True


def make_bus(redis_url: str | None, channel_prefix: str = "hub") -> Bus:
    """`channel_prefix` (`REDIS_CHANNEL_PREFIX`) keeps deployments sharing one Redis apart:
    only buses with the same prefix hear each other."""
    if not redis_url:
        return LocalBus()
    from core.bus_redis import RedisBus

    return RedisBus(redis_url, prefix=f"{channel_prefix}:events:")


async def resync(bus: Bus) -> None:
    """Tell live listeners to recompute everything (after a reconnect)."""
    await asyncio.gather(*(callback() for callback in bus.on_resync), return_exceptions=True)
