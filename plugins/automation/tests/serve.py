"""`python plugins/automation/tests/serve.py`: `server.py` whose automation steps can hang in
the middle of their chunk, for a test that kills the process there. With
`TEST_AUTOMATION_PAUSE_STEPS` (step indexes, comma-separated), a step of those indexes does
its action (its writes and events are in the chunk, not committed), appends `<run>:<step>`
to the file `TEST_AUTOMATION_MARK`, and sleeps `TEST_AUTOMATION_PAUSE` seconds before the
chunk may commit. Patched before `server` is imported."""

import asyncio
import os

from plugins.automation import runner

_STEPS = {int(s) for s in os.environ.get("TEST_AUTOMATION_PAUSE_STEPS", "").split(",") if s}
_PAUSE = float(os.environ.get("TEST_AUTOMATION_PAUSE", "60"))
_MARK = os.environ.get("TEST_AUTOMATION_MARK")
_apply = runner._apply


def _mark(line: str) -> None:
    with open(_MARK, "a") as mark:
        mark.write(line)


async def _hanging_apply(session, ctx, run, version, index, action):
    outcome = await _apply(session, ctx, run, version, index, action)
    if index in _STEPS and _MARK:
        await session.flush()
        _mark(f"{run.id}:{index}\n")
        await asyncio.sleep(_PAUSE)
    return outcome


runner._apply = _hanging_apply

import server  # noqa: E402  (after the patch)

if __name__ == "__main__":
    server.main()
