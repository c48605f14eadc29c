"""Events: every change that matters is named and emitted inside the transaction that makes
it, as a row of the event log (the outbox). After the commit `core.outbox` publishes it and
runs the handlers of the modules the tenant enabled (`hub_handle_event`)."""

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.models import utcnow
from core.plugins import Plugins

# Core's events and their data. A `ref` is `{"id": 3, "name": "VIP"}`: the row's id and its
# name when the event happened. Listed for readers in README.md ("Events").
CORE_EVENT_TYPES = frozenset(
    {
        "customer.created",  # {}; then one link event per kind of link it was created with
        "customer.updated",  # {"changed": [field keys]}: its own fields, never its links
        "customer.deleted",  # {}
        "customer.merged",  # {"sourceId": id}; on the target, which may then gain links
        "customer.merged_away",  # {"intoId": id}; on the source, just before it is deleted
        # {"mergeId", "sourceId", "kept": [columns the target changed since]} on the target;
        # {"mergeId"} on the source, back under its id (core/merge_undo.py)
        "customer.merge_undone",
        "customer.status_changed",  # {"from": ref | null, "to": ref | null}
        "customer.folder_changed",  # {"added": [ref], "removed": [ref]}: folders
        "customer.folder_status_changed",  # {"folder": ref, "from": ref | null, "to": ref}
        "customer.tags_changed",  # {"added": [ref], "removed": [ref]}: tags
        "customer.workers_changed",  # {"added": [ref], "removed": [ref]}: assigned workers
        "customer.contact_added",  # {"contact": ref}: a person at the customer
        "customer.contact_updated",  # {"contact": ref, "changed": [field keys]}
        "customer.contact_removed",  # {"contact": ref}
        "customer.primary_contact_changed",  # {"from": ref | null, "to": ref | null}
        "module.enabled",
        "module.disabled",
        "permissions.changed",
        "api_key.created",
        "api_key.revoked",
        "worker.created",  # {"workerId": id, "role": role}
        "worker.updated",  # {"workerId": id, "changed": [field keys]}
        "worker.deleted",  # {"workerId": id}
        # {"jobId", "kind", "status", "done", "total"}; job.finished adds "error" (core/jobs.py)
        "job.queued",
        "job.started",
        "job.progressed",
        "job.finished",
        "file.uploaded",  # {"fileId": id, "name": safe name, "size": bytes}
        "segment.members_added",  # {"segment": ref}: the customer joined a static segment
        "segment.members_removed",  # {"segment": ref}: the customer left a static segment
        "customer.archived",  # {}: out of lists and counts until restored (core/archive.py)
        "customer.restored",  # {}
        # One per chunk of a CSV import (not one per row): {"importId", "created", "updated"}
        "customers.imported",
        "customers.import_reverted",  # {"importId", "deleted", "restored"}, per chunk
    }
)


@dataclass(frozen=True)
class Event:
    name: str
    tenant_id: int
    customer_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    actor_id: int | None = None
    occurred_at: datetime = field(default_factory=utcnow)
    id: int | None = None


def bind(session: AsyncSession, plugins: Plugins, enabled: frozenset[str]) -> None:
    """Give a write transaction what `emit` needs: the plugins and the tenant's modules.
    `session.info["event_data"]`, when a caller sets it, is added to the data of every event
    emitted meanwhile (automation stamps what its actions cause with `automationDepth`)."""
    session.info["plugins"] = plugins
    session.info["modules"] = enabled
    session.info["events"] = []
    session.info["records"] = []


async def emit(session: AsyncSession, event: Event) -> None:
    plugins: Plugins | None = session.info.get("plugins")
    if plugins is None:
        raise RuntimeError("emit() needs a session prepared by core.events.bind()")
    if event.name not in CORE_EVENT_TYPES and event.name not in plugins.event_types():
        raise ValueError(f"undeclared event type {event.name!r}")
    stamp = session.info.get("event_data")  # e.g. automation's {"automationDepth": n}
    if stamp:
        event = replace(event, data={**event.data, **stamp})
    session.info["events"].append(event)
    session.info["records"].append(audit.record(session, event))


def emitted(session: AsyncSession) -> list[Event]:
    return list(session.info.get("events", []))
