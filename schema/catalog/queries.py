"""The tenant's folders, statuses, tags and custom field definitions, in their order."""

import strawberry

from core.customer_queries import ordered
from core.models import Folder as FolderRow
from core.models import Tag as TagRow
from schema.catalog.types import CustomFieldDefinition, Folder, Status, Tag, status_list
from schema.context import Info
from schema.ids import from_global_id


async def _ordered(info: Info, model) -> list[dict]:
    ctx = info.context
    async with ctx.read() as conn:
        return await ordered(conn, model, ctx.principal.tenant_id)


@strawberry.type
class CatalogQueries:
    @strawberry.field(description="Folders in order, each with its statuses and customer count.")
    async def folders(self, info: Info) -> list[Folder]:
        return [Folder.from_row(r) for r in await _ordered(info, FolderRow)]

    @strawberry.field(description="Tags in order.")
    async def tags(self, info: Info) -> list[Tag]:
        return [Tag.from_row(r) for r in await _ordered(info, TagRow)]

    @strawberry.field(
        description="A status list in order: the customer status list, or a folder's own "
        "list when `folderId` is given (empty for an unknown folder)."
    )
    async def statuses(self, info: Info, folder_id: strawberry.ID | None = None) -> list[Status]:
        if folder_id is None:
            return await status_list(info, None)
        return await status_list(info, from_global_id(folder_id, "Folder"))

    @strawberry.field(description="Custom field definitions in order.")
    async def custom_field_definitions(self, info: Info) -> list[CustomFieldDefinition]:
        rows = await info.context.loaders.field_definitions.load(0)
        return [CustomFieldDefinition.from_row(r) for r in rows]
