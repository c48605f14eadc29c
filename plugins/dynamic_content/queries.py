"""Reads of content blocks: the tenant's blocks with their folders (one statement, read once
per request whatever the page), the folders of some blocks, and the count of blocks that
apply to each customer of a page (the badge, and `count` in the compiled path)."""

from sqlalchemy import and_, exists, func, or_, select

from core.models import Customer, CustomerFolder
from plugins.dynamic_content.models import ContentBlock, ContentBlockFolder

B = ContentBlock.__table__
F = ContentBlockFolder.__table__
C = Customer.__table__
CF = CustomerFolder.__table__


async def blocks(conn, tenant_id: int, active_only: bool) -> list[dict]:
    """The tenant's blocks in order, each with `folder_ids` (its folders, by id)."""
    query = (
        select(*B.c, F.c.folder_id)
        .outerjoin(F, F.c.block_id == B.c.id)
        .where(B.c.tenant_id == tenant_id)
        .order_by(B.c.position, B.c.id, F.c.folder_id)
    )
    if active_only:
        query = query.where(B.c.active)
    found: dict[int, dict] = {}
    for row in (await conn.execute(query)).mappings():
        block = found.setdefault(row["id"], {**row, "folder_ids": []})
        if row["folder_id"] is not None:
            block["folder_ids"].append(row["folder_id"])
    return list(found.values())


def applies(block: dict, folder_ids) -> bool:
    """Whether an active block shows for a customer in these folders (the badge's rule)."""
    return not block["limited"] or bool(set(block["folder_ids"]) & set(folder_ids))


async def folder_ids(conn, principal, block_ids) -> list[list[int]]:
    rows = await conn.execute(
        select(F.c.block_id, F.c.folder_id)
        .where(F.c.tenant_id == principal.tenant_id, F.c.block_id.in_(block_ids))
        .order_by(F.c.block_id, F.c.folder_id)
    )
    found: dict[int, list[int]] = {i: [] for i in block_ids}
    for block_id, folder_id in rows:
        found[block_id].append(folder_id)
    return [found[i] for i in block_ids]


def counts_query(principal, customer_ids):
    """(customer id, n): the active blocks each customer of the page gets, `applies` in SQL:
    every block not limited, and each limited one sharing a folder with the customer."""
    in_folder = exists().where(
        F.c.block_id == B.c.id,
        CF.c.folder_id == F.c.folder_id,
        CF.c.customer_id == C.c.id,
        CF.c.tenant_id == principal.tenant_id,
    )
    shown = and_(B.c.tenant_id == C.c.tenant_id, B.c.active, or_(~B.c.limited, in_folder))
    return (
        select(C.c.id.label("customer_id"), func.count(B.c.id).label("n"))
        .select_from(C.join(B, shown))
        .where(C.c.tenant_id == principal.tenant_id, C.c.id.in_(customer_ids))
        .group_by(C.c.id)
    )


async def counts(conn, principal, customer_ids) -> list[int]:
    found = dict((await conn.execute(counts_query(principal, customer_ids))).all())
    return [found.get(i, 0) for i in customer_ids]
