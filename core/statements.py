"""SQL statements per request, counted on the engine: the request log and the metrics say
how many a request ran, which is how an N+1 shows in production (tests count them too)."""

from contextvars import ContextVar

from sqlalchemy import event

_counter: ContextVar[list[int] | None] = ContextVar("statements", default=None)


def _seen(*_args) -> None:
    counter = _counter.get()
    if counter is not None:
        counter[0] += 1


def watch(engine) -> None:
    """Count this engine's statements for whichever request runs them."""
    event.listen(engine.sync_engine, "before_cursor_execute", _seen)


def count() -> list[int]:
    """Start counting for the current task and the tasks it starts; `[n]` grows as they run."""
    counter = [0]
    _counter.set(counter)
    return counter
