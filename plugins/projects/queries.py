"""Batched reads: Core selects of plain rows, one statement per batch, always within the
principal's tenant. A customer's projects page through `CP` (the projects joined to their
links, one row per project and customer), a project's customers through its links joined to
the customers the viewer may see, and the badge counts the active projects linked."""

from datetime import date, datetime

from sqlalchemy import func, select

from core.access import visible_customers
from core.keyset import Order
from core.models import Customer
from plugins.projects.models import Project, ProjectCustomer, ProjectMember

P = Project.__table__
M = ProjectMember.__table__
L = ProjectCustomer.__table__
C = Customer.__table__
# The projects of each customer: a project's columns with the customer it is linked to.
CP = (
    select(*P.c, L.c.customer_id, L.c.id.label("link_id"))
    .join(L, L.c.project_id == P.c.id)
    .subquery("customer_projects")
)
NEWEST = Order("newest", (), CP.c.id, descending=True)  # a customer's projects
LATEST = Order("newest", (), P.c.id, descending=True)  # the tenant's projects
LINKED = Order("linked", (), L.c.id)  # a project's customers, in the order they were linked


def status_conditions(table, statuses: tuple[str, ...] | None) -> tuple:
    """A list's conditions on `table` (P or CP): its statuses, or none for all."""
    return () if statuses is None else (table.c.status.in_(statuses),)


def active_counts(tenant_id: int, customer_ids):
    """(customer id, active projects linked): the panel's badge, for a page of customers."""
    return (
        select(L.c.customer_id, func.count())
        .join(P, P.c.id == L.c.project_id)
        .where(L.c.tenant_id == tenant_id, L.c.customer_id.in_(customer_ids))
        .where(P.c.status == "ACTIVE")
        .group_by(L.c.customer_id)
    )


async def active(conn, principal, customer_ids) -> list[int]:
    found = dict((await conn.execute(active_counts(principal.tenant_id, customer_ids))).all())
    return [found.get(i, 0) for i in customer_ids]


def shown_customers(principal) -> tuple:
    """Conditions on `L` keeping the links whose customer the principal may see (archived
    customers aside, as in lists): what `Project.customers` pages and counts."""
    return (
        L.c.tenant_id == principal.tenant_id,
        C.c.id == L.c.customer_id,
        C.c.archived_at.is_(None),
        visible_customers(principal),
    )


def tenant_projects(principal, statuses, owner_id: int | None, search: str | None):
    """The tenant's projects for the root list: by status, owner, a piece of the name."""
    query = select(*P.c).where(P.c.tenant_id == principal.tenant_id)
    query = query.where(*status_conditions(P, statuses))
    if owner_id is not None:
        query = query.where(P.c.owner_id == owner_id)
    if search:
        query = query.where(func.lower(P.c.name).contains(search.lower(), autoescape=True))
    return query


async def member_ids(conn, principal, project_ids) -> list[list[int]]:
    """The members of each project, one statement for all the projects of a request."""
    rows = await conn.execute(
        select(M.c.project_id, M.c.worker_id)
        .where(M.c.tenant_id == principal.tenant_id, M.c.project_id.in_(project_ids))
        .order_by(M.c.project_id, M.c.worker_id)
    )
    found: dict[int, list[int]] = {i: [] for i in project_ids}
    for project_id, worker_id in rows:
        found[project_id].append(worker_id)
    return [found[i] for i in project_ids]


def _jsonable(row) -> dict:
    return {
        k: v.isoformat() if isinstance(v, datetime | date) else v
        for k, v in row.items()
        if k not in ("tenant_id", "fingerprint", "idempotency_key", "link_id")
    }


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"projects": [...]}`: the projects the customer is linked to, oldest first."""
    rows = await conn.execute(
        select(*CP.c)
        .where(CP.c.tenant_id == tenant_id, CP.c.customer_id == customer_id)
        .order_by(CP.c.id)
    )
    return {"projects": [_jsonable(row) for row in rows.mappings()]}
