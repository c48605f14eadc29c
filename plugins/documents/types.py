"""The Document, DocumentVersion and DocumentLabel types. The bytes are core's: a version's
`file` is core's `StoredFile` (name, size, sniffed type, `downloadUrl`), loaded through
core's own loader, so `files.view` and the customer's visibility apply to it as everywhere.
What hangs off a document loads through per-request loaders, batched over the page."""

from datetime import datetime

import strawberry
from strawberry import Private

from core import access
from plugins.documents import queries as q
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.files import StoredFile, load_file
from schema.relay import Node
from schema.team.types import Worker


async def _stored(info: Info, file_id: int) -> StoredFile | None:
    row = await load_file(info, file_id)
    return StoredFile.from_row(row) if row else None


@strawberry.type(description="A label the business files documents under, with its colour.")
class DocumentLabel(Node):
    name: str
    color: str = strawberry.field(description="`#rrggbb`.")
    created_at: datetime

    @classmethod
    def from_row(cls, row) -> "DocumentLabel":
        return kit.from_row(cls, row)


@strawberry.type(description="One upload of a document; the highest number is the current one.")
class DocumentVersion:
    number: int = strawberry.field(description="1 for the first upload, then 2, 3…")
    created_at: datetime
    file_id: Private[int]
    added_by: Private[int | None]
    current: bool = strawberry.field(description="Whether this is the document's newest version.")

    @strawberry.field(
        description="The stored bytes (name, size, type, `downloadUrl`); null without `files.view`."
    )
    async def file(self, info: Info) -> StoredFile | None:
        return await _stored(info, self.file_id)

    @strawberry.field(description="Who uploaded it; null once that worker is removed.")
    async def uploaded_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.added_by)


@strawberry.type(description="A customer's document: a title, labels and its versions.")
class Document(Node):
    title: str = strawberry.field(description="Its name in the tab; the file's name at first.")
    version_count: int
    created_at: datetime
    updated_at: datetime = strawberry.field(description="Last rename, relabel or version.")
    latest_at: datetime = strawberry.field(description="When the current version was added.")
    customer_id: Private[int]
    file_id: Private[int]
    created_by: Private[int | None]
    latest_by: Private[int | None]

    @classmethod
    def from_row(cls, row) -> "Document":
        return kit.from_row(cls, row)

    @strawberry.field(description="The current version's bytes; null without `files.view`.")
    async def file(self, info: Info) -> StoredFile | None:
        return await _stored(info, self.file_id)

    @strawberry.field(description="Bytes of the current version.")
    async def size(self, info: Info) -> int | None:
        file = await _stored(info, self.file_id)
        return file.size if file else None

    @strawberry.field(description="Type of the current version, sniffed from its bytes.")
    async def content_type(self, info: Info) -> str | None:
        file = await _stored(info, self.file_id)
        return file.content_type if file else None

    @strawberry.field(description="Who uploaded the current version.")
    async def uploaded_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.latest_by)

    @strawberry.field(description="Who added the document.")
    async def added_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.created_by)

    @strawberry.field(description="By name.")
    async def labels(self, info: Info) -> list[DocumentLabel]:
        rows = await kit.loader(info, "documents.labels", q.labels_of).load(self.pk)
        return [DocumentLabel.from_row(r) for r in rows]

    @strawberry.field(description="Every version, newest (the current one) first.")
    async def versions(self, info: Info) -> list[DocumentVersion]:
        rows = await kit.loader(info, "documents.versions", q.versions).load(self.pk)
        return [kit.from_row(DocumentVersion, r, current=r["number"] == self.version_count)
                for r in rows]  # fmt: skip

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)


def _viewed(load):
    """`node(id:)`: null without `documents.view`, as for a row the viewer may not see."""

    async def guarded(info: Info, pk: int):
        if not access.can(info.context.principal, "documents.view"):
            return None
        return await load(info, pk)

    return guarded


load_document = _viewed(kit.node_loader(q.D, Document))
load_label = _viewed(kit.tenant_node_loader(q.L, DocumentLabel))
