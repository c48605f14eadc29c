"""The `projects` field on Customer (with its look-ahead read and compiled badge), the
tenant's projects, and the project mutations."""

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

import strawberry
from strawberry import UNSET

from core import access, keyset, multiread
from core.errors import NotFound
from plugins.projects import queries as q
from plugins.projects import service
from plugins.projects.service import VIEW
from plugins.projects.types import (
    CustomerProjects,
    Project,
    ProjectStatus,
    StatusArgument,
    active_loader,
    page_lists,
    statuses_of,
)
from schema import kit, overview
from schema.compiled.customers import ModuleField, per_customer
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id, from_global_ids
from schema.payloads import DeletePayload, deleted, input_named, payload
from schema.relay import Connection


@dataclass(frozen=True)
class Overview:
    """What the selection under `projects` reads: the badge, first pages of `all`
    (`(statuses, size)`) and their counts (statuses)."""

    active: bool = False
    pages: frozenset = frozenset()
    counts: frozenset = frozenset()


def _overview(fields) -> Overview | None:
    active, pages, counts = False, set(), set()
    for field in fields:
        if field.name == "activeCount":
            active = True
        elif field.name == "all":
            page = overview.first_page(field)
            if page is None:
                continue
            statuses = statuses_of(overview.argument(field, "status"))
            pages.add((statuses, page.size))
            if overview.selects(field, "totalCount"):
                counts.add(statuses)
    if not (active or pages):
        return None
    return Overview(active, frozenset(pages), frozenset(counts))


async def _read(conn, ctx, customer_ids: list[int], want: Overview) -> None:
    """All of `want` for these customers in one statement, into the loaders' caches."""
    tenant_id = ctx.principal.tenant_id
    parts, lists = {}, {}
    holder = SimpleNamespace(context=ctx)  # what the loaders' builders read the request from
    if want.active:
        parts["active"] = q.active_counts(tenant_id, customer_ids)
    for statuses, size in want.pages:
        conditions = q.status_conditions(q.CP, statuses)
        pages, counts, page = lists[statuses, size] = page_lists(holder, statuses, size, None)
        where = [q.CP.c.tenant_id == tenant_id, *conditions]
        parts["page", statuses, size] = keyset.grouped_pages_query(
            q.CP, "customer_id", customer_ids, where, q.NEWEST, page
        )
        if statuses in want.counts:
            parts["count", statuses, size] = keyset.counts_query(
                q.CP, "customer_id", tenant_id, customer_ids, *conditions
            )
    found = dict(zip(parts, await multiread.read(conn, list(parts.values())), strict=True))
    if want.active:
        numbers = overview.by_customer(found["active"])
        for customer_id in customer_ids:
            active_loader(holder).prime(customer_id, numbers.get(customer_id, 0))
    for (statuses, size), (pages, counts, page) in lists.items():
        rows = found["page", statuses, size]
        made = keyset.pages_of(rows, "customer_id", customer_ids, q.NEWEST, page)
        for customer_id, made_page in zip(customer_ids, made, strict=True):
            pages.prime(customer_id, made_page)
        if ("count", statuses, size) in found:
            numbers = overview.by_customer(found["count", statuses, size])
            for customer_id in customer_ids:
                counts.prime(customer_id, numbers.get(customer_id, 0))


async def customer_projects(root: Customer, info: Info) -> CustomerProjects:
    access.require(info.context.principal, VIEW)
    want = overview.plan(info, "projects", _overview)
    if want is not None:
        await overview.read_once(info, "projects", root.pk, want, _read)
    return CustomerProjects(customer_id=root.pk)


# The compiled path's column (lower case: PostgreSQL folds the unquoted names it reads).
COMPILED = {"activeCount": ("active_count", "int", "0")}


