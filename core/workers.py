"""The tenant's workers (the people who sign in). Each function runs inside the caller's
transaction and validates before it writes.

A worker may edit their own profile (name, avatar, at work) without `workers.manage`.
Ownership is guarded: only an owner can make someone owner or change an owner's role or email
(the email is how an owner signs in, so changing it would hand the account over), and the
tenant always keeps at least one owner, so nobody can lock the owners out."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access
from core.auth import Principal
from core.catalog import clean_text, get_row, max_length, next_position, reorder
from core.contacts import EMAIL_RE
from core.errors import Forbidden, InvalidInput, Problem
from core.events import Event, emit
from core.models import Worker

OWNER = "owner"
SELF_EDITABLE = frozenset({"name", "avatar_url", "at_work", "show_sub_customers"})


def _email(value: Any, problems: list[Problem]) -> str | None:
    email = clean_text(value, ("input", "email"), max_length(Worker, "email"), problems, True)
    if email is None:
        return None
    email = email.lower()
    if not EMAIL_RE.match(email):
        problems.append(
            Problem(("input", "email"), f"'{email}' is not an email address.", "INVALID")
        )
    return email


def _normalized(email: Any) -> Any:
    return email.strip().lower() if isinstance(email, str) else email


def _role(value: Any, problems: list[Problem]) -> str | None:
    if value not in access.ROLES:
        problems.append(
            Problem(("input", "role"), f"Choose one of {', '.join(access.ROLES)}.", "INVALID")
        )
        return None
    return value


def _at_work(value: Any, problems: list[Problem]) -> bool | None:
    if not isinstance(value, bool):
        problems.append(Problem(("input", "atWork"), "Expects true or false.", "INVALID"))
        return None
    return value


async def _email_taken(
    session: AsyncSession, tenant_id: int, email: str | None, exclude_id: int | None = None
) -> bool:
    if email is None:
        return False
    query = select(Worker.id).where(Worker.tenant_id == tenant_id, Worker.email == email)
    if exclude_id is not None:
        query = query.where(Worker.id != exclude_id)
    return await session.scalar(query) is not None


async def _keep_an_owner(session: AsyncSession, tenant_id: int, losing_id: int, field: str):
    """Two owners demoting each other at once must not both succeed, so the owner rows are
    locked before they are counted. The lock is an UPDATE that changes nothing: it takes the
    row locks on PostgreSQL (like FOR UPDATE) and the write lock on SQLite, where a plain read
    locks nothing and both transactions would count two owners."""
    is_owner = (Worker.tenant_id == tenant_id, Worker.role == OWNER)
    await session.execute(
        update(Worker)
        .where(*is_owner)
        .values(role=Worker.role, updated_at=Worker.updated_at)
        .execution_options(synchronize_session=False)
    )
    owners = await session.scalars(select(Worker.id).where(*is_owner))
    if set(owners) <= {losing_id}:
        raise InvalidInput.one(
            ("input", field),
            "The team needs at least one owner; make someone else owner first.",
            "LAST_OWNER",
        )


def _require_owner(principal: Principal, message: str) -> None:
    if principal.role != OWNER:
        raise Forbidden(message)


async def create_worker(
    session: AsyncSession,
    principal: Principal,
    name: str,
    email: str,
    role: str,
    avatar_url: str | None = None,
    at_work: bool = True,
) -> Worker:
    """A new worker at the end of the list. Email is lower-cased and unique in the tenant."""
    access.require(principal, "workers.manage")
    if role == OWNER:
        _require_owner(principal, "Only an owner can add an owner.")
    problems: list[Problem] = []
    name = clean_text(name, ("input", "name"), max_length(Worker, "name"), problems, True)
    email = _email(email, problems)
    role = _role(role, problems)
    avatar_url = clean_text(
        avatar_url, ("input", "avatarUrl"), max_length(Worker, "avatar_url"), problems
    )
    at_work = _at_work(at_work, problems)
    if await _email_taken(session, principal.tenant_id, email):
        problems.append(Problem(("input", "email"), f"{email} is in the team already.", "TAKEN"))
    if problems:
        raise InvalidInput(problems)
    worker = Worker(
        tenant_id=principal.tenant_id,
        name=name,
        email=email,
        role=role,
        avatar_url=avatar_url,
        at_work=at_work,
        position=await next_position(session, Worker, principal.tenant_id),
    )
    session.add(worker)
    await session.flush()
    await _emit(session, principal, "worker.created", worker.id, role=role)
    return worker


async def _emit(session, principal: Principal, name: str, worker_id: int, **data) -> None:
    """Worker changes are in the audit log, and live subscriptions re-check their access."""
    data = {"workerId": worker_id, **data}
    await emit(session, Event(name, principal.tenant_id, None, data, principal.worker_id))


async def update_worker(
    session: AsyncSession, principal: Principal, worker_id: int, changes: dict
) -> Worker:
    """`changes` holds only what the caller sent (name, email, role, avatar_url, at_work,
    show_sub_customers)."""
    if worker_id != principal.worker_id or not changes.keys() <= SELF_EDITABLE:
        access.require(principal, "workers.manage")
    tenant_id = principal.tenant_id
    worker = await get_row(session, Worker, tenant_id, worker_id)
    role_changes = "role" in changes and changes["role"] != worker.role
    email_changes = "email" in changes and _normalized(changes["email"]) != worker.email
    if role_changes and OWNER in (worker.role, changes["role"]):
        _require_owner(principal, "Only an owner can give or take away ownership.")
    if email_changes and worker.role == OWNER and worker.id != principal.worker_id:
        _require_owner(principal, "Only an owner can change an owner's email.")

    problems: list[Problem] = []
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = clean_text(
            changes["name"], ("input", "name"), max_length(Worker, "name"), problems, True
        )
    if "email" in changes:
        values["email"] = _email(changes["email"], problems)
        if await _email_taken(session, tenant_id, values["email"], worker.id):
            problems.append(
                Problem(("input", "email"), f"{values['email']} is in the team already.", "TAKEN")
            )
    if "role" in changes:
        values["role"] = _role(changes["role"], problems)
    if "avatar_url" in changes:
        values["avatar_url"] = clean_text(
            changes["avatar_url"],
            ("input", "avatarUrl"),
            max_length(Worker, "avatar_url"),
            problems,
        )
    if "at_work" in changes:
        values["at_work"] = _at_work(changes["at_work"], problems)
    if "show_sub_customers" in changes:
        values["show_sub_customers"] = bool(changes["show_sub_customers"])
    if problems:
        raise InvalidInput(problems)
    if worker.role == OWNER and values.get("role", OWNER) != OWNER:
        await _keep_an_owner(session, tenant_id, worker.id, "role")
    changed = sorted(k for k, v in values.items() if getattr(worker, k) != v)
    for key, value in values.items():
        setattr(worker, key, value)
    await session.flush()
    if changed:
        await _emit(session, principal, "worker.updated", worker.id, changed=changed)
    return worker


async def delete_worker(session: AsyncSession, principal: Principal, worker_id: int) -> int:
    """Their customer assignments go with them (FK cascade). Nobody deletes themselves, so a
    tenant cannot end up without anyone able to sign in."""
    access.require(principal, "workers.manage")
    worker = await get_row(session, Worker, principal.tenant_id, worker_id)
    if worker.id == principal.worker_id:
        raise InvalidInput.one(("input", "id"), "You cannot delete yourself.", "SELF")
    if worker.role == OWNER:
        _require_owner(principal, "Only an owner can delete an owner.")
        await _keep_an_owner(session, principal.tenant_id, worker.id, "id")
    await session.delete(worker)
    await session.flush()
    await _emit(session, principal, "worker.deleted", worker_id)
    return worker_id


async def reorder_workers(
    session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[Worker]:
    access.require(principal, "workers.manage")
    return await reorder(session, Worker, principal.tenant_id, ids)
