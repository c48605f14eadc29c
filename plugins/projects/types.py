"""Projects as GraphQL types. What hangs off a project (owner, members, the customers it
links) loads through per-request loaders keyed by project, so a page of projects costs the
same statements whatever its length; `Project.customers` keeps to the customers the viewer
may see."""

from datetime import date, datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import Private

from core import access, keyset
from plugins.projects import queries as q
from plugins.projects.service import VIEW
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.relay import Connection, Node, connection
from schema.team.types import Worker


@strawberry.enum(
    description="Where a project stands. PLANNED → ACTIVE, ON_HOLD or CANCELLED; ACTIVE → "
    "ON_HOLD, DONE or CANCELLED; ON_HOLD → ACTIVE or CANCELLED; DONE may be reopened "
    "(ACTIVE), CANCELLED revived (PLANNED)."
)
class ProjectStatus(Enum):
    PLANNED = "PLANNED"
    ACTIVE = "ACTIVE"
    ON_HOLD = "ON_HOLD"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


def statuses_of(status) -> tuple[str, ...] | None:
    """The statuses a list keeps, in a fixed order (its loaders' key); None: all. Takes the
    argument as the resolver gets it (enums) or as the look-ahead reads it (text)."""
    chosen = status if isinstance(status, list | tuple) else [] if status is None else [status]
    values = {s.value if isinstance(s, ProjectStatus) else s for s in chosen}
    return tuple(s.value for s in ProjectStatus if s.value in values) or None


StatusArgument = Annotated[
    list[ProjectStatus] | None,
    strawberry.argument(description="Only these statuses; null or empty: all."),
]


async def _customers_page(info: Info, project_id: int, first, after):
    """One page of the visible customers of a project, batched over the request's projects."""
    page = q.LINKED.request(first, after)

    async def pages(conn, principal, ids):
        where = [*q.shown_customers(principal)]
        return await keyset.grouped_pages(conn, q.L, "project_id", ids, where, q.LINKED, page)

    async def counts(conn, principal, ids):
        where = q.shown_customers(principal)
        return await keyset.counts(conn, q.L, "project_id", principal.tenant_id, ids, *where)

    found = await kit.loader(info, f"projects.customers:{first}:{after}", pages).load(project_id)
    count = kit.loader(info, "projects.customers:count", counts)
    return found, lambda: count.load(project_id)


@strawberry.type(
    description="Work for one or more customers: dates, an owner, members and the customers "
    "it is linked to."
)
class Project(Node):
    name: str
    description: str | None
    status: ProjectStatus
    start_date: date | None
    due_date: date | None
    version: int = strawberry.field(
        description="Bumped by every change of the project's own fields and status; "
        "`updateProject` and `setProjectStatus` may name it (`expectedVersion`) and are "
        "refused (VERSION_CONFLICT) if the project changed since."
    )
    created_at: datetime
    updated_at: datetime
    owner_id: Private[int | None]
    created_by_id: Private[int | None]

    @classmethod
    def from_row(cls, row) -> "Project":
        return kit.from_row(cls, row)

    @strawberry.field(description="The worker responsible; null: nobody (or removed).")
    async def owner(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.owner_id)

    @strawberry.field(description="Who created it; null once that worker is removed.")
    async def created_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.created_by_id)

    @strawberry.field(description="The workers on the project.")
    async def members(self, info: Info) -> list[Worker]:
        ids = await kit.loader(info, "projects.members", q.member_ids).load(self.pk)
        return await kit.workers(info, ids)

    @strawberry.field(
        description="The customers linked to it that you may see, in the order they were "
        "linked (archived ones aside); `totalCount` counts only those. At most 100 a page."
    )
    async def customers(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Customer]:
        found, count = await _customers_page(info, self.pk, first, after)
        ids = [row["customer_id"] for row in found.rows]
        rows = await info.context.loaders.customer.load_many(ids)
        nodes = [Customer.from_row(row) for row in rows]
        return connection(found, nodes, count)


def page_lists(info: Info, statuses, first, after):
    """(pages loader, counts loader, page) of customers' project lists of these statuses."""
    conditions = q.status_conditions(q.CP, statuses)
    name = f"projects.all:{statuses}"
    return kit.list_loaders(info, name, q.CP, q.NEWEST, first, after, conditions)


def active_loader(info: Info):
    return kit.loader(info, "projects.active", q.active)


@strawberry.type(description="The customer's projects: what the profile's Projects panel shows.")
class CustomerProjects:
    customer_id: Private[int]

    @strawberry.field(
        description="The projects the customer is linked to, newest first; at most 100 a "
        "page (default 20)."
    )
    async def all(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: StatusArgument = None,
    ) -> Connection[Project]:
        pages, counts, _ = page_lists(info, statuses_of(status), first, after)
        found = await pages.load(self.customer_id)
        nodes = [Project.from_row(row) for row in found.rows]
        return connection(found, nodes, lambda: counts.load(self.customer_id))

    @strawberry.field(description="Active projects linked to the customer (the panel's badge).")
    async def active_count(self, info: Info) -> int:
        return await active_loader(info).load(self.customer_id)


_load_project = kit.tenant_node_loader(q.P, Project)


async def load_project(info: Info, pk: int) -> Project | None:
    """`node(id:)`: any project of the tenant, for a worker holding `projects.view`."""
    if not access.can(info.context.principal, VIEW):
        return None
    return await _load_project(info, pk)
