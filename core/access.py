"""The one access rule. Every path that returns customers filters through
`visible_customers`; every write to a customer goes through `editable_customers`; every
other action checks `require`.

Who sees what: workers holding `customers.view_all` (owners and admins by default) see the
whole tenant; everyone else sees the customers assigned to them and those in folders their
role or they themselves may open (`folder_access`). A customer one may not see behaves
exactly like one that does not exist; one they see but may not edit is `FORBIDDEN` on
writes. Permissions are the role's defaults (below, plus the modules' grants), then the
tenant's overrides for the role, then those for the worker.

The rule is `_links`; it reaches SQL in three shapes of one meaning: a condition the
planner may run either way (lookups, joins, aggregates), one that probes each row of a
page's walk, and the set of visible ids (counts)."""

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    union,
    union_all,
)

from core import multiread, rls
from core.auth import Principal
from core.errors import Forbidden
from core.lru import Lru
from core.models import (
    Customer,
    CustomerFolder,
    CustomerWorker,
    FolderAccess,
    PermissionOverride,
    TenantModule,
    Worker,
)
from core.one_of import one_of

ROLES = ("owner", "admin", "manager", "agent")
SEE_ALL = "customers.view_all"
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
    "jobs.view_all": ADMINS,
    "files.view": ALL,
    "files.upload": ALL,
    # A whole list leaves the system at once: not every agent's by default.
    "customers.export": STAFF,
    "segments.manage": STAFF,
    "customers.erase": ADMINS,  # deleteCustomer: data-protection erasure (archive is .delete)
    "customers.import": STAFF,
}

PERMISSIONS: dict[str, frozenset[str]] = {
    role: frozenset(p for p, roles in DEFAULTS.items() if role in roles) for role in ROLES
}

# Below this many links (assignments plus memberships of the folders one may open) a page
# starts from the worker's customers; from there on it walks the ordered list and probes
# each row. At a million customers both cost about 20 ms at the crossing; the walk with
# 20 links took 2.4 s.
FEW_LINKS = 5_000


def permissions_for(role: str, grants: dict[str, tuple[str, ...]] | None = None) -> frozenset[str]:
    """The role's default permissions: core's plus what modules grant it."""
    granted = {p for p, roles in (grants or {}).items() if role in roles}
    return PERMISSIONS.get(role, frozenset()) | granted


_by_grants = Lru(64)  # id(grants) -> (grants, defaults, roles that see everyone)


def _defaults(grants: dict[str, tuple[str, ...]] | None) -> tuple[dict, list[str]]:
    """({role: `permissions_for(role, grants)`}, the roles that see every customer), kept per
    grants object: the plugins' grants are made once, at start-up (every request's principal
    read worked them out for each role again, 21 µs)."""
    found = _by_grants.find(id(grants))
    if found is None or found[0] is not grants:
        defaults = {role: permissions_for(role, grants) for role in ROLES}
        see_all = [r for r in ROLES if SEE_ALL in defaults[r]]
        found = _by_grants.put(id(grants), (grants, defaults, see_all))
    return found[1], found[2]


async def principal_for(
    conn, tenant_id: int, worker_id: int, grants: dict | None = None, scope: bool = False
) -> Principal | None:
    """Everything the rule needs about a worker, read on every request rather than carried
    in the token, so a role change, a removed worker, a module or folder switched takes
    effect at once. One statement (`core.multiread`), made once per dialect: every request
    pays for it.

    `scope` (PostgreSQL): the same statement also sets the transaction's row-level security
    scope (`core.rls.SCOPE`'s two settings), a round trip and a statement less per request.
    It reads as the login, before the scope applies: privileges and policies are settled
    when a statement starts, and `set_config` only changes what later statements see. The
    read names its tenant and worker itself, as it always has."""
    key = (conn.dialect.name, scope)
    reads = _PRINCIPAL_READS.get(key)
    if reads is None:
        queries = _principal_queries(
            bindparam("tenant_id", type_=Integer), bindparam("worker_id", type_=Integer)
        )
        if scope:
            queries.append(rls.scope_query(bindparam("scope_role"), bindparam("scope_tenant")))
        reads = _PRINCIPAL_READS[key] = multiread.prepare(queries, conn.dialect, kept=True)
    defaults, see_all_roles = _defaults(grants)
    values = {"tenant_id": tenant_id, "worker_id": worker_id, "see_all_roles": see_all_roles}
    if scope:
        values.update(
            {f"scope_{name}": value for name, value in rls.scope_params(tenant_id).items()}
        )
    worker, overrides, folders, counted, *_ = await multiread.run(conn, reads, values)
    if not worker:
        return None
    role, show_sub_customers = worker[0]["role"], worker[0]["show_sub_customers"]
    permissions = set(defaults.get(role) or permissions_for(role, grants))
    if role != "owner":
        for row in overrides:
            (permissions.add if row["granted"] else permissions.discard)(row["permission"])
    view_folders: set[int] = set()
    edit_folders: set[int] = set()
    links = None
    if SEE_ALL not in permissions:
        links = counted[0]["n"]  # counted: `_count_links_if_restricted` runs for them
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
        links,
    )


_PRINCIPAL_READS: dict[tuple[str, bool], multiread.Reads] = {}


