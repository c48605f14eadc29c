"""Checklist writes: validation (everything wrong at once, nothing written), permissions,
events, inside the caller's transaction.

A list is part of its customer's record: changing it takes a customer the worker may change,
and every item change locks the list row first (`records.for_update`), so two workers
ticking items at once serialise and the list's counts, `completedAt` and its one
`checklist.completed` event stay right. Templates are settings (`checklists.settings`)."""

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, events, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, NotFound, Problem
from core.models import Customer, Folder, utcnow
from plugins.checklists.models import (
    MAX_ITEMS,
    MAX_NAME,
    MAX_TEXT,
    Checklist,
    ChecklistItem,
    ChecklistTemplate,
)
from plugins.checklists.queries import TF

C, I, T = Checklist.__table__, ChecklistItem.__table__, ChecklistTemplate.__table__  # noqa: E741


def _name(value, problems: list[Problem], field: str = "name") -> str | None:
    return records.clean_text(value, ("input", field), MAX_NAME, problems, required=True)


def _items(values, problems: list[Problem], field: str = "items") -> list[str]:
    if not values:
        problems.append(Problem(("input", field), "Give at least one item.", "REQUIRED"))
        return []
    if len(values) > MAX_ITEMS:
        problems.append(Problem(("input", field), f"At most {MAX_ITEMS} items.", "TOO_MANY"))
    path = ("input", field)
    return [
        records.clean_text(v, (*path, str(i)), MAX_TEXT, problems, required=True)
        for i, v in enumerate(values)
    ]


async def _folders(session, principal, folder_ids, problems) -> list[int]:
    found = set(
        await session.scalars(
            select(Folder.id)
            .where(Folder.tenant_id == principal.tenant_id)
            .where(Folder.id.in_(folder_ids))
        )
    )
    for i, folder_id in enumerate(folder_ids):
        if folder_id not in found:
            problems.append(
                Problem(("input", "folderIds", str(i)), "Folder not found.", "NOT_FOUND")
            )
    return sorted(set(folder_ids))


async def _event(session, principal, event: str, customer_id, **data) -> None:
    """`records.emit`, whose own `name` argument would clash with the data's `name`."""
    made = events.Event(event, principal.tenant_id, customer_id, data, principal.worker_id)
    await events.emit(session, made)


# --- templates -------------------------------------------------------------------------------


