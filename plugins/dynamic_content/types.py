"""The block as the settings page edits it, and a block as rendered for one customer."""

from datetime import datetime

import strawberry
from strawberry import Private

from plugins.dynamic_content import queries as q
from schema import kit
from schema.catalog.types import Folder
from schema.context import Info
from schema.ids import to_global_id
from schema.relay import Node

BODY = (
    "A Jinja template of Markdown: `{{ name }}`, `{{ email }}`, `{{ phone }}`, `{{ company }}`, "
    "`{{ city }}`, `{{ status }}`, `{{ folders }}` (their names), `{{ fields.<key> }}` (a "
    "custom field shown for the customer), `kind`, `salutation`, `job_title`, `industry`, "
    "`website`; `{% if %}` and `{% for %}` work. A name without a value renders empty; an "
    "unknown name, a syntax error (with its line) or `_` attributes are refused on save."
)


@strawberry.type(description="A content block of the business, shown on customer profiles.")
class DynamicContentBlock(Node):
    title: str
    body: str = strawberry.field(description=BODY)
    position: int = strawberry.field(description="Blocks show in this order (0 first).")
    active: bool = strawberry.field(description="An inactive block shows nowhere.")
    limited: bool = strawberry.field(
        description="Shown only to customers in one of `folders`; false: to every customer. "
        "A limited block whose folders were all deleted shows to nobody."
    )
    version: int = strawberry.field(
        description="Grows with every change; send it as `expectedVersion` to refuse stale "
        "edits (reordering does not change it)."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row) -> "DynamicContentBlock":
        return kit.from_row(cls, row)

    @strawberry.field(description="The folders it is limited to, in folder order.")
    async def folders(self, info: Info) -> list[Folder]:
        ids = await kit.loader(info, "dynamic_content.folders", q.folder_ids).load(self.pk)
        rows = await info.context.loaders.folder.load_many(ids)
        rows = sorted((r for r in rows if r), key=lambda r: (r["position"], r["id"]))
        return [Folder.from_row(r) for r in rows]


@strawberry.type(description="A block as it shows for one customer, placeholders filled.")
class RenderedBlock:
    pk: Private[int]
    title: str
    markdown: str = strawberry.field(
        description="The template's output: Markdown, the customer's values escaped as text."
    )
    html: str = strawberry.field(
        description="`markdown` as HTML, raw HTML escaped: safe to insert into the page."
    )
    error: str | None = strawberry.field(
        description="Why the block could not be rendered for this customer (too long, too "
        "many steps, a refused call); `markdown` and `html` are then empty."
    )

    @strawberry.field(description="The block's ID (a `DynamicContentBlock`).")
    def id(self) -> strawberry.ID:
        return to_global_id("DynamicContentBlock", self.pk)


@strawberry.type(description="A template rendered for a customer, to try it before saving.")
class DynamicContentPreview:
    markdown: str
    html: str
    error: str | None = strawberry.field(
        description="Why it could not be rendered: a syntax error with its line, an unknown "
        "placeholder, a limit; the rest is then empty."
    )


load_block = kit.tenant_node_loader(q.B, DynamicContentBlock)
