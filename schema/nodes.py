"""`node(id:)` / `nodes(ids:)`: any object by its global ID, through the same loaders (and so
the same tenant and visibility rules) as every other path."""

import strawberry

from core.errors import InvalidInput
from schema.catalog.types import CustomFieldDefinition, Folder, Status, Tag
from schema.context import Info
from schema.customers.bulk import BulkAction, bulk_action_row
from schema.customers.imports import CustomerImport, load_import
from schema.customers.standard import CustomerContact
from schema.customers.types import Customer
from schema.files import StoredFile, load_file
from schema.ids import parse_global_id
from schema.jobs import Job, job_row
from schema.relay import Node
from schema.segments.types import Segment, load_segment
from schema.team.types import Tenant, Worker


async def _definition(info: Info, pk: int):
    for row in await info.context.loaders.field_definitions.load(0):
        if row["id"] == pk:
            return row
    return None


async def _tenant(info: Info, pk: int):
    if pk != info.context.principal.tenant_id:
        return None
    return await info.context.loaders.tenant.load(pk)


def _by_loader(name: str):
    async def load(info: Info, pk: int):
        return await getattr(info.context.loaders, name).load(pk)

    return load


RESOLVERS = {
    "Customer": (Customer, _by_loader("customer")),
    "CustomerContact": (CustomerContact, _by_loader("contact")),
    "Folder": (Folder, _by_loader("folder")),
    "Status": (Status, _by_loader("status")),
    "Tag": (Tag, _by_loader("tag")),
    "Worker": (Worker, _by_loader("worker")),
    "CustomFieldDefinition": (CustomFieldDefinition, _definition),
    "Tenant": (Tenant, _tenant),
    "Job": (Job, job_row),
    "StoredFile": (StoredFile, load_file),
    "BulkAction": (BulkAction, bulk_action_row),
    "Segment": (Segment, load_segment),
    "CustomerImport": (CustomerImport, load_import),
}


async def resolve_node(info: Info, global_id: str) -> Node | None:
    parsed = parse_global_id(global_id)
    if parsed is None:
        return None
    type_name, pk = parsed
    if type_name not in RESOLVERS:
        ctx = info.context
        load = (
            ctx.registry.node_resolver(ctx.principal.modules, type_name) if ctx.registry else None
        )
        return await load(info, pk) if load else None
    type_, load = RESOLVERS[type_name]
    row = await load(info, pk)
    return type_.from_row(row) if row else None


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object by its global ID; null when unknown or hidden.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(
        description="Objects by global ID, in order (null where unknown); at most 100."
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > 100:
            raise InvalidInput.one("ids", "At most 100 ids at once.", "TOO_MANY")
        return [await resolve_node(info, i) for i in ids]
