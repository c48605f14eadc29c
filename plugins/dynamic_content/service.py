"""Block writes (`dynamic_content.manage`), inside the caller's transaction: checked input
(a template that does not compile is refused with its line), the folders a block is
limited to, versions, order and events.

Blocks are the tenant's settings, so their events carry no customer; their data names the
block (`blockId`, `title`) and, for an update, what changed."""

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.catalog import next_position, reorder
from core.customers import check_refs
from core.errors import InvalidInput, NotFound, Problem
from core.models import Folder, Tenant, utcnow
from plugins.dynamic_content import render
from plugins.dynamic_content.models import ContentBlock, ContentBlockFolder

MANAGE = "dynamic_content.manage"
MAX_BLOCKS = 50
MAX_TITLE = 200
MAX_BODY = 20_000
MAX_FOLDERS = 50
F = ContentBlockFolder.__table__


def _body(value, problems: list[Problem]) -> str | None:
    """The template as written (not stripped: indentation is Markdown), compiled once here
    so a syntax error, an unsafe construct or an unknown placeholder is refused now."""
    path = ("input", "body")
    if records.clean_text(value, path, None, problems, required=True) is None:
        return None
    if len(value) > MAX_BODY:
        problems.append(Problem(path, f"At most {MAX_BODY} characters.", "TOO_LONG"))
        return None
    try:
        render.compiled(value)
    except render.RenderError as exc:
        problems.append(Problem(path, exc.message, exc.code))
    return value


async def _folders(session, tenant_id: int, ids, problems: list[Problem]) -> list[int]:
    ids = list(dict.fromkeys(ids or []))
    if len(ids) > MAX_FOLDERS:
        problems.append(
            Problem(("input", "folderIds"), f"At most {MAX_FOLDERS} folders.", "TOO_MANY")
        )
        return []
    try:
        await check_refs(session, Folder, tenant_id, ids, ("input", "folderIds"))
    except InvalidInput as exc:
        problems += exc.problems
    return ids


def _flag(value, field: str, problems: list[Problem]) -> bool:
    if not isinstance(value, bool):
        problems.append(Problem(("input", field), "Give true or false.", "REQUIRED"))
    return bool(value)


async def _limit_to(session, block: ContentBlock, folder_ids: list[int]) -> None:
    await session.execute(delete(F).where(F.c.block_id == block.id))
    block.limited = bool(folder_ids)
    session.add_all(
        ContentBlockFolder(block_id=block.id, folder_id=f, tenant_id=block.tenant_id)
        for f in folder_ids
    )


async def _block(session, principal: Principal, block_id: int) -> ContentBlock:
    """The tenant's block, locked until the transaction ends (versions never interleave)."""
    block = await session.scalar(
        select(ContentBlock)
        .where(ContentBlock.tenant_id == principal.tenant_id, ContentBlock.id == block_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if block is None:
        raise NotFound("DynamicContentBlock")
    return block


async def _lock_list(session, tenant_id: int) -> None:
    """Creates and reorders of a tenant's blocks take turns (positions and the limit are
    read, then written). The tenant row, FOR NO KEY UPDATE: the foreign-key checks of the
    tenant's other writes (FOR KEY SHARE) do not wait for it. SQLite writes one at a time."""
    await session.execute(
        select(Tenant.id).where(Tenant.id == tenant_id).with_for_update(key_share=True)
    )


async def _emit(session, principal, name: str, block: ContentBlock, **data) -> None:
    await records.emit(session, principal, name, None, blockId=block.id, title=block.title, **data)


async def create_block(session: AsyncSession, principal: Principal, data: dict) -> ContentBlock:
    """A new block at the end of the list."""
    access.require(principal, MANAGE)
    tenant_id = principal.tenant_id
    await _lock_list(session, tenant_id)
    problems: list[Problem] = []
    title = records.clean_text(data["title"], ("input", "title"), MAX_TITLE, problems, True)
    body = _body(data["body"], problems)
    active = _flag(data["active"], "active", problems)
    folder_ids = await _folders(session, tenant_id, data["folder_ids"], problems)
    existing = await session.scalar(select(func.count()).where(ContentBlock.tenant_id == tenant_id))
    if existing >= MAX_BLOCKS:
        problems.append(Problem(("input",), f"At most {MAX_BLOCKS} blocks.", "TOO_MANY"))
    records.fail_if(problems)
    now = utcnow()
    block = ContentBlock(
        tenant_id=tenant_id,
        title=title,
        body=body,
        active=active,
        position=await next_position(session, ContentBlock, tenant_id),
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(block)
    await session.flush()
    await _limit_to(session, block, folder_ids)
    await session.flush()
    await _emit(session, principal, "dynamic_content.block_created", block)
    return block


async def update_block(
    session: AsyncSession,
    principal: Principal,
    block_id: int,
    changes: dict,
    expected_version: int | None = None,
) -> ContentBlock:
    """Only the keys of `changes` change; `folder_ids` replaces the folders (empty: every
    customer). A stale `expected_version` is VERSION_CONFLICT and writes nothing."""
    access.require(principal, MANAGE)
    block = await _block(session, principal, block_id)
    if expected_version is not None and expected_version != block.version:
        raise InvalidInput.one(
            ("input", "expectedVersion"),
            f"The block is at version {block.version}, not {expected_version}; reload it and "
            "try again.",
            "VERSION_CONFLICT",
        )
    problems: list[Problem] = []
    values = {}
    if "title" in changes:
        path = ("input", "title")
        values["title"] = records.clean_text(changes["title"], path, MAX_TITLE, problems, True)
    if "body" in changes:
        values["body"] = _body(changes["body"], problems)
    if "active" in changes:
        values["active"] = _flag(changes["active"], "active", problems)
    folder_ids = None
    if "folder_ids" in changes:
        folder_ids = await _folders(session, block.tenant_id, changes["folder_ids"], problems)
    records.fail_if(problems)
    changed = [key for key, value in values.items() if getattr(block, key) != value]
    if folder_ids is not None:
        current = await session.scalars(select(F.c.folder_id).where(F.c.block_id == block.id))
        if set(current) != set(folder_ids) or block.limited != bool(folder_ids):
            await _limit_to(session, block, folder_ids)
            changed.append("folders")
    if not changed:
        return block
    for key, value in values.items():
        setattr(block, key, value)
    block.version += 1
    block.updated_at = utcnow()
    await session.flush()
    await _emit(session, principal, "dynamic_content.block_updated", block, changed=changed)
    return block


async def delete_block(session: AsyncSession, principal: Principal, block_id: int) -> int:
    access.require(principal, MANAGE)
    block = await _block(session, principal, block_id)
    await session.delete(block)
    await session.flush()
    await _emit(session, principal, "dynamic_content.block_deleted", block)
    return block_id


async def reorder_blocks(
    session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[ContentBlock]:
    """Every block, each once, in its new order (positions are not content: versions stay)."""
    access.require(principal, MANAGE)
    await _lock_list(session, principal.tenant_id)
    blocks = await reorder(session, ContentBlock, principal.tenant_id, ids)
    await records.emit(
        session, principal, "dynamic_content.blocks_reordered", None, blockIds=list(ids)
    )
    return blocks
