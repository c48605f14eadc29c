"""`python plugins/subscriptions/tests/serve.py`: `server.py` whose billing run takes small,
slowed chunks (`TEST_BILLING_BATCH` subscriptions; `TEST_BILLING_PAUSE` seconds after each
chunk's commit, and a fifth of that inside it, holding its locks), so a test can run two
processes' runs side by side and kill one in the middle of a run. Patched before `server`
is imported: the app collects the job handlers when it is built."""

import asyncio
import os
from contextlib import asynccontextmanager

from plugins.subscriptions import billing

billing.BATCH = int(os.environ.get("TEST_BILLING_BATCH", "2"))
_PAUSE = float(os.environ.get("TEST_BILLING_PAUSE", "0"))
_catch_up, _run = billing.catch_up, billing.run


async def _slow_catch_up(*args, **kwargs):
    result = await _catch_up(*args, **kwargs)
    await asyncio.sleep(_PAUSE / 5)  # inside the chunk: its rows stay locked meanwhile
    return result


async def _slow_run(ctx):
    chunk = ctx.chunk

    @asynccontextmanager
    async def slow_chunk():
        async with chunk() as session:
            yield session
        await asyncio.sleep(_PAUSE)  # after the commit: SQLite's other writer gets its turn

    ctx.chunk = slow_chunk
    return await _run(ctx)


billing.catch_up, billing.run = _slow_catch_up, _slow_run

import server  # noqa: E402  (after the patches)

if __name__ == "__main__":
    server.main()
