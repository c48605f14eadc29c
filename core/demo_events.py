"""Events in the demo data, so the demo is as coherent as live use: what a module's demo
rows would make another module do live (payments' invoice for an accepted order, the balance
entry of a sent payout) goes through the same contract (`docs/plugins.md`), never by one
module writing another's tables.

A module's `hub_demo_data` writes its rows and `emit`s the events its writes would have
emitted (the same data: the invoice request, the balance entry). `seed_demo`, after every
module's demo data, `deliver`s them: each is recorded in the event log like a write's and
handed to the enabled modules' `hub_handle_event` in the seeding's own transaction, as the
outbox does after a commit, and what the handlers emit in turn (payments' `invoice.issued`,
which orders turns into the order's invoice id) after it, `MAX_DEPTH` deep like the outbox.
A handler that fails fails the seeding: a demo never ships half-coherent. The delivered
events are marked published: the demo is seeded before anyone listens.

A module's demo seeded on its own (its tests call `demo.seed` in a plain session) has no
one to deliver to: its events are dropped with the session."""

import inspect

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core import events
from core.events import Event
from core.models import EventRecord, utcnow
from core.plugins import Plugins

MAX_DEPTH = 3  # as core/outbox.py


def emit(session: AsyncSession, event: Event) -> None:
    """Queue `event` (with its `occurred_at` in the demo's past) for `deliver`."""
    session.info.setdefault("demo_events", []).append(event)


async def deliver(session: AsyncSession, plugins: Plugins, enabled: frozenset[str]) -> int:
    """Record and handle the queued events and their follow-ups; how many were handled."""
    pending = session.info.pop("demo_events", [])
    if not pending:
        return 0
    events.bind(session, plugins, enabled)
    for event in pending:
        await events.emit(session, event)
    hooks = plugins.caller("hub_handle_event", enabled).get_hookimpls()
    records: list[EventRecord] = session.info["records"]
    done = 0
    for _depth in range(MAX_DEPTH + 1):
        if done == len(records):
            break
        await session.flush()
        batch, done = records[done:], len(records)
        for record in batch:
            event = Event(
                record.action,
                record.tenant_id,
                record.customer_id,
                record.data,
                record.actor_id,
                occurred_at=record.occurred_at,
                id=record.id,
            )
            for impl in hooks:
                result = impl.function(session=session, event=event)
                if inspect.isawaitable(result):
                    await result
    await session.flush()
    await session.execute(
        update(EventRecord)
        .where(EventRecord.id.in_([r.id for r in records[:done]]))
        .values(published_at=utcnow())
    )
    return done
