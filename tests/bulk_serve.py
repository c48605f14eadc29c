"""`python tests/bulk_serve.py`: `server.py` whose bulk jobs take small, slowed chunks
(`TEST_BULK_CHUNK` customers, `TEST_BULK_PAUSE` seconds inside each chunk's transaction), so
a test can kill a process in the middle of one or run two side by side."""

import asyncio
import os

import server
from core import bulk

bulk.CHUNK = int(os.environ.get("TEST_BULK_CHUNK", "3"))
_PAUSE = float(os.environ.get("TEST_BULK_PAUSE", "0"))
_apply_to = bulk.apply_to


async def _slow_apply_to(*args, **kwargs):
    result = await _apply_to(*args, **kwargs)
    await asyncio.sleep(_PAUSE)
    return result


bulk.apply_to = _slow_apply_to

if __name__ == "__main__":
    server.main()
