"""Note writes: checked input, who may change a note, mentions and events, inside the
caller's transaction.

Every role may write notes (`notebook.write`) on a customer they may change. A note is
changed (body, pin, mentions) or deleted by its author, or by anyone holding
`notebook.manage_all` (owner, admin, manager by default); others get FORBIDDEN. Mentions are
the worker ids the client sends, never parsed out of the body: the Markdown is kept exactly
as written, and `@Sam` in it is only text. The workers mentioned anew (but the writer) are
notified through the `notify` contract on `note.mentioned` (docs/plugins.md)."""

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import Problem
from core.models import Customer, Worker, utcnow
from plugins.notebook.models import Note, NoteMention

MAX_BODY = 20_000
MAX_MENTIONS = 50
M = NoteMention.__table__


def _body(value, problems: list[Problem]) -> str | None:
    """The Markdown as written, not stripped (indentation is syntax); blank is REQUIRED."""
    if records.clean_text(value, ("input", "body"), None, problems, required=True) is None:
        return None
    if len(value) > MAX_BODY:
        problems.append(Problem(("input", "body"), f"At most {MAX_BODY} characters.", "TOO_LONG"))
    return value


async def _mentioned(session, principal: Principal, ids: list[int], problems) -> list[int]:
    """The distinct workers of the tenant among `ids`; NOT_FOUND names each other one."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > MAX_MENTIONS:
        field = ("input", "mentionIds")
        problems.append(Problem(field, f"At most {MAX_MENTIONS} workers.", "TOO_MANY"))
        return []
    query = select(Worker.id).where(Worker.tenant_id == principal.tenant_id, Worker.id.in_(wanted))
    known = set(await session.scalars(query))
    for i, worker_id in enumerate(ids):
        if worker_id not in known:
            problems.append(
                Problem(("input", "mentionIds", str(i)), "Worker not found.", "NOT_FOUND")
            )
    return wanted


async def _mention(session, note: Note, wanted: list[int], current: set[int]) -> list[int]:
    """Make the note mention exactly `wanted`; the newly mentioned ones."""
    gone = current - set(wanted)
    if gone:
        await session.execute(delete(M).where(M.c.note_id == note.id, M.c.worker_id.in_(gone)))
    new = [w for w in wanted if w not in current]
    session.add_all(
        NoteMention(note_id=note.id, worker_id=w, tenant_id=note.tenant_id) for w in new
    )
    return new


async def _emit_mentioned(session, principal: Principal, note: Note, new: list[int]) -> None:
    """`note.mentioned`, with a `notify` for the mentioned but the writer (who knows). The
    notification names the customer, not the note's words: event data shows on the timeline
    to whoever sees the customer, `notebook.view` or not."""
    data: dict = {"workerIds": new}
    others = [w for w in new if w != principal.worker_id]
    if others:
        customer = await session.get(Customer, note.customer_id)  # locked: no statement
        title = f"You were mentioned in a note on {customer.name}"[:200]
        data["notify"] = {"workerIds": others, "kind": "mention", "title": title}
    await _emit(session, principal, note, "note.mentioned", **data)


async def _emit(session, principal, note: Note, name: str, **data) -> None:
    await records.emit(session, principal, name, note.customer_id, noteId=note.id, **data)


async def _changeable(session: AsyncSession, principal: Principal, note_id: int) -> Note:
    access.require(principal, "notebook.write")
    note = await records.for_update(session, principal, Note, note_id, "Note")
    if note.author_id != principal.worker_id:
        access.require(principal, "notebook.manage_all")
    return note


async def add_note(session: AsyncSession, principal: Principal, data: dict) -> Note:
    access.require(principal, "notebook.write")
    customer = await get_customer(session, principal, data["customer_id"])
    problems: list[Problem] = []
    body = _body(data["body"], problems)
    mentions = await _mentioned(session, principal, data["mention_ids"], problems)
    records.fail_if(problems)
    now = utcnow()
    note = Note(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        author_id=principal.worker_id,
        body=body,
        pinned=data["pinned"],
        created_at=now,
        updated_at=now,
    )
    session.add(note)
    await session.flush()
    new = await _mention(session, note, mentions, set())
    await _emit(session, principal, note, "note.added", pinned=note.pinned)
    if new:
        await _emit_mentioned(session, principal, note, new)
    return note


async def update_note(session: AsyncSession, principal: Principal, note_id: int, changes: dict):
    """Only the keys of `changes` change. `mention_ids` replaces the mentions; only workers
    mentioned anew hear of it (`note.mentioned`)."""
    note = await _changeable(session, principal, note_id)
    problems: list[Problem] = []
    body = _body(changes["body"], problems) if "body" in changes else note.body
    if changes.get("pinned", False) is None:
        problems.append(Problem(("input", "pinned"), "Give true or false.", "REQUIRED"))
    mentions = None
    if "mention_ids" in changes:
        mentions = await _mentioned(session, principal, changes["mention_ids"] or [], problems)
    records.fail_if(problems)
    changed, new, now = [], [], utcnow()
    if body != note.body:
        note.body, note.edited_at = body, now
        changed.append("body")
    if mentions is not None:
        current = set(await session.scalars(select(M.c.worker_id).where(M.c.note_id == note.id)))
        new = await _mention(session, note, mentions, current)
        if set(mentions) != current:
            changed.append("mentions")
    pinned = changes.get("pinned", note.pinned)
    flipped = pinned != note.pinned
    if not (changed or flipped):
        return note
    note.pinned, note.updated_at = pinned, now
    await session.flush()
    if changed:
        await _emit(session, principal, note, "note.updated", changed=changed)
    if flipped:
        await _emit(session, principal, note, "note.pinned" if pinned else "note.unpinned")
    if new:
        await _emit_mentioned(session, principal, note, new)
    return note


async def delete_note(session: AsyncSession, principal: Principal, note_id: int) -> int:
    note = await _changeable(session, principal, note_id)
    await session.delete(note)
    await session.flush()
    await _emit(session, principal, note, "note.deleted")
    return note_id
