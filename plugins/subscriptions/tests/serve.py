"""`python plugins/subscriptions/tests/serve.py`: `server.py` whose billing run takes small,
slowed chunks (`TEST_BILLING_BATCH` subscriptions, `TEST_BILLING_PAUSE` seconds after each
subscription, inside the chunk's transaction), so a test can run two processes' runs side by
side and kill one in the middle of a run."""

import asyncio
import os

import server
from plugins.subscriptions import billing

billing.BATCH = int(os.environ.get("TEST_BILLING_BATCH", "2"))
_PAUSE = float(os.environ.get("TEST_BILLING_PAUSE", "0"))
_catch_up = billing.catch_up


async def _slow_catch_up(*args, **kwargs):
    result = await _catch_up(*args, **kwargs)
    await asyncio.sleep(_PAUSE)
    return result


billing.catch_up = _slow_catch_up

if __name__ == "__main__":
    server.main()
