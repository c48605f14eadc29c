"""The Note type. What hangs off a note (author, customer, mentions) loads through
per-request loaders, so a page of notes costs the same whatever its length."""

from datetime import datetime

import strawberry
from strawberry import Private

from core import access
from plugins.notebook import queries as q
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.relay import Node
from schema.team.types import Worker


@strawberry.type(description="A note on a customer, written by a worker.")
class Note(Node):
    body: str = strawberry.field(
        description="Markdown, exactly as written. The server does not sanitise it: render it "
        "with a Markdown renderer that drops raw HTML and unsafe links."
    )
    pinned: bool = strawberry.field(description="Pinned notes come first.")
    created_at: datetime
    updated_at: datetime = strawberry.field(description="Last change: body, pin or mentions.")
    edited_at: datetime | None = strawberry.field(
        description="When the body last changed; null: never edited."
    )
    customer_id: Private[int]
    author_id: Private[int | None]

    @classmethod
    def from_row(cls, row) -> "Note":
        return kit.from_row(cls, row)

    @strawberry.field(description="Who wrote it; null once that worker is removed.")
    async def author(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.author_id)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)

    @strawberry.field(description="The workers the note mentions (`mentionIds`), by name.")
    async def mentions(self, info: Info) -> list[Worker]:
        rows = await kit.loader(info, "notebook.mentions", q.mentions).load(self.pk)
        return [Worker.from_row(r) for r in rows]

    @strawberry.field(
        description="Whether you may change or delete it: its author (`notebook.write`) or "
        "`notebook.manage_all`."
    )
    def viewer_can_change(self, info: Info) -> bool:
        principal = info.context.principal
        if access.can(principal, "notebook.manage_all"):
            return True
        return self.author_id == principal.worker_id and access.can(principal, "notebook.write")


load_note = kit.node_loader(q.N, Note)
