"""The sticky notes tab's GraphQL face, written on the module kit as a third party would:
types from rows, a keyset connection per customer batched over a list page, node loading
under the visibility rule, and create / update / delete mutations with `userErrors`."""

from datetime import datetime

import strawberry
from sqlalchemy import select

from core import records
from core.customers import get_customer
from core.errors import InvalidInput
from core.keyset import Order
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.payloads import DeletePayload, UserError, mutate, payload
from schema.relay import Connection, Node
from tests.sticky_notes.models import StickyNote as Row

T = Row.__table__
NEWEST = Order("newest", ((T.c.created_at, True, False),), T.c.id)
MAX_TEXT = 500


@strawberry.type(description="A sticky note on a customer.")
class StickyNote(Node):
    text: str
    created_at: datetime
    customer_id: strawberry.Private[int]

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)


async def _all_of(conn, principal, customer_ids):
    rows = await conn.execute(
        select(*T.c)
        .where(T.c.tenant_id == principal.tenant_id, T.c.customer_id.in_(customer_ids))
        .order_by(T.c.id)
    )
    found = {i: [] for i in customer_ids}
    for row in rows.mappings():
        found[row["customer_id"]].append(kit.from_row(StickyNote, row))
    return [found[i] for i in customer_ids]


@strawberry.type(description="The customer's sticky notes.")
class StickyNotes:
    customer_id: strawberry.Private[int]

    @strawberry.field(description="All of them, oldest first.")
    async def notes(self, info: Info) -> list[StickyNote]:
        return await kit.loader(info, "sticky_notes.all", _all_of).load(self.customer_id)

    @strawberry.field
    async def count(self, info: Info) -> int:
        return len(await self.notes(info))

    @strawberry.field(description="Newest first, at most 100 a page (default 20).")
    async def page(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[StickyNote]:
        def build(row):
            return kit.from_row(StickyNote, row)

        return await kit.customer_list(
            info, "sticky_notes.page", T, self.customer_id, NEWEST, first, after, build
        )


async def sticky_notes(root: Customer, info: Info) -> StickyNotes:
    return StickyNotes(customer_id=root.pk)


load_note = kit.node_loader(T, StickyNote)


# --- writes ---------------------------------------------------------------------------------


def _text(value: str) -> str:
    text = value.strip()
    if not 0 < len(text) <= MAX_TEXT:
        raise InvalidInput.one(("input", "text"), f"1 to {MAX_TEXT} characters.", "INVALID")
    return text


StickyNotePayload = payload(StickyNote, "note")
AddStickyNotePayload = strawberry.type(
    type("AddStickyNotePayload", (), {"__annotations__": {"note": StickyNote | None,
                                                          "user_errors": list[UserError]}}),
    description="The note as written, or why nothing was written.",
)  # fmt: skip


@strawberry.input
class AddStickyNoteInput:
    customer_id: strawberry.ID
    text: str


@strawberry.input
class UpdateStickyNoteInput:
    id: strawberry.ID
    text: str


@strawberry.input
class DeleteStickyNoteInput:
    id: strawberry.ID


async def add_sticky_note(info: Info, input: AddStickyNoteInput) -> AddStickyNotePayload:
    async def work(session, principal):
        customer_id = from_global_id(input.customer_id, "Customer")
        customer = await get_customer(session, principal, customer_id)
        row = Row(tenant_id=principal.tenant_id, customer_id=customer.id, text=_text(input.text))
        session.add(row)
        await session.flush()
        await records.emit(session, principal, "sticky_note.added", customer.id, text=row.text)
        return row

    return await kit.save(info, AddStickyNotePayload, "note", StickyNote, work, "customerId")


async def update_sticky_note(info: Info, input: UpdateStickyNoteInput) -> StickyNotePayload:
    async def work(session, principal):
        row = await records.for_update(
            session, principal, Row, from_global_id(input.id, "StickyNote"), "Sticky note"
        )
        row.text = _text(input.text)
        await session.flush()
        await records.emit(
            session, principal, "sticky_note.updated", row.customer_id, noteId=row.id
        )
        return row

    return await kit.save(info, StickyNotePayload, "note", StickyNote, work)


async def delete_sticky_note(info: Info, input: DeleteStickyNoteInput) -> DeletePayload:
    async def work(session, principal):
        row = await records.for_update(
            session, principal, Row, from_global_id(input.id, "StickyNote"), "Sticky note"
        )
        await session.delete(row)
        await records.emit(
            session, principal, "sticky_note.deleted", row.customer_id, noteId=row.id
        )
        return input.id

    deleted, errors = await mutate(info, work)
    return DeletePayload(deleted_id=deleted, user_errors=errors)
