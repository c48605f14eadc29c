"""The tenant's settings lists: folders, tags and statuses. Each function runs inside the
caller's transaction, checks `settings.manage` first and validates everything before it writes,
so a failed call writes nothing. Another tenant's id fails exactly like an unknown one.

Statuses come in lists: the tenant's customer list (`folder_id` null) and one per folder. A list
that is not empty has exactly one default, because a customer or membership created without a
status gets it, and the users of a deleted status fall back to it.

The small helpers here (`clean_text`, `clean_color`, `get_row`, `next_position`, `reorder`) are
shared by the other settings modules (workers, field definitions)."""

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access
from core.auth import Principal
from core.errors import InvalidInput, NotFound, Problem
from core.models import (
    Customer,
    CustomerFolder,
    CustomFieldDefinition,
    Folder,
    Status,
    Tag,
    utcnow,
)

STATUS_CATEGORIES = ("ACTIVE", "INACTIVE", "PROSPECT", "CHURNED")
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
# A folder created without statuses still needs a default for its memberships.
STARTER_STATUSES = (
    {"name": "New", "color": "#3b82f6", "category": "PROSPECT", "is_default": True},
    {"name": "In progress", "color": "#f59e0b", "category": "ACTIVE", "is_default": False},
    {"name": "Done", "color": "#22c55e", "category": "INACTIVE", "is_default": False},
)


# --- shared helpers -----------------------------------------------------------------------------


def max_length(model, column: str) -> int | None:
    """The column's own limit, so a too-long name is a user error and not a database error."""
    return model.__table__.c[column].type.length


def clean_text(
    value: Any,
    path: tuple[str, ...],
    limit: int | None,
    problems: list[Problem],
    required: bool = False,
) -> str | None:
    """Stripped text, None for blank; what is wrong goes to `problems`."""
    if value is not None and not isinstance(value, str):
        problems.append(Problem(path, "Expects text.", "INVALID"))
        return None
    value = (value or "").strip() or None
    if value is None and required:
        problems.append(Problem(path, "This field is required.", "REQUIRED"))
    if value is not None and limit and len(value) > limit:
        problems.append(Problem(path, f"At most {limit} characters.", "TOO_LONG"))
    return value


def clean_color(value: Any, path: tuple[str, ...], problems: list[Problem]) -> str | None:
    """`#rrggbb`, lower-cased so equal colors compare equal."""
    if not isinstance(value, str) or not COLOR_RE.match(value.strip()):
        problems.append(Problem(path, "Use a hex color like #1a2b3c.", "INVALID"))
        return None
    return value.strip().lower()


async def get_row(session: AsyncSession, model, tenant_id: int, row_id: int, what: str = ""):
    row = await session.scalar(
        select(model).where(model.tenant_id == tenant_id, model.id == row_id)
    )
    if row is None:
        raise NotFound(what or model.__name__)
    return row


async def next_position(
    session: AsyncSession, model, tenant_id: int, condition: ColumnElement[bool] | None = None
) -> int:
    query = select(func.max(model.position)).where(model.tenant_id == tenant_id)
    if condition is not None:
        query = query.where(condition)
    last = await session.scalar(query)
    return 0 if last is None else last + 1


async def reorder(
    session: AsyncSession,
    model,
    tenant_id: int,
    ids: Sequence[int],
    extra_condition: ColumnElement[bool] | None = None,
) -> list:
    """Positions 0..n-1 in the order of `ids`, which must name every row of the list exactly
    once: a partial or stale list from a client would leave rows sharing a position."""
    query = select(model).where(model.tenant_id == tenant_id)
    if extra_condition is not None:
        query = query.where(extra_condition)
    rows = {row.id: row for row in await session.scalars(query)}
    problems = []
    seen: set[int] = set()
    for index, row_id in enumerate(ids):
        path = ("input", "ids", str(index))
        if row_id not in rows:
            problems.append(Problem(path, f"{model.__name__} not found.", "NOT_FOUND"))
        elif row_id in seen:
            problems.append(Problem(path, "Listed more than once.", "DUPLICATE"))
        seen.add(row_id)
    missing = len(rows.keys() - seen)
    if missing:
        problems.append(
            Problem(("input", "ids"), f"List all of them; {missing} missing.", "INCOMPLETE")
        )
    if problems:
        raise InvalidInput(problems)
    for index, row_id in enumerate(ids):
        rows[row_id].position = index
    await session.flush()
    return [rows[row_id] for row_id in ids]