def _principal_queries(tenant_id, worker_id) -> list[Select]:
    role_of = (
        select(Worker.role)
        .where(Worker.tenant_id == tenant_id, Worker.id == worker_id)
        .scalar_subquery()
    )
    may_open = and_(
        FolderAccess.tenant_id == tenant_id,
        or_(FolderAccess.role == role_of, FolderAccess.worker_id == worker_id),
    )
    return [
        select(Worker.role, Worker.show_sub_customers, TenantModule.module)
        .outerjoin(TenantModule, TenantModule.tenant_id == Worker.tenant_id)
        .where(Worker.tenant_id == tenant_id, Worker.id == worker_id),
        select(PermissionOverride.permission, PermissionOverride.granted)
        .where(
            PermissionOverride.tenant_id == tenant_id,
            or_(PermissionOverride.role == role_of, PermissionOverride.worker_id == worker_id),
        )
        .order_by(PermissionOverride.worker_id.is_not(None), PermissionOverride.id),
        select(FolderAccess.folder_id, FolderAccess.can_edit).where(may_open),
        select(_count_links_if_restricted(tenant_id, worker_id, role_of, may_open).label("n")),
    ]


def _count_links_if_restricted(tenant_id, worker_id, role_of, may_open) -> ColumnElement:
    """The links, counted only for a worker who may be restricted: one whose role does not
    see everyone by default, or for whom an override names `customers.view_all`. Counting
    an admin's 5,000 assignments took 1 ms of every request's principal read."""
    overridden = exists().where(
        PermissionOverride.tenant_id == tenant_id,
        PermissionOverride.permission == SEE_ALL,
        or_(PermissionOverride.role == role_of, PermissionOverride.worker_id == worker_id),
    )
    restricted = or_(not_(one_of(role_of, "see_all_roles")), overridden)
    return case((restricted, _count_links(tenant_id, worker_id, may_open)))


def _count_links(tenant_id: int, worker_id: int, may_open) -> ColumnElement[int]:
    """Assignments plus memberships of the folders one may open, counted up to FEW_LINKS:
    an index-only read of at most that many entries."""
    opened = select(FolderAccess.folder_id).where(may_open).correlate(None)
    links = union_all(*_link_ids(tenant_id, _links(worker_id, opened)))
    # Literal: with a bound LIMIT, PostgreSQL's generic plan guessed a tenth of the links
    # and it replanned this read on every request (0.5 ms against 0.2).
    capped = links.limit(literal_column(str(FEW_LINKS), Integer)).subquery()
    return select(func.count()).select_from(capped).correlate(None).scalar_subquery()


def _links(worker_id: int, folders: frozenset[int] | Select) -> list:
    """The rule: a customer is reached through an assignment to the worker or a membership
    of a folder they may open (ids, or a select of them). (link table, condition) pairs."""
    links = [(CustomerWorker, CustomerWorker.worker_id == worker_id)]
    if isinstance(folders, Select) or folders:
        ids = folders if isinstance(folders, Select) else sorted(folders)
        links.append((CustomerFolder, CustomerFolder.folder_id.in_(ids)))
    return links


def _link_ids(tenant_id: int, links: list) -> list[Select]:
    return [
        select(link.customer_id).where(link.tenant_id == tenant_id, condition).correlate(None)
        for link, condition in links
    ]


def _assigned_or_in(principal: Principal, folders: frozenset[int]) -> ColumnElement[bool]:
    """Correlated to `customers` only: a query that itself reads the link tables (folder
    counts read `customer_folders`) would otherwise correlate them too and leave the
    subquery without a FROM."""
    return or_(
        *(
            exists().where(link.customer_id == Customer.id, condition).correlate(Customer)
            for link, condition in _links(principal.worker_id, folders)
        )
    )


def _probed(principal: Principal, folders: frozenset[int]) -> ColumnElement[bool]:
    """One EXISTS over a UNION ALL, which PostgreSQL can neither hash nor join: each row of
    the walk costs a few index probes and the walk stops when the page is full. Written as
    `_assigned_or_in`, the planner expects to read the whole tenant and first hashes every
    assignment and folder membership of the worker (245 ms at a million customers)."""
    probes = [
        select(literal_column("1"))
        .where(link.customer_id == Customer.id, link.tenant_id == principal.tenant_id, condition)
        .correlate(Customer)
        for link, condition in _links(principal.worker_id, folders)
    ]
    return probes[0].exists() if len(probes) == 1 else union_all(*probes).exists()


def _reached_ids(principal: Principal, folders: frozenset[int]) -> Select:
    parts = _link_ids(principal.tenant_id, _links(principal.worker_id, folders))
    return parts[0] if len(parts) == 1 else union(*parts)


def visible_customers(principal: Principal, walking: bool = False) -> ColumnElement[bool]:
    """SQL condition on `customers` for the rows this principal may see. `walking`: for a
    page, a walk of an ordered index that stops once it has enough rows; a worker with few
    links starts from their customers instead (a walk would read the whole tenant)."""
    tenant = Customer.tenant_id == principal.tenant_id
    if can(principal, SEE_ALL):
        return tenant
    folders = principal.view_folders
    if not walking:
        return and_(tenant, _assigned_or_in(principal, folders))
    if principal.links is not None and principal.links < FEW_LINKS:
        return and_(tenant, Customer.id.in_(_reached_ids(principal, folders)))
    return and_(tenant, _probed(principal, folders))


def visible_customer_ids(principal: Principal) -> Select | None:
    """The ids this principal may see, as a select (an index-only union of their links),
    for counting; None when they see the whole tenant."""
    if can(principal, SEE_ALL):
        return None
    return _reached_ids(principal, principal.view_folders)


def editable_customers(principal: Principal) -> ColumnElement[bool]:
    """SQL condition on `customers` for the rows this principal may change."""
    if not can(principal, "customers.edit"):
        return false()
    tenant = Customer.tenant_id == principal.tenant_id
    if can(principal, SEE_ALL):
        return tenant
    return and_(tenant, _assigned_or_in(principal, principal.edit_folders))


def can(principal: Principal, permission: str) -> bool:
    return permission in principal.permissions


def require(principal: Principal, permission: str) -> None:
    if not can(principal, permission):
        raise Forbidden(f"You are not allowed to do this ({permission}).")
