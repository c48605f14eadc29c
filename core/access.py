"""The one access rule. Every path that returns customers filters through
`visible_customers`; every write to a customer goes through `editable_customers`; every
other action checks `require`.

Who sees what: workers holding `customers.view_all` (owners and admins by default) see the
whole tenant; everyone else sees the customers assigned to them and those in folders their
role or they themselves may open (`folder_access`). A customer one may not see behaves
exactly like one that does not exist; one they see but may not edit is `FORBIDDEN` on
writes. Permissions are the role's defaults (below, plus the modules' grants), then the
tenant's overrides for the role, then those for the worker."""

from sqlalchemy import ColumnElement, and_, exists, false, or_, select

from core import multiread
from core.auth import Principal
from core.errors import Forbidden
from core.models import (
    Customer,
    CustomerFolder,
    CustomerWorker,
    FolderAccess,
    PermissionOverride,
    TenantModule,
    Worker,
)

ROLES = ("owner", "admin", "manager", "agent")
ALL, STAFF, ADMINS = ROLES, ("owner", "admin", "manager"), ("owner", "admin")

# Core permissions and the roles holding them by default; modules add theirs
# (`hub_permissions`), tenants override per role and per worker.
DEFAULTS: dict[str, tuple[str, ...]] = {
    "customers.view_all": ADMINS,
    "customers.edit": ALL,
    "customers.delete": STAFF,
    "folders.manage": STAFF,
    "tags.manage": STAFF,
    "statuses.manage": STAFF,
    "custom_fields.manage": STAFF,
    "settings.manage": STAFF,
    "workers.manage": ADMINS,
    "modules.manage": ADMINS,
    "permissions.manage": ADMINS,
    "api_keys.manage": ADMINS,
    "audit.view": ADMINS,
}
PERMISSIONS: dict[str, frozenset[str]] = {
    role: frozenset(p for p, roles in DEFAULTS.items() if role in roles) for role in ROLES
}


def permissions_for(role: str, grants: dict[str, tuple[str, ...]] | None = None) -> frozenset[str]:
    """The role's default permissions: core's plus what modules grant it."""
    granted = {p for p, roles in (grants or {}).items() if role in roles}
    return PERMISSIONS.get(role, frozenset()) | granted


async def principal_for(
    conn, tenant_id: int, worker_id: int, grants: dict | None = None
) -> Principal | None:
    """Everything the rule needs about a worker, read on every request rather than carried
    in the token, so a role change, a removed worker, a module or folder switched takes
    effect at once. One statement (`core.multiread`): every request pays for it."""
    role_of = (
        select(Worker.role)
        .where(Worker.tenant_id == tenant_id, Worker.id == worker_id)
        .scalar_subquery()
    )
    worker, overrides, folders = await multiread.read(
        conn,
        [
            select(Worker.role, Worker.show_sub_customers, TenantModule.module)
            .outerjoin(TenantModule, TenantModule.tenant_id == Worker.tenant_id)
            .where(Worker.tenant_id == tenant_id, Worker.id == worker_id),
            select(PermissionOverride.permission, PermissionOverride.granted)
            .where(
                PermissionOverride.tenant_id == tenant_id,
                or_(PermissionOverride.role == role_of, PermissionOverride.worker_id == worker_id),
            )
            .order_by(PermissionOverride.worker_id.is_not(None), PermissionOverride.id),
            select(FolderAccess.folder_id, FolderAccess.can_edit).where(
                FolderAccess.tenant_id == tenant_id,
                or_(FolderAccess.role == role_of, FolderAccess.worker_id == worker_id),
            ),
        ],
    )
    if not worker:
        return None
    role, show_sub_customers = worker[0]["role"], worker[0]["show_sub_customers"]
    permissions = set(permissions_for(role, grants))
    if role != "owner":
        for row in overrides:
            (permissions.add if row["granted"] else permissions.discard)(row["permission"])
    view_folders: set[int] = set()
    edit_folders: set[int] = set()
    if "customers.view_all" not in permissions:
        for row in folders:
            view_folders.add(row["folder_id"])
            if row["can_edit"]:
                edit_folders.add(row["folder_id"])
    return Principal(
        tenant_id,
        worker_id,
        role,
        frozenset(permissions),
        frozenset(row["module"] for row in worker if row["module"]),
        frozenset(view_folders),
        frozenset(edit_folders),
        show_sub_customers,
    )


def _assigned_or_in(principal: Principal, folders: frozenset[int]) -> ColumnElement[bool]:
    """Correlated to `customers` only: a query that itself reads the link tables (folder
    counts read `customer_folders`) would otherwise correlate them too and leave the
    subquery without a FROM."""
    assigned = (
        exists()
        .where(
            CustomerWorker.customer_id == Customer.id,
            CustomerWorker.worker_id == principal.worker_id,
        )
        .correlate(Customer)
    )
    if not folders:
        return assigned
    in_folder = (
        exists()
        .where(
            CustomerFolder.customer_id == Customer.id,
            CustomerFolder.folder_id.in_(sorted(folders)),
        )
        .correlate(Customer)
    )
    return or_(assigned, in_folder)


def visible_customers(principal: Principal) -> ColumnElement[bool]:
    """SQL condition on `customers` for the rows this principal may see."""
    tenant = Customer.tenant_id == principal.tenant_id
    if can(principal, "customers.view_all"):
        return tenant
    return and_(tenant, _assigned_or_in(principal, principal.view_folders))


def editable_customers(principal: Principal) -> ColumnElement[bool]:
    """SQL condition on `customers` for the rows this principal may change."""
    if not can(principal, "customers.edit"):
        return false()
    tenant = Customer.tenant_id == principal.tenant_id
    if can(principal, "customers.view_all"):
        return tenant
    return and_(tenant, _assigned_or_in(principal, principal.edit_folders))


def can(principal: Principal, permission: str) -> bool:
    return permission in principal.permissions


def require(principal: Principal, permission: str) -> None:
    if not can(principal, permission):
        raise Forbidden(f"You are not allowed to do this ({permission}).")