def _name_taken(name: str | None, rows: Iterable, exclude_id: int | None = None) -> bool:
    """Case-insensitive in Python: SQLite's lower() only folds ASCII."""
    if name is None:
        return False
    folded = name.casefold()
    return any(r.name.casefold() == folded for r in rows if r.id != exclude_id)


async def _rows(session: AsyncSession, model, tenant_id: int) -> list:
    return list(await session.scalars(select(model).where(model.tenant_id == tenant_id)))


async def _update_named(session: AsyncSession, principal: Principal, model, row_id, changes):
    """Rename or recolour a folder or tag; names stay unique in the tenant ignoring case."""
    access.require(principal, f"{model.__tablename__}.manage")
    row = await get_row(session, model, principal.tenant_id, row_id)
    what = model.__name__.lower()
    problems: list[Problem] = []
    values = {}
    if "name" in changes:
        name = clean_text(
            changes["name"], ("input", "name"), max_length(model, "name"), problems, True
        )
        if _name_taken(name, await _rows(session, model, principal.tenant_id), row.id):
            problems.append(Problem(("input", "name"), f"The {what} '{name}' exists.", "TAKEN"))
        values["name"] = name
    if "color" in changes:
        values["color"] = clean_color(changes["color"], ("input", "color"), problems)
    if problems:
        raise InvalidInput(problems)
    for key, value in values.items():
        setattr(row, key, value)
    await session.flush()
    return row


# --- folders ------------------------------------------------------------------------------------


async def create_folder(
    session: AsyncSession,
    principal: Principal,
    name: str,
    color: str,
    statuses: list[dict] | None = None,
    hidden_tabs: list[str] | None = None,
) -> Folder:
    """A new folder at the end, with its own status list: `statuses` (dicts of name, color,
    category, is_default; the first is the default if none is), or the starter list when
    none or an empty list is given."""
    access.require(principal, "folders.manage")
    problems: list[Problem] = []
    name = clean_text(name, ("input", "name"), max_length(Folder, "name"), problems, True)
    if _name_taken(name, await _rows(session, Folder, principal.tenant_id)):
        problems.append(Problem(("input", "name"), f"The folder '{name}' exists.", "TAKEN"))
    color = clean_color(color, ("input", "color"), problems)
    specs = _status_specs(statuses or STARTER_STATUSES, problems)
    hidden = _tab_keys(hidden_tabs, problems)
    if problems:
        raise InvalidInput(problems)
    folder = Folder(
        tenant_id=principal.tenant_id,
        name=name,
        color=color,
        hidden_tabs=hidden,
        position=await next_position(session, Folder, principal.tenant_id),
    )
    session.add(folder)
    await session.flush()
    session.add_all(
        Status(tenant_id=principal.tenant_id, folder_id=folder.id, position=index, **spec)
        for index, spec in enumerate(specs)
    )
    await session.flush()
    return folder


def _status_specs(items: Iterable[dict], problems: list[Problem]) -> list[dict]:
    specs: list[dict] = []
    for index, item in enumerate(items):
        path = ("input", "statuses", str(index))
        name = clean_text(
            item.get("name"), (*path, "name"), max_length(Status, "name"), problems, True
        )
        if name and any(s["name"].casefold() == name.casefold() for s in specs if s["name"]):
            problems.append(Problem((*path, "name"), f"'{name}' is listed twice.", "TAKEN"))
        specs.append(
            {
                "name": name,
                "color": clean_color(item.get("color"), (*path, "color"), problems),
                "category": _category(item.get("category"), (*path, "category"), problems),
                "is_default": bool(item.get("is_default")),
            }
        )
    defaults = sum(1 for s in specs if s["is_default"])
    if defaults > 1:
        problems.append(
            Problem(
                ("input", "statuses"), "Only one status can be the default.", "MULTIPLE_DEFAULT"
            )
        )
    if specs and not defaults:
        specs[0]["is_default"] = True
    return specs


async def update_folder(
    session: AsyncSession, principal: Principal, folder_id: int, changes: dict
) -> Folder:
    """`changes` holds only what the caller sent (name, color, hidden_tabs)."""
    problems: list[Problem] = []
    hidden = _tab_keys(changes.get("hidden_tabs"), problems) if "hidden_tabs" in changes else None
    if problems:
        raise InvalidInput(problems)
    folder = await _update_named(session, principal, Folder, folder_id, changes)
    if hidden is not None:
        folder.hidden_tabs = hidden
        await session.flush()
    return folder


