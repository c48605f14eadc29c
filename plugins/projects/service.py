"""Project writes: validation (everything wrong is reported at once, nothing is written),
permissions, events, inside the caller's transaction.

Locks: a project's own changes lock its row. Linking or unlinking a customer locks the
customer first (`get_customer`, the one lock order of every module's writes) and then reads
the project FOR SHARE, so a project is not deleted under a link being made; the link itself
is an insert-or-ignore on its unique (project, customer) key, so any number of requests
linking the same pair at once leave one link and one `project.customer_linked`.

Events about a whole project (status, deletion) go to each customer it links, so their
timelines show it and their live badges (active projects) are recounted; a project linking
nobody emits one event without a customer."""

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import Forbidden, InvalidInput, NotFound, Problem
from core.models import Worker, utcnow
from plugins.projects.models import TRANSITIONS, Project, ProjectCustomer, ProjectMember

MAX_NAME = 200
MAX_DESCRIPTION = 10_000
MAX_KEY = 200
MAX_MEMBERS = 100
VIEW, EDIT, MANAGE = "projects.view", "projects.edit", "projects.manage"


def _text(data: dict, key: str, field: str, limit: int, problems, required=False):
    return records.clean_text(data.get(key), ("input", field), limit, problems, required)


def _dates(start, due, problems: list[Problem]) -> None:
    if start is not None and due is not None and due < start:
        problems.append(Problem(("input", "dueDate"), "Due before it starts.", "INVALID"))


async def _check_workers(session, tenant_id: int, ids: list[int], field: str, problems) -> None:
    if len(ids) > MAX_MEMBERS:
        message = f"At most {MAX_MEMBERS} workers at once."
        problems.append(Problem(("input", field), message, "INVALID"))
        return
    found = set(
        await session.scalars(
            select(Worker.id).where(Worker.tenant_id == tenant_id, Worker.id.in_(ids))
        )
    )
    if set(ids) - found:
        problems.append(Problem(("input", field), "Worker not found.", "NOT_FOUND"))


async def _linked(session, project: Project) -> list[int]:
    return list(
        await session.scalars(
            select(ProjectCustomer.customer_id)
            .where(ProjectCustomer.project_id == project.id)
            .order_by(ProjectCustomer.customer_id)
        )
    )


async def _emit(session, principal, project: Project, name: str, customer_id=None, **data):
    await records.emit(
        session, principal, name, customer_id, projectId=project.id, title=project.name, **data
    )


async def _emit_to_linked(session, principal, project: Project, name: str, **data) -> None:
    """The event on every customer the project links (one without a customer if none)."""
    for customer_id in await _linked(session, project) or [None]:
        await _emit(session, principal, project, name, customer_id, **data)


async def _add_members(session, tenant_id: int, project_id: int, ids) -> list[int]:
    """Insert-or-ignore: the members really added, in order."""
    added = []
    for worker_id in dict.fromkeys(ids):
        made = await session.scalar(
            records.upsert(session, ProjectMember.__table__)
            .values(tenant_id=tenant_id, project_id=project_id, worker_id=worker_id)
            .on_conflict_do_nothing()
            .returning(ProjectMember.worker_id)
        )
        if made is not None:
            added.append(made)
    return added


