"""API keys for integrations and the audit log."""

from datetime import datetime

import strawberry
from sqlalchemy import func, select
from strawberry.scalars import JSON

from core import api_keys, audit
from core.access import require
from core.models import EventRecord
from core.pagination import PageRequest, fetch_page
from core.permissions import known_permissions
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.payloads import UserError, as_row, mutate
from schema.relay import Connection, Node, connection
from schema.team.types import Worker


@strawberry.type(description="A credential for an integration. The secret is shown only once.")
class ApiKey(Node):
    name: str
    prefix: str = strawberry.field(description="Identifies the key in lists; not secret.")
    permissions: list[str]
    created_at: datetime
    last_used_at: datetime | None = strawberry.field(description="Updated at most once a minute.")
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row) -> "ApiKey":
        return cls(
            pk=row["id"],
            name=row["name"],
            prefix=row["prefix"],
            permissions=list(row["permissions"]),
            created_at=row["created_at"],
            last_used_at=row["last_used_at"],
            revoked_at=row["revoked_at"],
        )


@strawberry.type(description="A change: what, by whom, when, to which customer.")
class AuditLogEntry(Node):
    action: str = strawberry.field(description="The event name, e.g. `customer.updated`.")
    occurred_at: datetime
    data: JSON
    actor_id: strawberry.Private[int | None]
    customer_id: strawberry.Private[int | None]

    @strawberry.field(description="The worker who made the change (null for the system).")
    async def actor(self, info: Info) -> Worker | None:
        if self.actor_id is None:
            return None
        row = await info.context.loaders.worker.load(self.actor_id)
        return Worker.from_row(row) if row else None

    @strawberry.field(description="The customer concerned; null if none, deleted or hidden.")
    async def customer(self, info: Info) -> Customer | None:
        if self.customer_id is None:
            return None
        row = await info.context.loaders.customer.load(self.customer_id)
        return Customer.from_row(row) if row else None


@strawberry.input
class CreateApiKeyInput:
    name: str
    permissions: list[str] = strawberry.field(
        description="What the key may do; at most what you hold yourself."
    )


@strawberry.input
class RevokeApiKeyInput:
    id: strawberry.ID


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey | None
    secret: str | None = strawberry.field(
        description="`Authorization: Bearer <secret>`. Shown only in this answer."
    )
    user_errors: list[UserError]


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey | None
    user_errors: list[UserError]


@strawberry.input(description="Entries of one customer and/or some actions.")
class AuditFilter:
    customer_id: strawberry.ID | None = None
    actions: list[str] | None = None


@strawberry.type
class SecurityQueries:
    @strawberry.field(
        description="The tenant's API keys, revoked ones included (`api_keys.manage`)."
    )
    async def api_keys(self, info: Info) -> list[ApiKey]:
        ctx = info.context
        require(ctx.principal, "api_keys.manage")
        async with ctx.read() as conn:
            rows = await api_keys.list_api_keys(conn, ctx.principal.tenant_id)
        return [ApiKey.from_row(r) for r in rows]

    @strawberry.field(description="Changes, newest first (`audit.view`).")
    async def audit_log(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: AuditFilter | None = None,
    ) -> Connection[AuditLogEntry]:
        ctx = info.context
        principal = ctx.principal
        require(principal, "audit.view")
        customer_id = None
        if filter and filter.customer_id is not None:
            customer_id = from_global_id(filter.customer_id, "Customer")
        query = audit.entries(principal, customer_id, filter.actions if filter else None)
        async with ctx.read() as conn:
            page = await fetch_page(
                conn, query, PageRequest(first, after), EventRecord.id, EventRecord.id, True
            )

        async def count() -> int:
            async with ctx.read() as conn:
                sub = query.subquery()
                return (await conn.execute(select(func.count()).select_from(sub))).scalar_one()

        nodes = [
            AuditLogEntry(
                pk=r["id"],
                action=r["action"],
                occurred_at=r["occurred_at"],
                data=r["data"],
                actor_id=r["actor_id"],
                customer_id=r["customer_id"],
            )
            for r in page.rows
        ]
        return connection(page, nodes, count)


@strawberry.type
class SecurityMutations:
    @strawberry.mutation(description="Make an API key for an integration (`api_keys.manage`).")
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        grants = info.context.plugins.permission_grants() if info.context.plugins else {}
        known = known_permissions(grants)
        result, errors = await mutate(
            info, lambda s, p: api_keys.create_api_key(s, p, input.name, input.permissions, known)
        )
        if result is None:
            return CreateApiKeyPayload(api_key=None, secret=None, user_errors=errors)
        key, secret = result
        return CreateApiKeyPayload(
            api_key=ApiKey.from_row(as_row(key)), secret=secret, user_errors=[]
        )

    @strawberry.mutation(description="Revoke an API key: refused from the next request on.")
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> RevokeApiKeyPayload:
        key_id = from_global_id(input.id, "ApiKey")
        key, errors = await mutate(info, lambda s, p: api_keys.revoke_api_key(s, p, key_id))
        node = ApiKey.from_row(as_row(key)) if key is not None else None
        return RevokeApiKeyPayload(api_key=node, user_errors=errors)
