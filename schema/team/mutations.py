"""Managing workers (`workers.manage`; anyone may edit their own name, avatar and
availability) and the tenant's settings (`settings.manage`)."""

import strawberry
from strawberry import UNSET

from core import tenants, workers
from schema.catalog.mutations import DeleteInput, ReorderInput
from schema.context import Info
from schema.customers.inputs import sent
from schema.ids import from_global_id, from_global_ids
from schema.payloads import DeletePayload, as_row, deleted, input_named, mutate, payload, reordered
from schema.team.types import DuplicatePolicy, SubCustomerCopyField, Tenant, Worker, WorkerRole

DeleteWorkerInput = input_named(DeleteInput, "DeleteWorkerInput")
ReorderWorkersInput = input_named(ReorderInput, "ReorderWorkersInput")
WorkerPayload = payload(Worker, "worker")
WorkersPayload = payload(Worker, "workers", "WorkersPayload")
TenantPayload = payload(Tenant, "tenant")


@strawberry.input
class CreateWorkerInput:
    name: str
    email: str = strawberry.field(description="Unique in the tenant, ignoring case.")
    role: WorkerRole = WorkerRole.AGENT
    avatar_url: str | None = None
    at_work: bool = True


@strawberry.input(description="Only the members sent change.")
class UpdateWorkerInput:
    id: strawberry.ID
    name: str | None = UNSET
    email: str | None = UNSET
    role: WorkerRole | None = strawberry.field(
        default=UNSET, description="Only an owner gives or takes the owner role."
    )
    avatar_url: str | None = UNSET
    at_work: bool | None = UNSET
    show_sub_customers: bool | None = strawberry.field(
        default=UNSET, description="Anyone may change their own."
    )


@strawberry.input(description="Only the members sent change.")
class UpdateTenantSettingsInput:
    name: str | None = UNSET
    time_zone: str | None = strawberry.field(default=UNSET, description="IANA name.")
    sub_customer_copy_fields: list[SubCustomerCopyField] | None = UNSET
    duplicate_policy: DuplicatePolicy | None = UNSET


def _worker(result, errors):
    return WorkerPayload(
        worker=Worker.from_row(as_row(result)) if result else None, user_errors=errors
    )


@strawberry.type
class TeamMutations:
    @strawberry.mutation(description="Add a worker.")
    async def create_worker(self, info: Info, input: CreateWorkerInput) -> WorkerPayload:
        return _worker(
            *await mutate(
                info,
                lambda s, p: workers.create_worker(
                    s, p, input.name, input.email, input.role.value, input.avatar_url, input.at_work
                ),
            )
        )

    @strawberry.mutation(description="Change a worker.")
    async def update_worker(self, info: Info, input: UpdateWorkerInput) -> WorkerPayload:
        changes = sent(
            input,
            {
                "name": "name",
                "email": "email",
                "role": "role",
                "avatar_url": "avatar_url",
                "at_work": "at_work",
                "show_sub_customers": "show_sub_customers",
            },
        )
        if isinstance(changes.get("role"), WorkerRole):
            changes["role"] = changes["role"].value
        wid = from_global_id(input.id, "Worker")
        return _worker(*await mutate(info, lambda s, p: workers.update_worker(s, p, wid, changes)))

    @strawberry.mutation(description="Remove a worker; their assignments go with them.")
    async def delete_worker(self, info: Info, input: DeleteWorkerInput) -> DeletePayload:
        wid = from_global_id(input.id, "Worker")
        return await deleted(info, input.id, lambda s, p: workers.delete_worker(s, p, wid))

    @strawberry.mutation(description="Put the workers in a new order.")
    async def reorder_workers(self, info: Info, input: ReorderWorkersInput) -> WorkersPayload:
        ids = from_global_ids(input.ids, "Worker")
        return await reordered(
            info, WorkersPayload, Worker, lambda s, p: workers.reorder_workers(s, p, ids), "ids"
        )

    @strawberry.mutation(description="Change the tenant's settings.")
    async def update_tenant_settings(
        self, info: Info, input: UpdateTenantSettingsInput
    ) -> TenantPayload:
        changes = sent(
            input,
            {
                "name": "name",
                "time_zone": "time_zone",
                "sub_customer_copy_fields": "sub_customer_copy_fields",
                "duplicate_policy": "duplicate_policy",
            },
        )
        if isinstance(changes.get("duplicate_policy"), DuplicatePolicy):
            changes["duplicate_policy"] = changes["duplicate_policy"].value
        if changes.get("sub_customer_copy_fields") is not None:
            changes["sub_customer_copy_fields"] = [
                f.value for f in changes["sub_customer_copy_fields"]
            ]
        result, errors = await mutate(
            info, lambda s, p: tenants.update_tenant_settings(s, p, changes)
        )
        return TenantPayload(
            tenant=Tenant.from_row(as_row(result)) if result else None, user_errors=errors
        )
