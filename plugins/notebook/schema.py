"""The `notebook` field on Customer, the notes that mention you, and the note mutations."""

import strawberry
from strawberry import UNSET

from core import access
from plugins.notebook import queries as q
from plugins.notebook import service
from plugins.notebook.types import Note
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id, from_global_ids
from schema.payloads import DeletePayload, deleted, payload
from schema.relay import Connection

BODY = "Markdown, stored exactly as written; required, at most 20,000 characters."
MENTIONS = (
    "Workers of the business the note mentions, e.g. picked from an @-autocomplete; the body "
    "is never parsed for them. Each one hears of it once (`note.mentioned`). At most 50."
)


@strawberry.type(description="A customer's notes: what the Notes tab shows.")
class CustomerNotebook:
    customer_id: strawberry.Private[int]

    @strawberry.field(
        description="Pinned first, then newest; at most 100 a page (default 20). Its "
        "`totalCount` is every note of the customer, the tab's badge."
    )
    async def notes(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Note]:
        return await kit.customer_list(
            info,
            "notebook.notes",
            q.N,
            self.customer_id,
            q.PINNED_NEWEST,
            first,
            after,
            Note.from_row,
        )

    @strawberry.field(description="How many of the notes are pinned.")
    async def pinned_count(self, info: Info) -> int:
        return await kit.loader(info, "notebook.pinned", q.pinned_counts).load(self.customer_id)


async def customer_notebook(root: Customer, info: Info) -> CustomerNotebook:
    access.require(info.context.principal, "notebook.view")
    return CustomerNotebook(customer_id=root.pk)


async def notes_mentioning_me(
    info: Info, first: int | None = None, after: str | None = None
) -> Connection[Note]:
    principal = info.context.principal
    access.require(principal, "notebook.view")
    query = q.mentioning(principal, principal.worker_id)
    return await kit.tenant_list(info, query, q.NEWEST, first, after, Note.from_row)


NotePayload = payload(Note, "note")


@strawberry.input(description="A new note on a customer, written by you.")
class AddNoteInput:
    customer_id: strawberry.ID
    body: str = strawberry.field(description=BODY)
    pinned: bool = False
    mention_ids: list[strawberry.ID] = strawberry.field(default_factory=list, description=MENTIONS)


@strawberry.input(
    description="Only the members sent change. Its author may change a note, and so may "
    "anyone with `notebook.manage_all`; pinning is a change too."
)
class UpdateNoteInput:
    id: strawberry.ID
    body: str | None = strawberry.field(default=UNSET, description=BODY)
    pinned: bool | None = UNSET
    mention_ids: list[strawberry.ID] | None = strawberry.field(
        default=UNSET, description=MENTIONS + " Replaces the mentions; null or []: none."
    )


@strawberry.input(description="Its author may delete a note, and so may `notebook.manage_all`.")
class DeleteNoteInput:
    id: strawberry.ID


def _note_id(value: strawberry.ID) -> int:
    return from_global_id(value, "Note")


async def add_note(info: Info, input: AddNoteInput) -> NotePayload:
    data = {
        "customer_id": from_global_id(input.customer_id, "Customer"),
        "body": input.body,
        "pinned": input.pinned,
        "mention_ids": from_global_ids(input.mention_ids, "Worker"),
    }

    def work(session, principal):
        return service.add_note(session, principal, data)

    return await kit.save(info, NotePayload, "note", Note, work, "customerId")


async def update_note(info: Info, input: UpdateNoteInput) -> NotePayload:
    changes = {k: getattr(input, k) for k in ("body", "pinned") if getattr(input, k) is not UNSET}
    if input.mention_ids is not UNSET:
        changes["mention_ids"] = from_global_ids(input.mention_ids, "Worker")
    note_id = _note_id(input.id)

    def work(session, principal):
        return service.update_note(session, principal, note_id, changes)

    return await kit.save(info, NotePayload, "note", Note, work)


async def delete_note(info: Info, input: DeleteNoteInput) -> DeletePayload:
    note_id = _note_id(input.id)
    return await deleted(info, input.id, lambda s, p: service.delete_note(s, p, note_id))


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_notebook,
        name="notebook",
        description='Notes module (tab "Notes"): many Markdown notes, pinned first. Not '
        "core's one-text `notes` field, which stays as it is.",
    )
]
QUERY_FIELDS = [
    strawberry.field(
        resolver=notes_mentioning_me,
        description="Notes that mention you, newest first, of the customers you see.",
    )
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=add_note, description="Write a note on a customer."),
    strawberry.mutation(resolver=update_note, description="Change a note's body, pin or mentions."),
    strawberry.mutation(resolver=delete_note, description="Delete a note for good."),
]
