"""How many HTTP operations run at once in this process. Past the CPU, more concurrency only
interleaves requests: each one holds its database connection longer, and with 64 clients on
a pool of 20 the last ones in line waited past the pool's bound (503) although nothing was
wrong but the queue. So requests queue here first, in arrival order and holding nothing but
their body, for up to `REQUEST_QUEUE_TIMEOUT`; once admitted, a connection is at hand, and
the pool's short bound is left to catch a database that does not answer."""

import asyncio
from collections.abc import Callable


class Busy(Exception):
    """Waited `REQUEST_QUEUE_TIMEOUT` without a turn: the client should retry later."""


class Admission:
    def __init__(self, limit: int, wait: float):
        self.limit = limit
        self.wait = wait
        self._slots = asyncio.Semaphore(limit)
        self.waiting = 0

    async def enter(self) -> Callable[[], None]:
        """Wait for a turn; returns its release (safe to call twice)."""
        self.waiting += 1
        try:
            async with asyncio.timeout(self.wait):
                await self._slots.acquire()
        except TimeoutError as error:
            raise Busy from error
        finally:
            self.waiting -= 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._slots.release()

        return release

    def status(self) -> dict:
        running = self.limit - self._slots._value
        return {"running": running, "waiting": self.waiting, "limit": self.limit}
