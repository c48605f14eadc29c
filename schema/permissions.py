"""Who may do what, readable and changeable by those holding `permissions.manage`."""

from enum import Enum

import strawberry

from core import permissions as svc
from core.access import require
from core.models import Folder as FolderRow
from schema.catalog.types import Folder
from schema.context import Info
from schema.ids import from_global_id
from schema.payloads import UserError, as_row, mutate
from schema.team.types import Worker, WorkerRole


@strawberry.enum(description="How far a role or worker may go with a folder's customers.")
class FolderAccessLevel(Enum):
    NONE = "NONE"
    VIEW = "VIEW"
    EDIT = "EDIT"


@strawberry.type(description="A role's permissions after the tenant's overrides.")
class RolePermissions:
    role: WorkerRole
    permissions: list[str]


@strawberry.type(description="A permission granted to or withdrawn from one worker.")
class WorkerPermissionOverride:
    worker_id: strawberry.Private[int]
    permission: str
    granted: bool

    @strawberry.field
    async def worker(self, info: Info) -> Worker | None:
        row = await info.context.loaders.worker.load(self.worker_id)
        return Worker.from_row(row) if row else None


@strawberry.type(description="Every permission, what each role holds, and per-worker overrides.")
class PermissionTable:
    permissions: list[str]
    roles: list[RolePermissions]
    worker_overrides: list[WorkerPermissionOverride]


@strawberry.type(description="Who may open a folder's customers.")
class FolderAccessRule:
    role: WorkerRole | None
    worker_id: strawberry.Private[int | None]
    level: FolderAccessLevel

    @strawberry.field
    async def worker(self, info: Info) -> Worker | None:
        if self.worker_id is None:
            return None
        row = await info.context.loaders.worker.load(self.worker_id)
        return Worker.from_row(row) if row else None


@strawberry.type
class PermissionTablePayload:
    table: PermissionTable | None
    user_errors: list[UserError]


@strawberry.type
class SetFolderAccessPayload:
    folder: Folder | None
    user_errors: list[UserError]


@strawberry.input(description="`granted: null` goes back to the default.")
class SetRolePermissionInput:
    role: WorkerRole
    permission: str
    granted: bool | None


@strawberry.input(description="`granted: null` removes the worker's override.")
class SetWorkerPermissionInput:
    worker_id: strawberry.ID
    permission: str
    granted: bool | None


@strawberry.input(description="For a role or for one worker (give exactly one).")
class SetFolderAccessInput:
    folder_id: strawberry.ID
    role: WorkerRole | None = None
    worker_id: strawberry.ID | None = None
    level: FolderAccessLevel


async def _table(info: Info) -> PermissionTable:
    ctx = info.context
    grants = ctx.plugins.permission_grants() if ctx.plugins else {}
    async with ctx.read() as conn:
        roles = await svc.role_table(conn, ctx.principal.tenant_id, grants)
        overrides = await svc.worker_overrides(conn, ctx.principal.tenant_id)
    return PermissionTable(
        permissions=svc.known_permissions(grants),
        roles=[
            RolePermissions(role=WorkerRole(r), permissions=sorted(p)) for r, p in roles.items()
        ],
        worker_overrides=[
            WorkerPermissionOverride(worker_id=w, permission=p, granted=g) for w, p, g in overrides
        ],
    )


async def access_rules(info: Info, folder_id: int) -> list[FolderAccessRule]:
    async with info.context.read() as conn:
        found = await svc.folder_access(conn, info.context.principal.tenant_id, [folder_id])
    return [
        FolderAccessRule(
            role=WorkerRole(role) if role else None,
            worker_id=worker_id,
            level=FolderAccessLevel.EDIT if can_edit else FolderAccessLevel.VIEW,
        )
        for role, worker_id, can_edit in found.get(folder_id, [])
    ]


@strawberry.type
class PermissionQueries:
    @strawberry.field(description="The tenant's permission table (`permissions.manage`).")
    async def permission_table(self, info: Info) -> PermissionTable:
        require(info.context.principal, "permissions.manage")
        return await _table(info)

    @strawberry.field(description="Who may open a folder's customers (`permissions.manage`).")
    async def folder_access(self, info: Info, folder_id: strawberry.ID) -> list[FolderAccessRule]:
        require(info.context.principal, "permissions.manage")
        return await access_rules(info, from_global_id(folder_id, "Folder"))


async def _override(info: Info, target: str, **kwargs) -> PermissionTablePayload:
    grants = info.context.plugins.permission_grants() if info.context.plugins else {}
    _, errors = await mutate(info, lambda s, p: svc.set_override(s, p, grants, **kwargs), target)
    table = await _table(info) if not errors else None
    return PermissionTablePayload(table=table, user_errors=errors)


@strawberry.type
class PermissionMutations:
    @strawberry.mutation(description="Grant or withdraw a permission for a role.")
    async def set_role_permission(
        self, info: Info, input: SetRolePermissionInput
    ) -> PermissionTablePayload:
        return await _override(
            info, "role", permission=input.permission, granted=input.granted, role=input.role.value
        )

    @strawberry.mutation(description="Grant or withdraw a permission for one worker.")
    async def set_worker_permission(
        self, info: Info, input: SetWorkerPermissionInput
    ) -> PermissionTablePayload:
        return await _override(
            info,
            "workerId",
            permission=input.permission,
            granted=input.granted,
            worker_id=from_global_id(input.worker_id, "Worker"),
        )

    @strawberry.mutation(description="Let a role or a worker open or change a folder's customers.")
    async def set_folder_access(
        self, info: Info, input: SetFolderAccessInput
    ) -> SetFolderAccessPayload:
        worker_id = None if input.worker_id is None else from_global_id(input.worker_id, "Worker")
        folder, errors = await mutate(
            info,
            lambda s, p: svc.set_folder_access(
                s,
                p,
                from_global_id(input.folder_id, "Folder"),
                input.level.value,
                input.role.value if input.role else None,
                worker_id,
            ),
            "folderId",
        )
        node = Folder.from_row(as_row(folder)) if isinstance(folder, FolderRow) else None
        return SetFolderAccessPayload(folder=node, user_errors=errors)
