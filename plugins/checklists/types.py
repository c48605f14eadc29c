"""Checklists, their items and templates as GraphQL types. Items, templates, folders and
workers load through per-request loaders, so a page of lists costs the same whatever its
length."""

from datetime import datetime

import strawberry
from strawberry import Private

from plugins.checklists import queries as q
from schema import kit
from schema.catalog.types import Folder
from schema.context import Info
from schema.customers.types import Customer
from schema.relay import Node
from schema.team.types import Worker


def loader(info: Info, key: str, batch):
    return kit.loader(info, f"checklists.{key}", batch)


@strawberry.type(description="How far a checklist is: `done` of `total` items checked (3/7).")
class ChecklistProgress:
    done: int
    total: int


@strawberry.type(description="A reusable checklist; folders may hand it to customers entering.")
class ChecklistTemplate(Node):
    name: str
    items: list[str] = strawberry.field(description="The items, in order.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row) -> "ChecklistTemplate":
        return kit.from_row(cls, row, items=list(row["items"] or []))

    @strawberry.field(
        description="A customer entering one of these folders gets a list from this template "
        "(once: not while they have a list made from it)."
    )
    async def folders(self, info: Info) -> list[Folder]:
        ids = await loader(info, "folders_of", q.folders_of).load(self.pk)
        rows = await info.context.loaders.folder.load_many(ids)
        return [Folder.from_row(r) for r in rows if r]


async def load_template(info: Info, pk: int) -> ChecklistTemplate | None:
    row = await loader(info, "template", q.templates_by_ids).load(pk)
    return ChecklistTemplate.from_row(row) if row else None


@strawberry.type(description="One line of a checklist.")
class ChecklistItem(Node):
    text: str
    position: int = strawberry.field(description="Its place in the list, counting from 1.")
    checked_at: datetime | None
    checked_by_id: Private[int | None]
    checklist_id: Private[int]

    @classmethod
    def from_row(cls, row) -> "ChecklistItem":
        return kit.from_row(cls, row)

    @strawberry.field
    def checked(self) -> bool:
        return self.checked_at is not None

    @strawberry.field(description="Who checked it; null while unchecked or once removed.")
    async def checked_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.checked_by_id)

    @strawberry.field
    async def checklist(self, info: Info) -> "Checklist | None":
        return await load_checklist(info, self.checklist_id)


@strawberry.type(description="A customer's checklist; its items were copied when it was made.")
class Checklist(Node):
    name: str
    created_at: datetime
    completed_at: datetime | None = strawberry.field(
        description="When its last item was checked; null while any is unchecked."
    )
    customer_id: Private[int]
    template_id: Private[int | None]
    created_by_id: Private[int | None]
    item_count: Private[int]
    done_count: Private[int]

    @classmethod
    def from_row(cls, row) -> "Checklist":
        return kit.from_row(cls, row)

    @strawberry.field
    def progress(self) -> ChecklistProgress:
        return ChecklistProgress(done=self.done_count, total=self.item_count)

    @strawberry.field(description="In order.")
    async def items(self, info: Info) -> list[ChecklistItem]:
        rows = await loader(info, "items", q.items_of).load(self.pk)
        return [ChecklistItem.from_row(r) for r in rows]

    @strawberry.field(description="What it was made from; null when made by hand or deleted.")
    async def template(self, info: Info) -> ChecklistTemplate | None:
        return None if self.template_id is None else await load_template(info, self.template_id)

    @strawberry.field(description="Who added it; null when a folder did, or once removed.")
    async def created_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.created_by_id)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)


load_checklist = kit.node_loader(q.C, Checklist)


async def load_item(info: Info, pk: int) -> ChecklistItem | None:
    row = await loader(info, "item", q.items_by_ids).load(pk)
    return ChecklistItem.from_row(row) if row else None
