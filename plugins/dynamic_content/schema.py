"""`Customer.dynamicContent` (the blocks a customer gets, rendered for them), the settings
list and a preview, and the block mutations.

Rendering reads the tenant's active blocks once per request, and the customer's folders,
status and custom field definitions through core's loaders, so a page costs the same
statements whatever its length; `count` is one grouped select for the page (and compiles)."""

import strawberry
from strawberry import UNSET

from core import access, custom_fields
from core.errors import InvalidInput
from plugins.dynamic_content import queries as q
from plugins.dynamic_content import render, service
from plugins.dynamic_content.types import (
    DynamicContentBlock,
    DynamicContentPreview,
    RenderedBlock,
    load_block,
)
from schema import kit
from schema.compiled.customers import ModuleField
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id, from_global_ids
from schema.payloads import DeletePayload, deleted, payload, reordered

VIEW = "dynamic_content.view"
COUNT_FIELDS = {"count": ("n", "int", "0")}


async def _active_blocks(info: Info) -> list[dict]:
    async def batch(conn, principal, keys):
        rows = await q.blocks(conn, principal.tenant_id, active_only=True)
        return [rows for _ in keys]

    return await kit.loader(info, "dynamic_content.active", batch).load(0)


async def _values(info: Info, customer: Customer) -> tuple[dict, list[int]]:
    """What a template may name for this customer, and the customer's folder ids. `fields`
    holds only the custom fields shown for the customer (their folders and conditions):
    a hidden field renders empty, as it would be absent from the profile."""
    loaders = info.context.loaders
    memberships = await loaders.memberships_of.load(customer.pk)
    definitions = await loaders.field_definitions.load(0)
    status = await loaders.status.load(customer.status_id) if customer.status_id else None
    folder_ids = [m["id"] for m in memberships]
    shown = custom_fields.visible(definitions, folder_ids, customer.values)
    values = {
        "name": customer.name,
        "email": next((e.value for e in customer.emails if e.primary), None),
        "phone": next((p.value for p in customer.phones if p.primary), None),
        "company": customer.company,
        "city": customer.city,
        "status": status["name"] if status else None,
        "folders": [m["name"] for m in memberships],
        "fields": {d["key"]: custom_fields.typed(d, customer.values.get(d["key"])) for d in shown},
        "kind": customer.kind.value,
        "salutation": customer.salutation,
        "job_title": customer.job_title,
        "industry": customer.industry,
        "website": customer.website,
    }
    return values, folder_ids


def _rendered(source: str, values: dict) -> tuple[str, str, str | None]:
    try:
        return (*render.render(source, values), None)
    except render.RenderError as exc:
        return "", "", exc.message


@strawberry.type(description="The content blocks that apply to a customer: the tab's content.")
class CustomerDynamicContent:
    customer: strawberry.Private[Customer]

    @strawberry.field(
        description="The active blocks that apply to the customer (not limited, or limited to "
        "one of its folders), in order, rendered for the customer."
    )
    async def blocks(self, info: Info) -> list[RenderedBlock]:
        found = await _active_blocks(info)
        values, folder_ids = await _values(info, self.customer)
        shown = []
        for block in found:
            if q.applies(block, folder_ids):
                markdown, html, error = _rendered(block["body"], values)
                shown.append(
                    RenderedBlock(
                        pk=block["id"],
                        title=block["title"],
                        markdown=markdown,
                        html=html,
                        error=error,
                    )
                )
        return shown

    @strawberry.field(description="How many blocks apply to the customer: the tab's badge.")
    async def count(self, info: Info) -> int:
        return await kit.loader(info, "dynamic_content.count", q.counts).load(self.customer.pk)


async def customer_dynamic_content(root: Customer, info: Info) -> CustomerDynamicContent:
    access.require(info.context.principal, VIEW)
    return CustomerDynamicContent(customer=root)


