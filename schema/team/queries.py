"""Who is signed in, and the tenant's workers."""

import strawberry

from core.customer_queries import ordered
from core.models import Worker as WorkerRow
from schema.context import Info
from schema.team.types import Me, Tenant, Worker


@strawberry.type
class TeamQueries:
    @strawberry.field(description="The signed-in worker, their tenant and permissions.")
    async def me(self, info: Info) -> Me:
        ctx = info.context
        principal = ctx.principal
        return Me(
            worker=Worker.from_row(await ctx.loaders.worker.load(principal.worker_id)),
            tenant=Tenant.from_row(await ctx.loaders.tenant.load(principal.tenant_id)),
            permissions=sorted(principal.permissions),
        )

    @strawberry.field(description="The tenant's workers in order.")
    async def workers(self, info: Info) -> list[Worker]:
        ctx = info.context
        async with ctx.read() as conn:
            rows = await ordered(conn, WorkerRow, ctx.principal.tenant_id)
        return [Worker.from_row(r) for r in rows]
