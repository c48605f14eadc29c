"""The hook implementations of the sticky notes module, and nothing else."""

from collections.abc import AsyncGenerator
from pathlib import Path

import strawberry
from sqlalchemy import select

from core import keyset, records
from core.access import ROLES
from core.customers import get_customer
from core.errors import InvalidInput
from core.hookspecs import hookimpl
from core.plugins import Module
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.payloads import UserError, mutate
from schema.tabs import TabSpec
from tests.sticky_notes.models import StickyNote as Row

T = Row.__table__


@strawberry.type(description="A sticky note on a customer.")
class StickyNote:
    text: str


@strawberry.type(description="The customer's sticky notes.")
class StickyNotes:
    notes: list[StickyNote]

    @strawberry.field
    def count(self) -> int:
        return len(self.notes)


async def _notes_of(conn, principal, customer_ids):
    rows = await conn.execute(
        select(Row.customer_id, Row.text)
        .where(Row.tenant_id == principal.tenant_id, Row.customer_id.in_(customer_ids))
        .order_by(Row.id)
    )
    found = {i: [] for i in customer_ids}
    for customer_id, text in rows:
        found[customer_id].append(StickyNote(text=text))
    return [found[i] for i in customer_ids]


async def sticky_notes(root: Customer, info: Info) -> StickyNotes:
    notes = await info.context.loaders.custom("sticky_notes", _notes_of).load(root.pk)
    return StickyNotes(notes=notes)


@strawberry.input
class AddStickyNoteInput:
    customer_id: strawberry.ID
    text: str


@strawberry.type
class AddStickyNotePayload:
    note: StickyNote | None
    user_errors: list[UserError]


async def add_sticky_note(info: Info, input: AddStickyNoteInput) -> AddStickyNotePayload:
    async def work(session, principal):
        customer = await get_customer(
            session, principal, from_global_id(input.customer_id, "Customer")
        )
        text = input.text.strip()
        if not 0 < len(text) <= 500:
            raise InvalidInput.one(("input", "text"), "1 to 500 characters.", "INVALID")
        session.add(Row(tenant_id=principal.tenant_id, customer_id=customer.id, text=text))
        await records.emit(session, principal, "sticky_note.added", customer.id, text=text)
        return StickyNote(text=text)

    note, errors = await mutate(info, work, "customerId")
    return AddStickyNotePayload(note=note, user_errors=errors)


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
    return ["sticky_note.added"]


@hookimpl
def hub_handle_event(session, event):
    HANDLED.append((event.tenant_id, event.name))


@hookimpl
def hub_customer_fields():
    return [strawberry.field(resolver=sticky_notes, description="Sticky notes module.")]


async def sticky_note_pings(info: Info) -> AsyncGenerator[int, None]:
    """One ping, then the failure of a bug: the socket must mask it like HTTP does."""
    yield 1
    raise RuntimeError("sticky internals: password=hunter2")


@hookimpl
def hub_subscription_fields():
    return [strawberry.subscription(resolver=sticky_note_pings, description="Test pings.")]


@hookimpl
def hub_mutation_fields():
    return [strawberry.mutation(resolver=add_sticky_note, description="Pin a note.")]


@hookimpl
def hub_profile_tabs():
    return [TabSpec("sticky_notes", "Notes", "sticky-note", 50, "sticky_notes.view")]


@hookimpl
def hub_badge_counts(conn, principal, customer_ids):
    async def counts():
        found = await keyset.counts(conn, T, "customer_id", principal.tenant_id, customer_ids)
        return {"sticky_notes": dict(zip(customer_ids, found, strict=True))}

    return counts()


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return records.move_to_customer(session, tenant_id, source_id, target_id, Row)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    async def export():
        rows = await conn.execute(
            select(Row.text).where(Row.tenant_id == tenant_id, Row.customer_id == customer_id)
        )
        return {"sticky_notes": [text for (text,) in rows]}

    return export()


@hookimpl
def hub_sub_customer_created(session, tenant_id, parent_id, child_id, copy_fields):
    session.add(Row(tenant_id=tenant_id, customer_id=child_id, text=f"Sub-customer of {parent_id}"))
