"""A watch on a session app's shutdown. Full runs hung three times in the SQLite `client`'s
teardown: the portal's loop sat in `asyncio.runners._cancel_all_tasks`, one task left on it
not finishing once cancelled (one that catches the cancellation and then awaits something
that never comes, most likely). If the shutdown takes longer than `PATIENCE`, the watch
writes every task still on the loop, with its stack, to stderr and to `var/teardown-*.txt`,
and cancels them again, so a hang becomes a report and the run goes on."""

import asyncio
import io
import os
import sys
import threading
import time
from pathlib import Path

PATIENCE = 30.0  # seconds a shutdown may take before the watch speaks
TRIES = 5  # cancellations sent, PATIENCE / 3 apart


class TeardownWatch:
    def __init__(self, loop: asyncio.AbstractEventLoop, name: str):
        self.loop, self.name = loop, name
        self.done = threading.Event()
        threading.Thread(target=self._watch, name=f"watch-{name}", daemon=True).start()

    def stop(self) -> None:
        self.done.set()

    def _watch(self) -> None:
        if self.done.wait(PATIENCE):
            return
        for attempt in range(TRIES):
            tasks = self._tasks()
            report = self._report(attempt, tasks)
            sys.__stderr__.write(report)
            path = Path("var") / f"teardown-{self.name}-{os.getpid()}-{int(time.time())}.txt"
            path.parent.mkdir(exist_ok=True)
            path.write_text(report)
            for task in tasks:
                self.loop.call_soon_threadsafe(task.cancel)
            if self.done.wait(PATIENCE / 3):
                return

    def _tasks(self) -> list[asyncio.Task]:
        try:
            return [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        except RuntimeError:  # the set changed while read from this thread: once more
            return [t for t in asyncio.all_tasks(self.loop) if not t.done()]

    def _report(self, attempt: int, tasks: list[asyncio.Task]) -> str:
        out = io.StringIO()
        out.write(f"\n=== {self.name}: shutdown still running after {PATIENCE:g} s "
                  f"(cancellation {attempt + 1} of {TRIES}) ===\n")  # fmt: skip
        for task in tasks:
            out.write(f"--- {task!r}\n")
            task.print_stack(file=out)
        return out.getvalue()
