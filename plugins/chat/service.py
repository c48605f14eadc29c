"""Chat writes: checked input, who may change what, mentions, read markers and events, inside
the caller's transaction.

- Posting (`chat.post`) needs a customer the worker may change; a message without a thread
  goes to the customer's "General" thread, made by the first such message (the customer row
  is locked by `get_customer`, so two first messages at once make one).
- Mentions are worker ids sent by the client, never parsed out of the body. Each must be a
  worker of the tenant (NOT_FOUND) who may see the customer and read its chat (`chat.view`);
  one who may not is REFUSED with MENTION_CANNOT_SEE rather than silently dropped, so the
  writer knows who will not hear of it. The mentioned (but the author) are notified through
  the `notify` contract on `chat.message_posted`.
- The author edits a message; the author or `chat.manage` deletes it. Deleting is soft: the
  row stays as a "deleted" placeholder, its body and mentions emptied.
- A read marker only moves forward; reading needs `chat.view` only (no edit right)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import Forbidden, InvalidInput, Problem
from core.models import Customer, Worker, utcnow
from plugins.chat.models import ChatIdempotencyKey, ChatMessage, ChatReadMarker, ChatThread

MAX_BODY = 4_000
MAX_TITLE = 200
MAX_MENTIONS = 20
DEFAULT_TITLE = "General"
SNIPPET = 200


def _body(value, problems: list[Problem]) -> str | None:
    return records.clean_text(value, ("input", "body"), MAX_BODY, problems, required=True)


def _title(value, problems: list[Problem]) -> str | None:
    return records.clean_text(value, ("input", "title"), MAX_TITLE, problems, required=True)


async def _mentioned(session, principal: Principal, customer_id, ids, grants, problems) -> list:
    """The distinct mentioned workers, each a worker of the tenant who may read this
    customer's chat."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > MAX_MENTIONS:
        problems.append(
            Problem(("input", "mentionIds"), f"At most {MAX_MENTIONS} workers.", "TOO_MANY")
        )
        return []
    query = select(Worker.id).where(Worker.tenant_id == principal.tenant_id, Worker.id.in_(wanted))
    known = set(await session.scalars(query))
    conn = await session.connection()
    for i, worker_id in enumerate(ids):
        field = ("input", "mentionIds", str(i))
        if worker_id not in known:
            problems.append(Problem(field, "Worker not found.", "NOT_FOUND"))
            continue
        if worker_id == principal.worker_id:
            continue
        if not await _may_read(conn, principal.tenant_id, worker_id, customer_id, grants):
            message = "This worker may not see the customer's chat."
            problems.append(Problem(field, message, "MENTION_CANNOT_SEE"))
    return wanted


async def _may_read(conn, tenant_id: int, worker_id: int, customer_id: int, grants) -> bool:
    other = await access.principal_for(conn, tenant_id, worker_id, grants)
    if other is None or not access.can(other, "chat.view"):
        return False
    seen = await conn.scalar(
        select(Customer.id).where(Customer.id == customer_id, access.visible_customers(other))
    )
    return seen is not None


async def _thread(session, principal, customer_id: int, thread_id: int | None, problems):
    if thread_id is not None:
        thread = await session.scalar(
            select(ChatThread).where(
                ChatThread.tenant_id == principal.tenant_id,
                ChatThread.id == thread_id,
                ChatThread.customer_id == customer_id,
            )
        )
        if thread is None:
            problems.append(Problem(("input", "threadId"), "Thread not found.", "NOT_FOUND"))
        return thread
    thread = await session.scalar(
        select(ChatThread)
        .where(
            ChatThread.tenant_id == principal.tenant_id,
            ChatThread.customer_id == customer_id,
            ChatThread.is_default.is_(True),
        )
        .order_by(ChatThread.id)
        .limit(1)
    )
    return thread or _new_thread(session, principal, customer_id, DEFAULT_TITLE, True)


def _new_thread(session, principal, customer_id: int, title: str, default: bool) -> ChatThread:
    thread = ChatThread(
        tenant_id=principal.tenant_id,
        customer_id=customer_id,
        title=title,
        is_default=default,
        created_by_id=principal.worker_id,
        created_at=utcnow(),
    )
    session.add(thread)
    return thread


def _notify(principal: Principal, thread: ChatThread, body: str, mentions: list[int]):
    """The `notify` contract (docs/plugins.md, issue 17): the mentioned but the author."""
    others = [w for w in mentions if w != principal.worker_id]
    if not others:
        return None
    snippet = body if len(body) <= SNIPPET else body[: SNIPPET - 1] + "…"
    title = f"You were mentioned in the chat thread “{thread.title}”"
    return {"workerIds": others, "kind": "mention", "title": title, "body": snippet}