async def _template(session, principal, template_id: int, lock=False) -> ChecklistTemplate:
    query = select(ChecklistTemplate).where(
        ChecklistTemplate.tenant_id == principal.tenant_id, ChecklistTemplate.id == template_id
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    template = await session.scalar(query)
    if template is None:
        raise NotFound("Checklist template")
    return template


async def _attach(session, principal, template_id: int, folder_ids: list[int]) -> None:
    await session.execute(delete(TF).where(TF.c.template_id == template_id))
    if folder_ids:
        rows = [
            {"template_id": template_id, "folder_id": f, "tenant_id": principal.tenant_id}
            for f in folder_ids
        ]
        await session.execute(insert(TF), rows)


async def save_template(session: AsyncSession, principal: Principal, template_id, changes: dict):
    """Create (`template_id` None) or change a template: only the keys of `changes` change;
    `folder_ids` replaces the set of folders. Lists made earlier keep their items."""
    access.require(principal, "checklists.settings")
    template = (
        None if template_id is None else await _template(session, principal, template_id, True)
    )
    problems: list[Problem] = []
    values = {}
    if "name" in changes:
        values["name"] = _name(changes["name"], problems)
    if "items" in changes:
        values["items"] = _items(changes["items"], problems)
    folder_ids = changes.get("folder_ids")
    if folder_ids is not None:
        folder_ids = await _folders(session, principal, folder_ids, problems)
    records.fail_if(problems)
    now = utcnow()
    if template is None:
        template = ChecklistTemplate(tenant_id=principal.tenant_id, created_at=now, **values)
        session.add(template)
        name = "checklist_template.created"
    else:
        for key, value in values.items():
            setattr(template, key, value)
        name = "checklist_template.updated"
    template.updated_at = now
    await session.flush()
    if folder_ids is not None:
        await _attach(session, principal, template.id, folder_ids)
    await _event(session, principal, name, None, templateId=template.id, name=template.name)
    return template


async def delete_template(session: AsyncSession, principal: Principal, template_id: int):
    """Lists made from it stay, without their template."""
    access.require(principal, "checklists.settings")
    template = await _template(session, principal, template_id, True)
    await session.delete(template)
    data = {"templateId": template.id, "name": template.name}
    await _event(session, principal, "checklist_template.deleted", None, **data)
    return template


# --- lists -----------------------------------------------------------------------------------


async def _emit(session, principal, checklist: Checklist, event: str, **data) -> None:
    data = {"checklistId": checklist.id, "name": checklist.name, **data}
    await _event(session, principal, event, checklist.customer_id, **data)


async def _make(session, tenant_id, customer_id, name, texts, **columns) -> Checklist:
    checklist = Checklist(
        tenant_id=tenant_id,
        customer_id=customer_id,
        name=name,
        item_count=len(texts),
        done_count=0,
        finished=0,
        created_at=utcnow(),
        **columns,
    )
    session.add(checklist)
    await session.flush()
    await _insert_items(session, tenant_id, checklist.id, texts)
    return checklist


async def _insert_items(session, tenant_id: int, checklist_id: int, texts: list[str]) -> None:
    rows = [
        {"tenant_id": tenant_id, "checklist_id": checklist_id, "position": i, "text": text}
        for i, text in enumerate(texts, 1)
    ]
    await session.execute(insert(I), rows)


async def add_checklist(session: AsyncSession, principal: Principal, data: dict) -> Checklist:
    """From a template (its name unless `name` is given, its items) or ad hoc (a name and
    items); not both a template and items."""
    access.require(principal, "checklists.manage")
    customer = await get_customer(session, principal, data["customer_id"])
    problems: list[Problem] = []
    template = None
    if data.get("template_id") is not None:
        try:
            template = await _template(session, principal, data["template_id"])
        except NotFound as exc:
            message = "Checklist template not found."
            raise InvalidInput.one(("input", "templateId"), message, "NOT_FOUND") from exc
        if data.get("items") is not None:
            problems.append(
                Problem(("input", "items"), "Give a template or items, not both.", "INVALID")
            )
    name = data.get("name")
    if template is not None and name is None:
        name = template.name
    name = _name(name, problems)
    texts = list(template.items) if template else _items(data.get("items"), problems)
    records.fail_if(problems)
    checklist = await _make(
        session,
        principal.tenant_id,
        customer.id,
        name,
        texts,
        template_id=template.id if template else None,
        created_by_id=principal.worker_id,
    )
    await _emit(session, principal, checklist, "checklist.added", templateId=checklist.template_id)
    return checklist


async def get_checklist(session, principal, checklist_id: int, what="Checklist") -> Checklist:
    return await records.for_update(session, principal, Checklist, checklist_id, what)


async def _recount(session, principal, checklist: Checklist) -> None:
    """The list's counts from its items; finishing it stamps `completedAt` and emits
    `checklist.completed` once, unchecking or adding an item reopens it."""
    total, done = (
        await session.execute(
            select(func.count(), func.count(I.c.checked_at)).where(I.c.checklist_id == checklist.id)
        )
    ).one()
    finished = int(total > 0 and done == total)
    was = checklist.finished
    checklist.item_count, checklist.done_count, checklist.finished = total, done, finished
    if finished and not was:
        checklist.completed_at = utcnow()
    elif was and not finished:
        checklist.completed_at = None
    await session.flush()
    if finished and not was:
        await _emit(session, principal, checklist, "checklist.completed")


async def rename_checklist(session, principal, checklist_id: int, name) -> Checklist:
    access.require(principal, "checklists.manage")
    checklist = await get_checklist(session, principal, checklist_id)
    problems: list[Problem] = []
    name = _name(name, problems)
    records.fail_if(problems)
    if name != checklist.name:
        previous, checklist.name = checklist.name, name
        await session.flush()
        await _emit(session, principal, checklist, "checklist.renamed", previousName=previous)
    return checklist


async def delete_checklist(session, principal, checklist_id: int) -> Checklist:
    access.require(principal, "checklists.manage")
    checklist = await get_checklist(session, principal, checklist_id)
    await session.delete(checklist)
    await _emit(session, principal, checklist, "checklist.deleted")
    return checklist


async def _item(session, principal, item_id: int) -> tuple[ChecklistItem, Checklist]:
    """The item and its list, the list locked first."""
    checklist_id = await session.scalar(
        select(I.c.checklist_id).where(I.c.tenant_id == principal.tenant_id, I.c.id == item_id)
    )
    if checklist_id is None:
        raise NotFound("Checklist item")
    checklist = await get_checklist(session, principal, checklist_id, "Checklist item")
    item = await session.scalar(
        select(ChecklistItem)
        .where(ChecklistItem.id == item_id)
        .execution_options(populate_existing=True)
    )
    if item is None:
        raise NotFound("Checklist item")
    return item, checklist


async def check_item(session, principal, item_id: int, checked: bool):
    """Idempotent: checking a checked item keeps who checked it and when."""
    access.require(principal, "checklists.manage")
    item, checklist = await _item(session, principal, item_id)
    if (item.checked_at is not None) == checked:
        return item, checklist
    item.checked_at = utcnow() if checked else None
    item.checked_by_id = principal.worker_id if checked else None
    await session.flush()
    name = "checklist.item_checked" if checked else "checklist.item_unchecked"
    await _emit(session, principal, checklist, name, itemId=item.id, text=item.text)
    await _recount(session, principal, checklist)
    return item, checklist


async def add_item(session, principal, checklist_id: int, text) -> tuple[ChecklistItem, Checklist]:
    """At the end of the list; a finished list is open again."""
    access.require(principal, "checklists.manage")
    checklist = await get_checklist(session, principal, checklist_id)
    problems: list[Problem] = []
    text = records.clean_text(text, ("input", "text"), MAX_TEXT, problems, required=True)
    if checklist.item_count >= MAX_ITEMS:
        problems.append(
            Problem(("input", "checklistId"), f"At most {MAX_ITEMS} items.", "TOO_MANY")
        )
    records.fail_if(problems)
    last = await session.scalar(
        select(func.max(I.c.position)).where(I.c.checklist_id == checklist.id)
    )
    item = ChecklistItem(
        tenant_id=checklist.tenant_id,
        checklist_id=checklist.id,
        position=(last or 0) + 1,
        text=text,
    )
    session.add(item)
    await session.flush()
    await _emit(session, principal, checklist, "checklist.item_added", itemId=item.id, text=text)
    await _recount(session, principal, checklist)
    return item, checklist


async def remove_item(session, principal, item_id: int) -> Checklist:
    """Not the last one: a list keeps at least one item (delete the list instead)."""
    access.require(principal, "checklists.manage")
    item, checklist = await _item(session, principal, item_id)
    if checklist.item_count <= 1:
        raise InvalidInput.one(
            ("input", "id"),
            "A checklist keeps at least one item; delete the list instead.",
            "LAST_ITEM",
        )
    await session.delete(item)
    await session.flush()
    await _emit(
        session, principal, checklist, "checklist.item_removed", itemId=item.id, text=item.text
    )
    await _recount(session, principal, checklist)
    return checklist


# --- folders hand out templates ----------------------------------------------------------------


async def customer_entered_folders(session: AsyncSession, event: events.Event) -> None:
    """`customer.folder_changed`: each template attached to a folder the customer entered
    becomes a list of theirs, unless they already have one made from it (by hand or by a
    folder). The unique (customer, folder template) key makes a replayed event, or two
    folders with one template handled at once, add it once."""
    folder_ids = [ref["id"] for ref in event.data.get("added") or []]
    if not folder_ids or event.customer_id is None:
        return
    tenant_id, customer_id = event.tenant_id, event.customer_id
    exists = await session.scalar(
        select(Customer.id).where(Customer.tenant_id == tenant_id, Customer.id == customer_id)
    )
    if exists is None:
        return
    had = select(C.c.template_id).where(
        C.c.customer_id == customer_id, C.c.template_id.is_not(None)
    )
    attached = (
        select(TF.c.template_id, func.min(TF.c.folder_id).label("folder_id"))
        .where(TF.c.tenant_id == tenant_id, TF.c.folder_id.in_(folder_ids))
        .group_by(TF.c.template_id)
        .subquery()
    )
    rows = await session.execute(
        select(T.c.id, T.c.name, T.c["items"], attached.c.folder_id)
        .join(attached, attached.c.template_id == T.c.id)
        .where(T.c.id.not_in(had))
        .order_by(T.c.id)
    )
    for template_id, name, texts, folder_id in rows.all():
        made = await session.scalar(
            records.upsert(session, C)
            .values(
                tenant_id=tenant_id,
                customer_id=customer_id,
                template_id=template_id,
                folder_template_id=template_id,
                name=name,
                item_count=len(texts),
                done_count=0,
                finished=0,
                created_by_id=None,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["customer_id", "folder_template_id"])
            .returning(C.c.id)
        )
        if made is None:
            continue
        await _insert_items(session, tenant_id, made, list(texts))
        data = {"checklistId": made, "name": name, "templateId": template_id, "folderId": folder_id}
        await events.emit(
            session, events.Event("checklist.added", tenant_id, customer_id, data, event.actor_id)
        )


async def move_checklists(session, tenant_id: int, source_id: int, target_id: int) -> None:
    """Merging customers: the lists follow. Where both had a list from the same folder
    template, the source's keeps its items but no longer counts as the folder's."""
    target_keys = select(C.c.folder_template_id).where(
        C.c.customer_id == target_id, C.c.folder_template_id.is_not(None)
    )
    await session.execute(
        update(C)
        .where(C.c.customer_id == source_id, C.c.folder_template_id.in_(target_keys))
        .values(folder_template_id=None)
    )
    await records.move_to_customer(session, tenant_id, source_id, target_id, Checklist)
