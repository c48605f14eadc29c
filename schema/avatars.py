"""Photo mutations: `setCustomerAvatar`, `removeCustomerAvatar`, `setWorkerAvatar`,
`removeWorkerAvatar` (`core/avatars.py` has the rules and the image work).

A set runs in steps so that a failure anywhere leaves nothing: who may and what was sent
(sniffed: PNG, JPEG, WebP, GIF), the thumbnails made off the event loop, pending rows, the
objects written, then one transaction pointing the customer or worker at the new photo and
retiring the old one, whose objects and rows are removed after the commit. A failure after
the rows were written removes the new objects and rows before the answer."""

import asyncio
import tempfile
from pathlib import Path

import strawberry
from sqlalchemy import delete
from strawberry.file_uploads import Upload

from core import avatars
from core.errors import InvalidInput
from core.models import StoredFile
from schema.context import Info
from schema.customers.mutations import CustomerPayload
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.payloads import UserError, as_row, mutate
from schema.team.mutations import WorkerPayload
from schema.team.types import Worker


async def _remove(ctx, tenant_id: int, keys: list[str]) -> None:
    """Objects first, then their (pending) rows: a row never goes while its object may stay."""
    for key in keys:
        await ctx.storage.delete(key)
    if keys:
        async with ctx.db.transaction(tenant_id) as session:
            await session.execute(
                delete(StoredFile).where(
                    StoredFile.tenant_id == tenant_id,
                    StoredFile.key.in_(keys),
                    StoredFile.state == "pending",
                )
            )


def _keys(tenant_id: int, avatar_key: str) -> list[str]:
    return [avatars.object_key(tenant_id, avatar_key, size) for size in avatars.SIZES]


async def _put(ctx, tenant_id: int, avatar_key: str, made: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory(prefix="hub-avatar-") as folder:
        for size, data in made.items():
            path = Path(folder) / size
            await asyncio.to_thread(path.write_bytes, data)
            key = avatars.object_key(tenant_id, avatar_key, size)
            await ctx.storage.put(key, path, avatars.WEBP)


async def set_avatar(info: Info, kind: str, owner_id: int, received, target: str):
    """(the customer or worker row, userErrors)."""
    ctx = info.context
    max_bytes = ctx.settings.upload_max_file_bytes

    async def allowed(session, principal):
        await avatars.owner(session, principal, kind, owner_id)
        return avatars.check_image(received, max_bytes)

    _, errors = await mutate(info, allowed, target)
    if errors:
        return None, errors
    try:
        made = await asyncio.to_thread(avatars.thumbnails, received.path)
    except InvalidInput as exc:
        return None, [
            UserError(field=list(p.field), message=p.message, code=p.code) for p in exc.problems
        ]
    sizes = {size: len(data) for size, data in made.items()}

    async def begin(session, principal):
        return await avatars.add_pending(session, principal, kind, owner_id, sizes)

    avatar_key, errors = await mutate(info, begin, target)
    if errors:
        return None, errors
    tenant_id = ctx.principal.tenant_id
    try:
        await _put(ctx, tenant_id, avatar_key, made)

        async def switch(session, principal):
            return await avatars.switch(session, principal, kind, owner_id, avatar_key)

        done, errors = await mutate(info, switch, target)
    except BaseException:
        await _remove(ctx, tenant_id, _keys(tenant_id, avatar_key))
        raise
    if errors:
        await _remove(ctx, tenant_id, _keys(tenant_id, avatar_key))
        return None, errors
    row, retired = done
    await _remove(ctx, tenant_id, retired)
    return row, []


async def remove_avatar(info: Info, kind: str, owner_id: int, target: str):
    async def switch(session, principal):
        return await avatars.switch(session, principal, kind, owner_id, None)

    done, errors = await mutate(info, switch, target)
    if errors:
        return None, errors
    row, retired = done
    await _remove(info.context, info.context.principal.tenant_id, retired)
    return row, []


@strawberry.input(description="A new photo for a customer, replacing any uploaded before.")
class SetCustomerAvatarInput:
    customer_id: strawberry.ID
    file: Upload = strawberry.field(
        description="PNG, JPEG, WebP or GIF (its first frame), the file part of a GraphQL "
        "multipart request; at most 40 million pixels."
    )


@strawberry.input(description="The customer whose uploaded photo goes.")
class RemoveCustomerAvatarInput:
    customer_id: strawberry.ID


@strawberry.input(description="A new photo for a worker, replacing any uploaded before.")
class SetWorkerAvatarInput:
    file: Upload = strawberry.field(
        description="PNG, JPEG, WebP or GIF (its first frame), the file part of a GraphQL "
        "multipart request; at most 40 million pixels."
    )
    worker_id: strawberry.ID | None = strawberry.field(
        default=None, description="Omitted: your own. Another's needs `workers.manage`."
    )


@strawberry.input(description="The worker whose uploaded photo goes.")
class RemoveWorkerAvatarInput:
    worker_id: strawberry.ID | None = strawberry.field(
        default=None, description="Omitted: your own. Another's needs `workers.manage`."
    )


def _customer(result, errors) -> CustomerPayload:
    node = Customer.from_row(as_row(result)) if result is not None else None
    return CustomerPayload(customer=node, user_errors=errors)


def _worker(result, errors) -> WorkerPayload:
    node = Worker.from_row(as_row(result)) if result is not None else None
    return WorkerPayload(worker=node, user_errors=errors)


def _worker_id(info: Info, value: strawberry.ID | None) -> int:
    return info.context.principal.worker_id if value is None else from_global_id(value, "Worker")


@strawberry.type
class AvatarMutations:
    @strawberry.mutation(
        description="Upload a customer's photo (a GraphQL multipart request, like "
        "`uploadFile`); needs the right to change the customer. It is cropped square and "
        "kept as 64 and 256 px WebP thumbnails without its metadata; `avatarUrl` then links "
        "to them. The previous uploaded photo is removed."
    )
    async def set_customer_avatar(
        self, info: Info, input: SetCustomerAvatarInput
    ) -> CustomerPayload:
        customer_id = from_global_id(input.customer_id, "Customer")
        return _customer(*await set_avatar(info, "customer", customer_id, input.file, "customerId"))

    @strawberry.mutation(
        description="Remove a customer's uploaded photo; `avatarUrl` falls back to the URL "
        "given as `avatarUrl`, if any."
    )
    async def remove_customer_avatar(
        self, info: Info, input: RemoveCustomerAvatarInput
    ) -> CustomerPayload:
        customer_id = from_global_id(input.customer_id, "Customer")
        return _customer(*await remove_avatar(info, "customer", customer_id, "customerId"))

    @strawberry.mutation(
        description="Upload your photo, or (with `workers.manage`) another worker's; as "
        "`setCustomerAvatar`."
    )
    async def set_worker_avatar(self, info: Info, input: SetWorkerAvatarInput) -> WorkerPayload:
        worker_id = _worker_id(info, input.worker_id)
        return _worker(*await set_avatar(info, "worker", worker_id, input.file, "workerId"))

    @strawberry.mutation(description="Remove your uploaded photo, or another worker's.")
    async def remove_worker_avatar(
        self, info: Info, input: RemoveWorkerAvatarInput
    ) -> WorkerPayload:
        worker_id = _worker_id(info, input.worker_id)
        return _worker(*await remove_avatar(info, "worker", worker_id, "workerId"))
