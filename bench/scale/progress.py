"""What the generator is doing and how fast: one line per step with rows and rows/s, and
running counts every few seconds during long steps, so a slow step shows at once."""

import sys
import time
from contextlib import contextmanager

EVERY = 5.0


class Progress:
    def __init__(self, label: str):
        self.label = label
        self.began = time.perf_counter()
        self.last_tick = 0.0
        self.steps: list[tuple[str, int | None, float]] = []

    def _print(self, text: str) -> None:
        print(f"  [{self.label} {time.perf_counter() - self.began:6.1f} s] {text}", flush=True)

    def tick(self, what: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - self.last_tick >= EVERY and done < total:
            self.last_tick = now
            self._print(f"{what}: {done:,} / {total:,} customers")

    @contextmanager
    def step(self, what: str, rows: int | None = None):
        started = self.last_tick = time.perf_counter()
        box = {"rows": rows}
        yield box
        elapsed = time.perf_counter() - started
        rows = box["rows"]
        self.steps.append((what, rows, elapsed))
        if rows is None:
            self._print(f"{what}: {elapsed:.1f} s")
        else:
            self._print(f"{what}: {rows:,} in {elapsed:.1f} s ({rows / max(elapsed, 1e-9):,.0f}/s)")

    def done_many(self, counts: dict[str, int], elapsed: float) -> None:
        total = sum(counts.values())
        self.steps.append(("rows", total, elapsed))
        listing = ", ".join(f"{table} {n:,}" for table, n in counts.items())
        self._print(f"{total:,} rows in {elapsed:.1f} s ({total / elapsed:,.0f}/s): {listing}")

    @property
    def total(self) -> float:
        return time.perf_counter() - self.began


def warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr, flush=True)
