"""The one access rule. Every path that returns customers filters through
`visible_customers`; every write checks `require`.

Today a worker sees every customer of their tenant and the roles gate only the
tenant's set-up; folder permissions and per-worker visibility arrive with the access issue,
here and nowhere else."""

from sqlalchemy import ColumnElement

from core.auth import Principal
from core.errors import Forbidden
from core.models import Customer

ROLES = ("owner", "admin", "manager", "agent")

# What each role may do. The access issue turns this into an editable permission table.
PERMISSIONS: dict[str, frozenset[str]] = {
    "owner": frozenset(
        {
            "customers.edit",
            "customers.delete",
            "settings.manage",
            "workers.manage",
            "modules.manage",
        }
    ),
    "admin": frozenset(
        {
            "customers.edit",
            "customers.delete",
            "settings.manage",
            "workers.manage",
            "modules.manage",
        }
    ),
    "manager": frozenset({"customers.edit", "customers.delete", "settings.manage"}),
    "agent": frozenset({"customers.edit"}),
}


def visible_customers(principal: Principal) -> ColumnElement[bool]:
    """SQL condition on `customers` for the rows this principal may see."""
    return Customer.tenant_id == principal.tenant_id


def permissions_for(role: str, grants: dict[str, tuple[str, ...]] | None = None) -> frozenset[str]:
    """The role's core permissions plus what modules grant the role (`hub_permissions`)."""
    granted = {p for p, roles in (grants or {}).items() if role in roles}
    return PERMISSIONS.get(role, frozenset()) | granted


def can(principal: Principal, permission: str) -> bool:
    return permission in principal.permissions


def require(principal: Principal, permission: str) -> None:
    if not can(principal, permission):
        raise Forbidden(f"Your role ({principal.role}) does not allow {permission}.")
