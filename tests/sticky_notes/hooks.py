"""The hook implementations of the sticky notes module, and nothing else."""

import random
from collections.abc import AsyncGenerator
from pathlib import Path

import strawberry
from sqlalchemy import insert

from core import keyset, records
from core.access import ROLES
from core.demo import BASE
from core.hookspecs import hookimpl
from core.plugins import Module
from schema.context import Info
from schema.tabs import TabSpec
from tests.sticky_notes import schema
from tests.sticky_notes.models import StickyNote as Row

HANDLED: list[tuple[int, str]] = []


@hookimpl
def hub_module():
    return Module("sticky_notes", "Sticky notes", "Short notes pinned to a customer.")


@hookimpl
def hub_tables():
    return [Row.__table__]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {"sticky_notes.view": ROLES}


@hookimpl
def hub_event_types():
    return ["sticky_note.added", "sticky_note.updated", "sticky_note.deleted"]


@hookimpl
def hub_handle_event(session, event):
    HANDLED.append((event.tenant_id, event.name))


@hookimpl
def hub_customer_fields():
    return [strawberry.field(resolver=schema.sticky_notes, description="Sticky notes module.")]


async def sticky_note_pings(info: Info) -> AsyncGenerator[int, None]:
    """One ping, then the failure of a bug: the socket must mask it like HTTP does."""
    yield 1
    raise RuntimeError("sticky internals: password=hunter2")


@hookimpl
def hub_subscription_fields():
    return [strawberry.subscription(resolver=sticky_note_pings, description="Test pings.")]


@hookimpl
def hub_mutation_fields():
    return [
        strawberry.mutation(resolver=schema.add_sticky_note, description="Pin a note."),
        strawberry.mutation(resolver=schema.update_sticky_note, description="Rewrite a note."),
        strawberry.mutation(resolver=schema.delete_sticky_note, description="Take a note off."),
    ]


@hookimpl
def hub_node_resolvers():
    return {"StickyNote": schema.load_note}


@hookimpl
def hub_profile_tabs():
    return [TabSpec("sticky_notes", "Notes", "sticky-note", 50, "sticky_notes.view")]


@hookimpl
def hub_badge_counts(conn, principal, customer_ids):
    async def counts():
        found = await keyset.counts(
            conn, schema.T, "customer_id", principal.tenant_id, customer_ids
        )
        return {"sticky_notes": dict(zip(customer_ids, found, strict=True))}

    return counts()


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return records.move_to_customer(session, tenant_id, source_id, target_id, Row)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    async def export():
        rows = await conn.execute(
            schema.T.select().where(Row.tenant_id == tenant_id, Row.customer_id == customer_id)
        )
        return {"sticky_notes": [row.text for row in rows]}

    return export()


@hookimpl
def hub_sub_customer_created(session, tenant_id, parent_id, child_id, copy_fields):
    session.add(Row(tenant_id=tenant_id, customer_id=child_id, text=f"Sub-customer of {parent_id}"))


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    rng = random.Random(seed)
    rows = [
        {"tenant_id": tenant_id, "customer_id": c, "text": "Call back", "created_at": BASE}
        for c in customer_ids
        if rng.random() < 0.2
    ]
    return session.execute(insert(Row), rows) if rows else None