def compiled_dynamic_content(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`dynamicContent { count }` in the compiled path: the badge's select."""
    if not access.can(principal, VIEW) or not set(names) <= COUNT_FIELDS.keys():
        return None
    return ModuleField(q.counts_query, COUNT_FIELDS)


async def dynamic_content_blocks(info: Info) -> list[DynamicContentBlock]:
    principal = info.context.principal
    access.require(principal, VIEW)
    async with info.context.read() as conn:
        rows = await q.blocks(conn, principal.tenant_id, active_only=False)
    return [DynamicContentBlock.from_row(r) for r in rows]


async def preview_dynamic_content(
    info: Info,
    customer_id: strawberry.ID,
    block_id: strawberry.ID | None = None,
    template: str | None = None,
) -> DynamicContentPreview | None:
    principal = info.context.principal
    access.require(principal, service.MANAGE)
    customer = await kit.customer(info, from_global_id(customer_id, "Customer"))
    if customer is None:
        return None
    if (block_id is None) == (template is None):
        raise InvalidInput.one(("blockId",), "Give a blockId or a template.", "REQUIRED")
    if template is not None and len(template) > service.MAX_BODY:
        raise InvalidInput.one(("template",), f"At most {service.MAX_BODY} characters.", "TOO_LONG")
    if block_id is not None:
        block = await load_block(info, _block_id(block_id))
        if block is None:
            return None
        template = block.body
    values, _ = await _values(info, customer)
    markdown, html, error = _rendered(template, values)
    return DynamicContentPreview(markdown=markdown, html=html, error=error)


# --- mutations -------------------------------------------------------------------------------

BlockPayload = payload(DynamicContentBlock, "block")
BlocksPayload = payload(DynamicContentBlock, "blocks", "DynamicContentBlocksPayload")
FOLDERS = "Show it only to customers in one of these folders; none or []: to every customer."


@strawberry.input(description="A new block, last in the list.")
class CreateDynamicContentBlockInput:
    title: str
    body: str = strawberry.field(description="The Markdown template (see the block's `body`).")
    active: bool = True
    folder_ids: list[strawberry.ID] | None = strawberry.field(default=None, description=FOLDERS)


@strawberry.input(description="Only the members sent change.")
class UpdateDynamicContentBlockInput:
    id: strawberry.ID
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse the change (VERSION_CONFLICT) unless at this version."
    )
    title: str | None = UNSET
    body: str | None = UNSET
    active: bool | None = UNSET
    folder_ids: list[strawberry.ID] | None = strawberry.field(
        default=UNSET, description=FOLDERS + " Replaces the folders."
    )


@strawberry.input
class DeleteDynamicContentBlockInput:
    id: strawberry.ID


@strawberry.input(description="Every block of the business, each once, in the new order.")
class ReorderDynamicContentBlocksInput:
    ids: list[strawberry.ID]


def _block_id(value) -> int:
    return from_global_id(value, "DynamicContentBlock")


async def create_dynamic_content_block(
    info: Info, input: CreateDynamicContentBlockInput
) -> BlockPayload:
    data = {
        "title": input.title,
        "body": input.body,
        "active": input.active,
        "folder_ids": from_global_ids(input.folder_ids, "Folder"),
    }

    def work(session, principal):
        return service.create_block(session, principal, data)

    return await kit.save(info, BlockPayload, "block", DynamicContentBlock, work)


async def update_dynamic_content_block(
    info: Info, input: UpdateDynamicContentBlockInput
) -> BlockPayload:
    changes = {k: getattr(input, k) for k in ("title", "body", "active")}
    changes = {k: v for k, v in changes.items() if v is not UNSET}
    if input.folder_ids is not UNSET:
        changes["folder_ids"] = from_global_ids(input.folder_ids, "Folder")
    block_id, version = _block_id(input.id), input.expected_version

    def work(session, principal):
        return service.update_block(session, principal, block_id, changes, version)

    return await kit.save(info, BlockPayload, "block", DynamicContentBlock, work)


async def delete_dynamic_content_block(
    info: Info, input: DeleteDynamicContentBlockInput
) -> DeletePayload:
    block_id = _block_id(input.id)
    return await deleted(info, input.id, lambda s, p: service.delete_block(s, p, block_id))


async def reorder_dynamic_content_blocks(
    info: Info, input: ReorderDynamicContentBlocksInput
) -> BlocksPayload:
    ids = from_global_ids(input.ids, "DynamicContentBlock")
    work = lambda s, p: service.reorder_blocks(s, p, ids)  # noqa: E731
    return await reordered(info, BlocksPayload, DynamicContentBlock, work, "ids")


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_dynamic_content,
        name="dynamicContent",
        description='Dynamic content module (tab "Info"): the business\'s content blocks '
        "that apply to this customer, filled from its fields.",
    )
]
QUERY_FIELDS = [
    strawberry.field(
        resolver=dynamic_content_blocks,
        description="The business's content blocks, in order, inactive ones too.",
    ),
    strawberry.field(
        resolver=preview_dynamic_content,
        description="A block (`blockId`) or an unsaved `template` rendered for a customer, "
        "whether or not the block applies to it; null for an unknown customer or block. "
        "Needs `dynamic_content.manage`.",
    ),
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=create_dynamic_content_block, description="Add a block."),
    strawberry.mutation(resolver=update_dynamic_content_block, description="Change a block."),
    strawberry.mutation(resolver=delete_dynamic_content_block, description="Delete a block."),
    strawberry.mutation(
        resolver=reorder_dynamic_content_blocks, description="Put the blocks in a new order."
    ),
]