async def post_message(
    session: AsyncSession, principal: Principal, data: dict, grants
) -> ChatMessage:
    access.require(principal, "chat.post")
    customer = await get_customer(session, principal, data["customer_id"])
    key = data.get("idempotency_key")
    if key is not None and not (0 < len(key) <= 200):
        raise InvalidInput.one(("input", "idempotencyKey"), "1 to 200 characters.", "INVALID")
    if key is not None:
        facts = {k: data[k] for k in ("customer_id", "thread_id", "body", "mention_ids")}
        first = await records.claim_key(
            session,
            ChatIdempotencyKey,
            principal.tenant_id,
            key,
            records.fingerprint(facts),
            ChatIdempotencyKey.message_id,
            "message",
        )
        if first is not None:
            return await session.get(ChatMessage, first)
    problems: list[Problem] = []
    body = _body(data["body"], problems)
    thread = await _thread(session, principal, customer.id, data.get("thread_id"), problems)
    mentions = await _mentioned(
        session, principal, customer.id, data["mention_ids"], grants, problems
    )
    records.fail_if(problems)
    await session.flush()
    message = ChatMessage(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        thread_id=thread.id,
        author_id=principal.worker_id,
        body=body,
        mention_ids=mentions,
        created_at=utcnow(),
    )
    session.add(message)
    await session.flush()
    if key is not None:
        await session.execute(
            ChatIdempotencyKey.__table__.update()
            .where(
                ChatIdempotencyKey.tenant_id == principal.tenant_id, ChatIdempotencyKey.key == key
            )
            .values(message_id=message.id)
        )
    extra = {"notify": notify} if (notify := _notify(principal, thread, body, mentions)) else {}
    await _emit(session, principal, message, "chat.message_posted", mentionIds=mentions, **extra)
    return message


async def _emit(session, principal, message: ChatMessage, name: str, **data) -> None:
    await records.emit(
        session,
        principal,
        name,
        message.customer_id,
        messageId=message.id,
        threadId=message.thread_id,
        **data,
    )


async def edit_message(session, principal: Principal, message_id: int, body) -> ChatMessage:
    """The author alone changes what they wrote; a deleted message stays deleted."""
    access.require(principal, "chat.post")
    message = await records.for_update(session, principal, ChatMessage, message_id, "Message")
    if message.author_id != principal.worker_id:
        raise Forbidden("Only its author may edit a message.")
    if message.deleted_at is not None:
        raise InvalidInput.one(("input", "id"), "The message was deleted.", "MESSAGE_DELETED")
    problems: list[Problem] = []
    body = _body(body, problems)
    records.fail_if(problems)
    if body == message.body:
        return message
    message.body, message.edited_at = body, utcnow()
    await session.flush()
    await _emit(session, principal, message, "chat.message_edited")
    return message


async def delete_message(session, principal: Principal, message_id: int) -> int:
    access.require(principal, "chat.post")
    message = await records.for_update(session, principal, ChatMessage, message_id, "Message")
    if message.author_id != principal.worker_id:
        access.require(principal, "chat.manage")
    if message.deleted_at is None:
        message.deleted_at, message.body, message.mention_ids = utcnow(), "", []
        await session.flush()
        await _emit(session, principal, message, "chat.message_deleted")
    return message_id


async def mark_read(session, principal: Principal, thread_id: int, up_to: int) -> ChatThread:
    """The viewer's marker moves to `up_to` (a message of the thread) unless it is past it."""
    access.require(principal, "chat.view")
    thread = await records.visible_row(session, principal, ChatThread, thread_id, "Thread")
    found = await session.scalar(
        select(ChatMessage.id).where(
            ChatMessage.tenant_id == principal.tenant_id,
            ChatMessage.thread_id == thread.id,
            ChatMessage.id == up_to,
        )
    )
    if found is None:
        raise InvalidInput.one(
            ("input", "upToId"), "Message not found in this thread.", "NOT_FOUND"
        )
    await records.advance_marker(
        session,
        ChatReadMarker.__table__,
        {"thread_id": thread.id, "worker_id": principal.worker_id},
        "last_read_id",
        up_to,
        tenant_id=principal.tenant_id,
    )
    return thread


async def create_thread(session, principal: Principal, customer_id: int, title) -> ChatThread:
    access.require(principal, "chat.post")
    customer = await get_customer(session, principal, customer_id)
    problems: list[Problem] = []
    title = _title(title, problems)
    records.fail_if(problems)
    thread = _new_thread(session, principal, customer.id, title, False)
    await session.flush()
    await records.emit(session, principal, "chat.thread_created", customer.id, threadId=thread.id)
    return thread


async def rename_thread(session, principal: Principal, thread_id: int, title) -> ChatThread:
    """Its creator or `chat.manage`."""
    access.require(principal, "chat.post")
    thread = await records.for_update(session, principal, ChatThread, thread_id, "Thread")
    if thread.created_by_id != principal.worker_id:
        access.require(principal, "chat.manage")
    problems: list[Problem] = []
    title = _title(title, problems)
    records.fail_if(problems)
    if title != thread.title:
        thread.title = title
        await session.flush()
        await records.emit(
            session, principal, "chat.thread_renamed", thread.customer_id, threadId=thread.id
        )
    return thread