def compiled_projects(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`projects { activeCount }` in the compiled path (`schema/compiled`): the badge's
    count, per page. `all` is not covered: selecting it runs the operation field by field."""
    if not access.can(principal, VIEW) or not set(names) <= COMPILED.keys():
        return None

    def query(principal, customer_ids):
        return per_customer({"active_count": q.active_counts(principal.tenant_id, customer_ids)})

    return ModuleField(query, COMPILED)


def _worker(value) -> int | None:
    return None if value is None else from_global_id(value, "Worker")


async def projects(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    status: StatusArgument = None,
    owner_id: strawberry.ID | None = None,
    search: str | None = None,
) -> Connection[Project]:
    principal = info.context.principal
    access.require(principal, VIEW)
    owner = _worker(owner_id)
    if owner is not None and await info.context.loaders.worker.load(owner) is None:
        raise NotFound("Worker")
    text = (search or "").strip()[:200] or None
    query = q.tenant_projects(principal, statuses_of(status), owner, text)
    return await kit.tenant_list(info, query, q.LATEST, first, after, Project.from_row)


# --- mutations -------------------------------------------------------------------------------

ProjectPayload = payload(Project, "project")


@strawberry.input(
    description="A new project (needs `projects.manage`). Retried with the same key and "
    "input, it answers the first project again instead of making a second."
)
class CreateProjectInput:
    name: str = strawberry.field(description="Required, at most 200 characters.")
    idempotency_key: str = strawberry.field(description="Unique per project; at most 200.")
    description: str | None = None
    status: ProjectStatus = ProjectStatus.PLANNED
    start_date: date | None = None
    due_date: date | None = strawberry.field(default=None, description="Not before startDate.")
    owner_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="A worker of the business; default you; null: nobody."
    )
    member_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Workers on the project; at most 100."
    )


@strawberry.input(
    description="Only the members sent change; null clears description, dates and owner. "
    "The status changes with `setProjectStatus`."
)
class UpdateProjectInput:
    id: strawberry.ID
    expected_version: int | None = strawberry.field(
        default=None, description="If given, refused (VERSION_CONFLICT) unless the project's."
    )
    name: str | None = UNSET
    description: str | None = UNSET
    start_date: date | None = UNSET
    due_date: date | None = UNSET
    owner_id: strawberry.ID | None = UNSET


@strawberry.input(description="Move a project along its status machine (`ProjectStatus`).")
class SetProjectStatusInput:
    id: strawberry.ID
    status: ProjectStatus
    expected_version: int | None = strawberry.field(
        default=None, description="If given, refused (VERSION_CONFLICT) unless the project's."
    )


@strawberry.input(description="Delete a project; its links to customers go with it.")
class DeleteProjectInput:
    id: strawberry.ID


@strawberry.input(description="Workers to put on, or take off, a project.")
class ProjectMembersInput:
    project_id: strawberry.ID
    worker_ids: list[strawberry.ID] = strawberry.field(description="At most 100.")


@strawberry.input(
    description="A customer and a project. Linking takes `projects.edit` and the right to "
    "change the customer; doing it again changes nothing."
)
class ProjectCustomerInput:
    project_id: strawberry.ID
    customer_id: strawberry.ID


AddProjectMembersInput = input_named(ProjectMembersInput, "AddProjectMembersInput")
RemoveProjectMembersInput = input_named(ProjectMembersInput, "RemoveProjectMembersInput")
LinkCustomerToProjectInput = input_named(ProjectCustomerInput, "LinkCustomerToProjectInput")
UnlinkCustomerFromProjectInput = input_named(ProjectCustomerInput, "UnlinkCustomerFromProjectInput")


def _project_id(value) -> int:
    return from_global_id(value, "Project")


async def create_project(info: Info, input: CreateProjectInput) -> ProjectPayload:
    data = {
        "name": input.name,
        "idempotency_key": input.idempotency_key,
        "description": input.description,
        "status": input.status.value,
        "start_date": input.start_date,
        "due_date": input.due_date,
        "member_ids": from_global_ids(input.member_ids, "Worker"),
    }
    if input.owner_id is not UNSET:
        data["owner_id"] = _worker(input.owner_id)

    def work(session, principal):
        return service.create_project(session, principal, data)

    return await kit.save(info, ProjectPayload, "project", Project, work)


async def update_project(info: Info, input: UpdateProjectInput) -> ProjectPayload:
    project_id, changes = _project_id(input.id), {"expected_version": input.expected_version}
    for key in ("name", "description", "start_date", "due_date"):
        if getattr(input, key) is not UNSET:
            changes[key] = getattr(input, key)
    if input.owner_id is not UNSET:
        changes["owner_id"] = _worker(input.owner_id)

    def work(session, principal):
        return service.update_project(session, principal, project_id, changes)

    return await kit.save(info, ProjectPayload, "project", Project, work)


async def set_project_status(info: Info, input: SetProjectStatusInput) -> ProjectPayload:
    project_id, status, version = _project_id(input.id), input.status.value, input.expected_version

    def work(session, principal):
        return service.set_status(session, principal, project_id, status, version)

    return await kit.save(info, ProjectPayload, "project", Project, work)


async def delete_project(info: Info, input: DeleteProjectInput) -> DeletePayload:
    project_id = _project_id(input.id)
    return await deleted(info, input.id, lambda s, p: service.delete_project(s, p, project_id))


async def _members(info: Info, input: ProjectMembersInput, adding: bool) -> ProjectPayload:
    project_id, ids = _project_id(input.project_id), from_global_ids(input.worker_ids, "Worker")
    add, remove = (ids, []) if adding else ([], ids)

    def work(session, principal):
        return service.change_members(session, principal, project_id, add, remove)

    return await kit.save(info, ProjectPayload, "project", Project, work, "projectId")


async def add_project_members(info: Info, input: AddProjectMembersInput) -> ProjectPayload:
    return await _members(info, input, True)


async def remove_project_members(info: Info, input: RemoveProjectMembersInput) -> ProjectPayload:
    return await _members(info, input, False)


async def _link(info: Info, input: ProjectCustomerInput, write) -> ProjectPayload:
    project_id = _project_id(input.project_id)
    customer_id = from_global_id(input.customer_id, "Customer")

    def work(session, principal):
        return write(session, principal, project_id, customer_id)

    return await kit.save(info, ProjectPayload, "project", Project, work, "projectId")


async def link_customer_to_project(info: Info, input: LinkCustomerToProjectInput) -> ProjectPayload:
    return await _link(info, input, service.link_customer)


async def unlink_customer_from_project(
    info: Info, input: UnlinkCustomerFromProjectInput
) -> ProjectPayload:
    return await _link(info, input, service.unlink_customer)


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_projects,
        name="projects",
        description="Projects module: the projects the customer is linked to.",
    )
]
QUERY_FIELDS = [
    strawberry.field(
        resolver=projects,
        name="projects",
        description="The tenant's projects, newest first: by status, owner or a piece of the "
        "name; at most 100 a page (default 20).",
    )
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=create_project, description="Start a project."),
    strawberry.mutation(
        resolver=update_project, description="Change a project's name, text, dates or owner."
    ),
    strawberry.mutation(resolver=set_project_status, description="Move a project's status."),
    strawberry.mutation(resolver=delete_project, description="Delete a project for good."),
    strawberry.mutation(resolver=add_project_members, description="Put workers on a project."),
    strawberry.mutation(resolver=remove_project_members, description="Take workers off a project."),
    strawberry.mutation(
        resolver=link_customer_to_project, description="Link a customer to a project."
    ),
    strawberry.mutation(
        resolver=unlink_customer_from_project, description="Unlink a customer from a project."
    ),
]
