"""`Customer.viewerCan`: what the signed-in worker may do to this customer, so a front end
greys out what the API would refuse. Answered from the rules the mutations apply: the
permission (`core.access.can`), and for anything that changes the customer or its module
rows, a customer the worker may change (`core.access.editable_customers`, the folder edit
rule). One statement per page of customers, none for a worker who may change them all."""

import strawberry
from sqlalchemy import select

from core import access
from core.models import Customer
from schema.context import Info

VIEW_SUFFIX = ".view"


@strawberry.type(description="A module's permissions the viewer holds for this customer.")
class ModuleAbilities:
    module: str = strawberry.field(description="The module's name, e.g. `tickets`.")
    permissions: list[str] = strawberry.field(
        description="Those that apply here, e.g. `tickets.view`, `tickets.manage`; a customer "
        "the viewer may see but not change leaves only the `.view` ones."
    )

    @strawberry.field(description="Holds any permission beyond viewing the tab.")
    def manage(self) -> bool:
        return any(not p.endswith(VIEW_SUFFIX) for p in self.permissions)


@strawberry.type(description="What the viewer may do to this customer.")
class CustomerViewerCan:
    edit: bool = strawberry.field(description="Change its fields, folders, tags and workers.")
    delete: bool = strawberry.field(description="Erase it for good (`deleteCustomer`).")
    archive: bool = strawberry.field(
        description="Archive or restore it (`archiveCustomer`, `restoreCustomer`)."
    )
    modules: list[ModuleAbilities] = strawberry.field(
        description="Each enabled module whose tab the viewer may open."
    )


async def _editable(conn, principal, customer_ids) -> list[bool]:
    if not access.can(principal, "customers.edit"):
        return [False for _ in customer_ids]
    if access.can(principal, "customers.view_all"):
        return [True for _ in customer_ids]
    rows = await conn.scalars(
        select(Customer.id).where(
            access.editable_customers(principal), Customer.id.in_(customer_ids)
        )
    )
    editable = set(rows)
    return [i in editable for i in customer_ids]


def module_permissions(ctx) -> dict[str, list[str]]:
    """The enabled modules' permissions, per module (cached on the registry)."""
    cached = getattr(ctx.registry, "_module_permissions", None)
    if cached is None:
        cached = {m: sorted(p or {}) for m, p in ctx.plugins.per_module("hub_permissions").items()}
        ctx.registry._module_permissions = cached
    return cached


async def viewer_can(info: Info, customer_id: int) -> CustomerViewerCan:
    ctx = info.context
    principal = ctx.principal
    editable = await ctx.loaders.custom("customers.editable", _editable).load(customer_id)
    modules = []
    for module, permissions in module_permissions(ctx).items():
        if module not in principal.modules:
            continue
        held = [
            p
            for p in permissions
            if access.can(principal, p) and (editable or p.endswith(VIEW_SUFFIX))
        ]
        if any(p.endswith(VIEW_SUFFIX) for p in held):
            modules.append(ModuleAbilities(module=module, permissions=held))
    return CustomerViewerCan(
        edit=editable,
        delete=editable and access.can(principal, "customers.erase"),
        archive=editable and access.can(principal, "customers.delete"),
        modules=modules,
    )