def _tab_keys(value: Any, problems: list[Problem]) -> list[str]:
    """Profile tab keys a folder hides; unknown keys are kept (a module may come later)."""
    keys = list(dict.fromkeys(value or []))
    if len(keys) > 50 or any(not isinstance(k, str) or not 0 < len(k) <= 64 for k in keys):
        problems.append(
            Problem(("input", "hiddenTabs"), "At most 50 tab keys of 1-64 characters.", "INVALID")
        )
    return keys


async def delete_folder(session: AsyncSession, principal: Principal, folder_id: int) -> int:
    """Memberships and the folder's statuses go with it (FK cascade). Field definitions lose the
    folder from `folder_ids`; one that was limited to this folder alone is then shown in every
    folder (empty means everywhere), which the caller may want to warn about."""
    access.require(principal, "folders.manage")
    folder = await get_row(session, Folder, principal.tenant_id, folder_id)
    definitions = await session.scalars(
        select(CustomFieldDefinition).where(CustomFieldDefinition.tenant_id == principal.tenant_id)
    )
    for definition in definitions:
        if folder_id in (definition.folder_ids or []):
            definition.folder_ids = [f for f in definition.folder_ids if f != folder_id]
    await session.delete(folder)
    await session.flush()
    return folder_id


async def reorder_folders(
    session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[Folder]:
    access.require(principal, "folders.manage")
    return await reorder(session, Folder, principal.tenant_id, ids)


# --- tags ---------------------------------------------------------------------------------------


async def create_tag(session: AsyncSession, principal: Principal, name: str, color: str) -> Tag:
    """Names are unique per tenant ignoring case, so "VIP" and "vip" cannot both exist."""
    access.require(principal, "tags.manage")
    problems: list[Problem] = []
    name = clean_text(name, ("input", "name"), max_length(Tag, "name"), problems, True)
    color = clean_color(color, ("input", "color"), problems)
    tags = await _rows(session, Tag, principal.tenant_id)
    if _name_taken(name, tags):
        problems.append(Problem(("input", "name"), f"The tag '{name}' exists.", "TAKEN"))
    if problems:
        raise InvalidInput(problems)
    tag = Tag(
        tenant_id=principal.tenant_id,
        name=name,
        color=color,
        position=max((t.position for t in tags), default=-1) + 1,
    )
    session.add(tag)
    await session.flush()
    return tag


async def update_tag(
    session: AsyncSession, principal: Principal, tag_id: int, changes: dict
) -> Tag:
    """`changes` holds only what the caller sent (name, color)."""
    return await _update_named(session, principal, Tag, tag_id, changes)


async def delete_tag(session: AsyncSession, principal: Principal, tag_id: int) -> int:
    """The tag's links to customers go with it (FK cascade)."""
    access.require(principal, "tags.manage")
    tag = await get_row(session, Tag, principal.tenant_id, tag_id)
    await session.delete(tag)
    await session.flush()
    return tag_id


async def reorder_tags(
    session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[Tag]:
    access.require(principal, "tags.manage")
    return await reorder(session, Tag, principal.tenant_id, ids)


# --- statuses -----------------------------------------------------------------------------------


def _in_list(folder_id: int | None) -> ColumnElement[bool]:
    return Status.folder_id.is_(None) if folder_id is None else Status.folder_id == folder_id


def _category(value: Any, path: tuple[str, ...], problems: list[Problem]) -> str | None:
    if value not in STATUS_CATEGORIES:
        problems.append(Problem(path, f"Choose one of {', '.join(STATUS_CATEGORIES)}.", "INVALID"))
        return None
    return value


async def _status_list(session: AsyncSession, tenant_id: int, folder_id: int | None) -> list:
    query = select(Status).where(Status.tenant_id == tenant_id, _in_list(folder_id))
    return list(await session.scalars(query.order_by(Status.position, Status.id)))


async def create_status(
    session: AsyncSession,
    principal: Principal,
    folder_id: int | None,
    name: str,
    color: str,
    category: str,
    is_default: bool = False,
) -> Status:
    """A status at the end of a list (`folder_id` None: the customer list). The first status
    of an empty list becomes its default whatever `is_default` says."""
    access.require(principal, "statuses.manage")
    if folder_id is not None:
        await get_row(session, Folder, principal.tenant_id, folder_id)
    problems: list[Problem] = []
    name = clean_text(name, ("input", "name"), max_length(Status, "name"), problems, True)
    color = clean_color(color, ("input", "color"), problems)
    category = _category(category, ("input", "category"), problems)
    siblings = await _status_list(session, principal.tenant_id, folder_id)
    if _name_taken(name, siblings):
        problems.append(Problem(("input", "name"), f"The list has '{name}' already.", "TAKEN"))
    if problems:
        raise InvalidInput(problems)
    is_default = bool(is_default) or not siblings
    if is_default:
        for sibling in siblings:
            sibling.is_default = False
    status = Status(
        tenant_id=principal.tenant_id,
        folder_id=folder_id,
        name=name,
        color=color,
        category=category,
        is_default=is_default,
        position=max((s.position for s in siblings), default=-1) + 1,
    )
    session.add(status)
    await session.flush()
    return status


async def update_status(
    session: AsyncSession, principal: Principal, status_id: int, changes: dict
) -> Status:
    """`changes` holds only what the caller sent (name, color, category, is_default). A list
    keeps one default: making a status the default takes it from the old one, and the default
    cannot simply be switched off."""
    access.require(principal, "statuses.manage")
    status = await get_row(session, Status, principal.tenant_id, status_id)
    siblings = await _status_list(session, principal.tenant_id, status.folder_id)
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    if "name" in changes:
        name = clean_text(
            changes["name"], ("input", "name"), max_length(Status, "name"), problems, True
        )
        if _name_taken(name, siblings, status.id):
            problems.append(Problem(("input", "name"), f"The list has '{name}' already.", "TAKEN"))
        values["name"] = name
    if "color" in changes:
        values["color"] = clean_color(changes["color"], ("input", "color"), problems)
    if "category" in changes:
        values["category"] = _category(changes["category"], ("input", "category"), problems)
    if "is_default" in changes:
        if not isinstance(changes["is_default"], bool):
            problems.append(Problem(("input", "isDefault"), "Expects true or false.", "INVALID"))
        elif status.is_default and not changes["is_default"]:
            problems.append(
                Problem(
                    ("input", "isDefault"),
                    "A status list needs a default; make another status the default instead.",
                    "DEFAULT_REQUIRED",
                )
            )
        else:
            values["is_default"] = changes["is_default"]
    if problems:
        raise InvalidInput(problems)
    if values.get("is_default"):
        for sibling in siblings:
            if sibling.id != status.id:
                sibling.is_default = False
    for key, value in values.items():
        setattr(status, key, value)
    await session.flush()
    return status


async def delete_status(
    session: AsyncSession, principal: Principal, status_id: int, replacement_id: int | None = None
) -> int:
    """Customers (customer list) or memberships (folder list) with this status move to
    `replacement_id`, a status of the same list, or to the list's default; the customers
    concerned count as changed (version and `updated_at`). The default and the last status of
    a list cannot be deleted: a list without a default has nothing to fall back to."""
    access.require(principal, "statuses.manage")
    tenant_id = principal.tenant_id
    status = await get_row(session, Status, tenant_id, status_id)
    siblings = await _status_list(session, tenant_id, status.folder_id)
    if len(siblings) <= 1:
        raise InvalidInput.one(
            ("input", "id"), "A status list cannot be left empty.", "LAST_STATUS"
        )
    if status.is_default:
        raise InvalidInput.one(
            ("input", "id"),
            "Make another status the default before deleting this one.",
            "DEFAULT_STATUS",
        )
    if replacement_id is None:
        target = next(s.id for s in siblings if s.is_default)
    elif replacement_id == status.id or replacement_id not in {s.id for s in siblings}:
        raise InvalidInput.one(
            ("input", "replacementId"), "Choose another status of the same list.", "NOT_FOUND"
        )
    else:
        target = replacement_id

    now = utcnow()
    touch = {"updated_at": now, "version": Customer.version + 1}
    if status.folder_id is None:
        await session.execute(
            update(Customer)
            .where(Customer.tenant_id == tenant_id, Customer.status_id == status.id)
            .values(status_id=target, **touch)
        )
    else:
        in_status = (
            CustomerFolder.tenant_id == tenant_id,
            CustomerFolder.folder_id == status.folder_id,
            CustomerFolder.status_id == status.id,
        )
        await session.execute(
            update(Customer)
            .where(
                Customer.tenant_id == tenant_id,
                Customer.id.in_(select(CustomerFolder.customer_id).where(*in_status)),
            )
            .values(**touch)
        )
        await session.execute(update(CustomerFolder).where(*in_status).values(status_id=target))
    await session.delete(status)
    await session.flush()
    return status_id


async def reorder_statuses(
    session: AsyncSession, principal: Principal, folder_id: int | None, ids: Sequence[int]
) -> list[Status]:
    """`folder_id` None: the customer status list."""
    access.require(principal, "statuses.manage")
    if folder_id is not None:
        await get_row(session, Folder, principal.tenant_id, folder_id)
    return await reorder(session, Status, principal.tenant_id, ids, _in_list(folder_id))
