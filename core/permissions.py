"""Changing who may do what: permission overrides per role and per worker, and which roles
or workers may open (or change) a folder's customers. Owners keep every permission, so a
tenant can never lock itself out."""

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access
from core.auth import Principal
from core.catalog import get_row
from core.errors import InvalidInput, NotFound
from core.events import Event, emit
from core.models import Folder, FolderAccess, PermissionOverride, Worker

FOLDER_LEVELS = ("NONE", "VIEW", "EDIT")


def known_permissions(grants: dict[str, tuple[str, ...]]) -> list[str]:
    return sorted({*access.DEFAULTS, *grants})


def _check_permission(permission: str, grants: dict) -> None:
    if permission not in known_permissions(grants):
        raise InvalidInput.one(
            ("input", "permission"), f"There is no permission '{permission}'.", "NOT_FOUND"
        )


async def role_table(conn, tenant_id: int, grants: dict) -> dict[str, set[str]]:
    """Each role's permissions: defaults, then the tenant's overrides for the role."""
    table = {role: set(access.permissions_for(role, grants)) for role in access.ROLES}
    rows = await conn.execute(
        select(PermissionOverride.role, PermissionOverride.permission, PermissionOverride.granted)
        .where(PermissionOverride.tenant_id == tenant_id, PermissionOverride.role.is_not(None))
        .order_by(PermissionOverride.id)
    )
    for role, permission, granted in rows:
        if role in table and role != "owner":
            (table[role].add if granted else table[role].discard)(permission)
    return table


async def worker_overrides(conn, tenant_id: int) -> list[tuple[int, str, bool]]:
    rows = await conn.execute(
        select(
            PermissionOverride.worker_id, PermissionOverride.permission, PermissionOverride.granted
        )
        .where(PermissionOverride.tenant_id == tenant_id, PermissionOverride.worker_id.is_not(None))
        .order_by(PermissionOverride.worker_id, PermissionOverride.permission)
    )
    return [tuple(r) for r in rows]


async def set_override(
    session: AsyncSession,
    principal: Principal,
    grants: dict,
    permission: str,
    granted: bool | None,
    role: str | None = None,
    worker_id: int | None = None,
) -> None:
    """Grant, withdraw, or (None) go back to the default, for a role or for one worker."""
    access.require(principal, "permissions.manage")
    _check_permission(permission, grants)
    if role is not None:
        if role == "owner":
            raise InvalidInput.one(("input", "role"), "Owners keep every permission.", "OWNER")
        target = PermissionOverride.role == role
    else:
        worker = await get_row(session, Worker, principal.tenant_id, worker_id, "Worker")
        if worker.role == "owner":
            raise InvalidInput.one(("input", "workerId"), "Owners keep every permission.", "OWNER")
        target = PermissionOverride.worker_id == worker.id
    await session.execute(
        delete(PermissionOverride).where(
            PermissionOverride.tenant_id == principal.tenant_id,
            target,
            PermissionOverride.permission == permission,
        )
    )
    if granted is not None:
        session.add(
            PermissionOverride(
                tenant_id=principal.tenant_id,
                role=role,
                worker_id=worker_id,
                permission=permission,
                granted=granted,
            )
        )
    await session.flush()
    await emit(
        session,
        Event(
            "permissions.changed",
            principal.tenant_id,
            None,
            {"permission": permission, "granted": granted, "role": role, "workerId": worker_id},
            principal.worker_id,
        ),
    )


async def folder_access(conn, tenant_id: int, folder_ids: Iterable[int]) -> dict[int, list]:
    rows = await conn.execute(
        select(
            FolderAccess.folder_id, FolderAccess.role, FolderAccess.worker_id, FolderAccess.can_edit
        )
        .where(FolderAccess.tenant_id == tenant_id, FolderAccess.folder_id.in_(list(folder_ids)))
        .order_by(FolderAccess.id)
    )
    found: dict[int, list] = {}
    for folder_id, role, worker_id, can_edit in rows:
        found.setdefault(folder_id, []).append((role, worker_id, can_edit))
    return found


async def set_folder_access(
    session: AsyncSession,
    principal: Principal,
    folder_id: int,
    level: str,
    role: str | None = None,
    worker_id: int | None = None,
) -> Folder:
    """Who may open (VIEW) or change (EDIT) the customers of a folder; NONE removes it."""
    access.require(principal, "permissions.manage")
    if (role is None) == (worker_id is None):
        raise InvalidInput.one(("input", "role"), "Give either a role or a worker.", "INVALID")
    if level not in FOLDER_LEVELS:
        raise InvalidInput.one(("input", "level"), f"Unknown level {level}.", "INVALID")
    folder = await get_row(session, Folder, principal.tenant_id, folder_id, "Folder")
    if worker_id is not None:
        try:
            await get_row(session, Worker, principal.tenant_id, worker_id, "Worker")
        except NotFound as exc:
            raise InvalidInput.one(("input", "workerId"), "Worker not found.", "NOT_FOUND") from exc
        target = FolderAccess.worker_id == worker_id
    else:
        target = FolderAccess.role == role
    await session.execute(
        delete(FolderAccess).where(
            FolderAccess.tenant_id == principal.tenant_id,
            FolderAccess.folder_id == folder.id,
            target,
        )
    )
    if level != "NONE":
        session.add(
            FolderAccess(
                tenant_id=principal.tenant_id,
                folder_id=folder.id,
                role=role,
                worker_id=worker_id,
                can_edit=level == "EDIT",
            )
        )
    await session.flush()
    await emit(
        session,
        Event(
            "permissions.changed",
            principal.tenant_id,
            None,
            {"folderId": folder.id, "level": level, "role": role, "workerId": worker_id},
            principal.worker_id,
        ),
    )
    return folder
