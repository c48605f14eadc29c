"""Batched reads: Core selects returning plain rows, one statement per batch, always within
the principal's tenant, and for a customer's rows under the one visibility rule."""

from datetime import datetime

from sqlalchemy import select

from core.access import visible_customers
from core.keyset import Order, by_ids, counts_query
from core.models import Customer
from plugins.checklists.models import (
    Checklist,
    ChecklistItem,
    ChecklistTemplate,
    ChecklistTemplateFolder,
)

T = ChecklistTemplate.__table__
TF = ChecklistTemplateFolder.__table__
C = Checklist.__table__
I = ChecklistItem.__table__  # noqa: E741

UNFINISHED_FIRST = Order(
    "unfinished_first", ((C.c.finished, False, False), (C.c.created_at, True, False)), C.c.id
)
BY_NAME = Order("name", ((T.c.name, False, False),), T.c.id)


def templates(principal):
    return select(*T.c).where(T.c.tenant_id == principal.tenant_id)


async def templates_by_ids(conn, principal, ids) -> list:
    return await by_ids(conn, templates(principal).where(T.c.id.in_(ids)), ids)


async def folders_of(conn, principal, template_ids) -> list[list[int]]:
    """The folder ids attached to each template."""
    rows = await conn.execute(
        select(TF.c.template_id, TF.c.folder_id)
        .where(TF.c.tenant_id == principal.tenant_id, TF.c.template_id.in_(template_ids))
        .order_by(TF.c.folder_id)
    )
    found: dict[int, list[int]] = {i: [] for i in template_ids}
    for template_id, folder_id in rows:
        found[template_id].append(folder_id)
    return [found[i] for i in template_ids]


async def items_of(conn, principal, checklist_ids) -> list[list]:
    """Each list's items in order: one statement for every list of a page."""
    rows = await conn.execute(
        select(*I.c)
        .where(I.c.tenant_id == principal.tenant_id, I.c.checklist_id.in_(checklist_ids))
        .order_by(I.c.checklist_id, I.c.position, I.c.id)
    )
    found: dict[int, list] = {i: [] for i in checklist_ids}
    for row in rows.mappings():
        found[row["checklist_id"]].append(row)
    return [found[i] for i in checklist_ids]


async def items_by_ids(conn, principal, ids) -> list:
    query = (
        select(*I.c)
        .join(C, C.c.id == I.c.checklist_id)
        .join(Customer.__table__, Customer.id == C.c.customer_id)
        .where(visible_customers(principal), I.c.tenant_id == principal.tenant_id)
        .where(I.c.id.in_(ids))
    )
    return await by_ids(conn, query, ids)


def unfinished_counts(tenant_id: int, customer_ids):
    """(customer id, unfinished lists): the tab's badge."""
    return counts_query(C, "customer_id", tenant_id, customer_ids, C.c.finished == 0)


async def unfinished(conn, principal, customer_ids) -> list[int]:
    rows = await conn.execute(unfinished_counts(principal.tenant_id, customer_ids))
    found = dict(rows.all())
    return [found.get(i, 0) for i in customer_ids]


def _jsonable(row) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"checklists": [...]}`: every list of the customer with its items, as JSON values."""
    lists = await conn.execute(
        select(*C.c)
        .where(C.c.tenant_id == tenant_id, C.c.customer_id == customer_id)
        .order_by(C.c.id)
    )
    found = {row["id"]: {**_jsonable(row), "items": []} for row in lists.mappings()}
    if found:
        items = await conn.execute(
            select(*I.c)
            .where(I.c.tenant_id == tenant_id, I.c.checklist_id.in_(list(found)))
            .order_by(I.c.checklist_id, I.c.position, I.c.id)
        )
        for row in items.mappings():
            found[row["checklist_id"]]["items"].append(_jsonable(row))
    return {"checklists": list(found.values())}