async def create_project(session: AsyncSession, principal: Principal, data: dict) -> Project:
    """A project (default PLANNED, owned by the creator); the same idempotency key with the
    same input answers the first project again (no second event), with other input
    IDEMPOTENCY_KEY_REUSED."""
    access.require(principal, MANAGE)
    problems: list[Problem] = []
    key = _text(data, "idempotency_key", "idempotencyKey", MAX_KEY, problems, True)
    values = {
        "name": _text(data, "name", "name", MAX_NAME, problems, True),
        "description": _text(data, "description", "description", MAX_DESCRIPTION, problems),
        "status": data.get("status") or "PLANNED",
        "start_date": data.get("start_date"),
        "due_date": data.get("due_date"),
        "owner_id": data.get("owner_id", principal.worker_id),
    }
    _dates(values["start_date"], values["due_date"], problems)
    tenant_id = principal.tenant_id
    await records.check_worker(session, tenant_id, values["owner_id"], "ownerId", problems)
    members = list(dict.fromkeys(data.get("member_ids") or ()))
    await _check_workers(session, tenant_id, members, "memberIds", problems)
    records.fail_if(problems)
    fingerprint = records.fingerprint({**values, "members": sorted(members)})
    now = utcnow()
    table = Project.__table__
    project_id = await session.scalar(
        records.upsert(session, table)
        .values(
            tenant_id=tenant_id,
            version=1,
            idempotency_key=key,
            fingerprint=fingerprint,
            created_by_id=principal.worker_id,
            created_at=now,
            updated_at=now,
            **values,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"])
        .returning(table.c.id)
    )
    if project_id is None:
        first = await session.scalar(
            select(Project).where(Project.tenant_id == tenant_id, Project.idempotency_key == key)
        )
        if first is None or first.fingerprint != fingerprint:
            raise records.key_reused("project")
        return first
    await _add_members(session, tenant_id, project_id, members)
    project = await session.get(Project, project_id)
    await _emit(session, principal, project, "project.created", status=project.status)
    return project


async def _locked(session, principal: Principal, project_id: int, version=None) -> Project:
    """The project to change, locked: `projects.manage`, or `projects.edit` and owning it."""
    if not (access.can(principal, MANAGE) or access.can(principal, EDIT)):
        access.require(principal, MANAGE)
    project = await session.scalar(
        select(Project)
        .where(Project.tenant_id == principal.tenant_id, Project.id == project_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if project is None:
        raise NotFound("Project")
    if not access.can(principal, MANAGE) and project.owner_id != principal.worker_id:
        raise Forbidden(f"Only the project's owner may change it ({MANAGE}).")
    if version is not None and project.version != version:
        message = (
            f"The project changed since version {version} (it is at {project.version}): "
            "read it again and decide on what it is now."
        )
        raise InvalidInput.one(("input", "expectedVersion"), message, "VERSION_CONFLICT")
    return project


def _bump(project: Project) -> None:
    project.version += 1
    project.updated_at = utcnow()


API_NAMES = {"start_date": "startDate", "due_date": "dueDate", "owner_id": "ownerId"}


async def update_project(session, principal: Principal, project_id: int, changes: dict):
    """Only the members of `changes` change; None clears the description, dates or owner."""
    project = await _locked(session, principal, project_id, changes.pop("expected_version", None))
    problems: list[Problem] = []
    values = {}
    if "name" in changes:
        values["name"] = _text(changes, "name", "name", MAX_NAME, problems, True)
    if "description" in changes:
        values["description"] = _text(
            changes, "description", "description", MAX_DESCRIPTION, problems
        )
    for key in ("start_date", "due_date"):
        if key in changes:
            values[key] = changes[key]
    if "owner_id" in changes:
        owner = changes["owner_id"]
        await records.check_worker(session, principal.tenant_id, owner, "ownerId", problems)
        values["owner_id"] = owner
    start, due = (values.get(k, getattr(project, k)) for k in ("start_date", "due_date"))
    _dates(start, due, problems)
    records.fail_if(problems)
    changed = [key for key, value in values.items() if getattr(project, key) != value]
    for key in changed:
        setattr(project, key, values[key])
    if changed:
        _bump(project)
        await session.flush()
        fields = sorted(API_NAMES.get(key, key) for key in changed)
        await _emit(session, principal, project, "project.updated", changed=fields)
    return project


async def set_status(session, principal: Principal, project_id: int, status: str, version=None):
    """A move the status machine allows; the status it has already is a no-op."""
    project = await _locked(session, principal, project_id, version)
    old = project.status
    if not TRANSITIONS.check(old, status):
        return project
    project.status = status
    _bump(project)
    await session.flush()
    await _emit_to_linked(
        session, principal, project, "project.status_changed", **{"from": old, "to": status}
    )
    return project


async def delete_project(session, principal: Principal, project_id: int) -> bool:
    project = await _locked(session, principal, project_id)
    await _emit_to_linked(session, principal, project, "project.deleted")
    await session.delete(project)
    await session.flush()
    return True


async def change_members(session, principal, project_id: int, add: list, remove: list):
    """Members added (insert-or-ignore) and removed (workers of the tenant, on it or not);
    `project.members_changed` when any changed."""
    project = await _locked(session, principal, project_id)
    problems: list[Problem] = []
    await _check_workers(session, principal.tenant_id, add or remove, "workerIds", problems)
    records.fail_if(problems)
    added = await _add_members(session, principal.tenant_id, project.id, add)
    removed = []
    if remove:
        removed = list(
            await session.scalars(
                delete(ProjectMember)
                .where(ProjectMember.project_id == project.id)
                .where(ProjectMember.worker_id.in_(remove))
                .returning(ProjectMember.worker_id)
            )
        )
    if added or removed:
        await _emit(
            session, principal, project, "project.members_changed", added=added, removed=removed
        )
    return project


async def _for_link(session, principal: Principal, project_id: int, customer_id: int):
    """(project read FOR SHARE, customer locked for editing): NOT_FOUND at the member."""
    access.require(principal, EDIT)
    try:
        customer = await get_customer(session, principal, customer_id)
    except NotFound as exc:
        raise InvalidInput.one(("input", "customerId"), "Customer not found.", "NOT_FOUND") from exc
    project = await session.scalar(
        select(Project)
        .where(Project.tenant_id == principal.tenant_id, Project.id == project_id)
        .with_for_update(read=True)
    )
    if project is None:
        raise InvalidInput.one(("input", "projectId"), "Project not found.", "NOT_FOUND")
    return project, customer


async def link_customer(session, principal: Principal, project_id: int, customer_id: int):
    """The customer on the project; linking it again changes nothing."""
    project, customer = await _for_link(session, principal, project_id, customer_id)
    made = await session.scalar(
        records.upsert(session, ProjectCustomer.__table__)
        .values(
            tenant_id=principal.tenant_id,
            project_id=project.id,
            customer_id=customer.id,
            linked_by_id=principal.worker_id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["project_id", "customer_id"])
        .returning(ProjectCustomer.id)
    )
    if made is not None:
        await _emit(session, principal, project, "project.customer_linked", customer.id)
    return project


async def unlink_customer(session, principal: Principal, project_id: int, customer_id: int):
    """The customer off the project; a customer not linked changes nothing."""
    project, customer = await _for_link(session, principal, project_id, customer_id)
    gone = await session.scalar(
        delete(ProjectCustomer)
        .where(ProjectCustomer.project_id == project.id)
        .where(ProjectCustomer.customer_id == customer.id)
        .returning(ProjectCustomer.id)
    )
    if gone is not None:
        await _emit(session, principal, project, "project.customer_unlinked", customer.id)
    return project


async def drop_links(session, tenant_id: int, customer_id: int) -> None:
    """A customer erased: its links go (the projects stay)."""
    await session.execute(
        delete(ProjectCustomer).where(
            ProjectCustomer.tenant_id == tenant_id, ProjectCustomer.customer_id == customer_id
        )
    )


async def merge_links(session, tenant_id: int, source_id: int, target_id: int) -> None:
    """Merging customers: the duplicate's links join the record kept; a project linking both
    keeps the target's link only (the unique key allows one)."""
    T = ProjectCustomer.__table__
    kept = T.alias("kept")
    both = select(kept.c.project_id).where(
        kept.c.tenant_id == tenant_id, kept.c.customer_id == target_id
    )
    await session.execute(
        delete(T).where(
            T.c.tenant_id == tenant_id, T.c.customer_id == source_id, T.c.project_id.in_(both)
        )
    )
    await records.move_to_customer(session, tenant_id, source_id, target_id, ProjectCustomer)
