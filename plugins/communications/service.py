"""Message writes inside the caller's transaction: sending (a QUEUED row and its job),
message requests of other modules, inbound messages, read markers and the hook secret.

A message is sent after its write commits: `send` enqueues the job `communications.send`
with the row, and `deliver` (the job) hands it to its provider and records the outcome. The
row is the record whatever happens to the network."""

import logging
import secrets

import nh3
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, events, jobs, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, Problem
from core.identities import lookup
from core.models import Customer, utcnow
from plugins.communications import attachments, providers, queries
from plugins.communications.models import HookSecret, Message, ReadMarker, SendKey

log = logging.getLogger(__name__)

JOB = "communications.send"
SENDABLE = ("EMAIL", "SMS", "WHATSAPP")
MAX_BODY = 50_000
MAX_SUBJECT = 300
MAX_ADDRESS = 320
M = Message.__table__


def clean_body(channel: str, body: str) -> str:
    """An email's body is HTML: kept as `nh3` (ammonia) cleans it, safe to render. Other
    channels are plain text, kept as written (render them as text)."""
    return nh3.clean(body) if channel == "EMAIL" else body


def default_address(customer: Customer, channel: str) -> str | None:
    """The customer's primary email (EMAIL) or phone (SMS, WhatsApp), else its first."""
    items = customer.emails if channel == "EMAIL" else customer.phones
    items = sorted(items or [], key=lambda item: not item.get("primary"))
    return items[0]["value"] if items else None


def _check(data: dict, customer: Customer, problems: list[Problem]) -> dict:
    channel = data["channel"]
    if channel not in SENDABLE:
        problems.append(Problem(("input", "channel"), "EMAIL, SMS or WHATSAPP.", "INVALID"))
    subject = records.clean_text(data.get("subject"), ("input", "subject"), MAX_SUBJECT, problems)
    body = records.clean_text(data.get("body"), ("input", "body"), MAX_BODY, problems, True)
    to = records.clean_text(data.get("to"), ("input", "to"), MAX_ADDRESS, problems)
    to = to or default_address(customer, channel)
    if to is None and channel in SENDABLE:
        what = "email" if channel == "EMAIL" else "phone"
        problems.append(Problem(("input", "to"), f"The customer has no {what}.", "REQUIRED"))
    elif channel == "EMAIL" and "@" not in to:
        problems.append(Problem(("input", "to"), "Not an email address.", "INVALID"))
    return {"channel": channel, "subject": subject, "body": body, "to": to}


async def _queue(
    session, tenant_id, customer_id, author_id, clean: dict, key=None, files=()
) -> Message:
    """The outbound row, its attachments and its job, in the caller's transaction."""
    now = utcnow()
    channel = clean["channel"]
    message = Message(
        tenant_id=tenant_id,
        customer_id=customer_id,
        direction="OUTBOUND",
        channel=channel,
        provider=providers.for_channel(channel),
        request_key=key,
        to_address=clean["to"],
        subject=clean["subject"] if channel == "EMAIL" else None,
        body=clean_body(channel, clean["body"]),
        status="QUEUED",
        author_id=author_id,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    await session.flush()
    await attachments.link(session, tenant_id, message.id, list(files))
    await jobs.enqueue(
        session,
        tenant_id,
        JOB,
        {"messageId": message.id},
        created_by=author_id,
        idempotency_key=f"message:{message.id}",
    )
    await _event(session, message, "communication.sent")
    return message


async def _event(session, message: Message, name: str, **data) -> None:
    data = {"messageId": message.id, "channel": message.channel, "status": message.status, **data}
    event = events.Event(name, message.tenant_id, message.customer_id, data, message.author_id)
    await events.emit(session, event)


async def send(session: AsyncSession, principal: Principal, data: dict) -> Message:
    access.require(principal, "communications.send")
    key = data.get("idempotency_key")
    names = ("customer_id", "channel", "to", "subject", "body", "file_ids")
    facts = {k: data.get(k) for k in names}
    if key is not None:
        first = await records.claim_key(
            session, SendKey, principal.tenant_id, key, records.fingerprint(facts),
            SendKey.message_id, "message",
        )  # fmt: skip
        if first is not None:
            return await session.get(Message, first)
    customer = await get_customer(session, principal, data["customer_id"])
    files = await attachments.claim_outbound(  # first: an unknown id says so at once
        session, principal, customer.id, data.get("file_ids") or []
    )
    problems: list[Problem] = []
    clean = _check(data, customer, problems)
    records.fail_if(problems)
    if files and clean["channel"] != "EMAIL":
        field = ("input", "fileIds")
        raise InvalidInput.one(field, "Only emails carry attachments.", "INVALID")
    message = await _queue(
        session, principal.tenant_id, customer.id, principal.worker_id, clean, files=files
    )
    if key is not None:
        await session.execute(
            update(SendKey)
            .where(SendKey.tenant_id == principal.tenant_id, SendKey.key == key)
            .values(message_id=message.id)
        )
    return message


async def handle_request(session: AsyncSession, event) -> None:
    """The `message_request` contract (docs/plugins.md): once per (tenant, key)."""
    request = (event.data or {}).get("message_request")
    if event.customer_id is None or not isinstance(request, dict):
        log.warning("event %s: message_request without a customer or not an object", event.id)
        return
    key = request.get("key")
    if not isinstance(key, str) or not 0 < len(key) <= 200:
        log.warning("event %s: message_request key must be 1 to 200 characters", event.id)
        return
    request_key = f"request:{key}"
    taken = select(M.c.id).where(M.c.tenant_id == event.tenant_id, M.c.request_key == request_key)
    customer = await session.scalar(
        select(Customer)
        .where(Customer.tenant_id == event.tenant_id, Customer.id == event.customer_id)
        .with_for_update()
    )  # locked: two deliveries of one request queue one message
    if customer is None or await session.scalar(taken) is not None:
        return
    problems: list[Problem] = []
    clean = _check({**request, "channel": request.get("channel")}, customer, problems)
    if problems:
        log.warning("event %s: message_request skipped: %s", event.id, problems)
        return
    await _queue(session, event.tenant_id, customer.id, event.actor_id, clean, request_key)


async def deliver(ctx) -> dict:
    """The job: hand the message to its provider, record SENT / DELIVERED or FAILED. A
    temporary failure is retried with the job's backoff; after the last attempt it fails."""
    message_id = ctx.payload["messageId"]
    async with ctx.chunk() as session:
        message = await session.get(Message, message_id)
        if message is None or message.status != "QUEUED":  # gone, or done by a first run
            return {"status": message.status if message else None}
        row = {c.name: getattr(message, c.name) for c in M.c}
        files = await attachments.for_sending(session, message_id)
    provider = providers.PROVIDERS[row["provider"]]
    try:
        status, provider_id = await provider.send(row, await _contents(ctx, files))
        error = None
    except providers.Temporary as failure:
        if ctx.attempt < ctx.job["max_attempts"]:
            raise jobs.JobError("COMMUNICATION_SEND_FAILED", str(failure)[:400]) from failure
        status, provider_id, error = "FAILED", None, str(failure)
    except providers.Permanent as failure:
        status, provider_id, error = "FAILED", None, str(failure)
    async with ctx.chunk() as session:
        message = await session.get(Message, message_id, with_for_update=True)
        if message is None or message.status != "QUEUED":
            return {"status": message.status if message else None}
        message.status, message.provider_message_id = status, provider_id
        message.error_message = error[:500] if error else None
        message.updated_at = utcnow()
        await session.flush()
        await _event(session, message, "communication.status_changed", previous="QUEUED")
    return {"status": status}


async def _contents(ctx, files: list[dict]) -> list[dict]:
    """The attachments' bytes, read from the storage the runner carries (`Permanent` when
    one is gone: it never will come back)."""
    if not files:
        return []
    storage = getattr(ctx.runner, "storage", None)
    if storage is None:
        raise jobs.JobError("INTERNAL", "This process has no file storage.")
    found = []
    for file in files:
        try:
            data = await storage.get(file["key"])
        except FileNotFoundError:
            data = None
        found.append({"name": file["name"], "content_type": file["content_type"], "data": data})
    return found


def existing(tenant_id: int, provider: str, provider_id: str):
    return select(Message).where(
        Message.tenant_id == tenant_id,
        Message.provider == provider,
        Message.provider_message_id == provider_id,
    )


async def receive(
    session: AsyncSession, tenant_id: int, provider: str, data: dict, files: list[int] = ()
):
    """An inbound message from a provider's hook: (message, created). Matched to the one
    customer whose email (EMAIL) or phone (other channels) is its sender; kept unmatched (no
    customer, `unmatchedCommunications`) when none or several are. Once per provider message
    id: a repeat gives the first row back. `files`: its attachments' pending rows."""
    twin = existing(tenant_id, provider, data["messageId"])
    found = await session.scalar(twin)
    if found is not None:
        return found, False
    kind = "EMAIL" if data["channel"] == "EMAIL" else "PHONE"
    matches = (await lookup(session, tenant_id, kind, [data["from"]])).get(data["from"], [])
    matched = len(set(matches)) == 1
    now = utcnow()
    values = dict(
        tenant_id=tenant_id,
        customer_id=matches[0] if matched else None,
        direction="INBOUND",
        channel=data["channel"],
        provider=provider,
        provider_message_id=data["messageId"],
        from_address=data["from"],
        to_address=data.get("to"),
        subject=data.get("subject"),
        body=clean_body(data["channel"], data.get("body") or ""),
        status="DELIVERED",
        created_at=now,
        updated_at=now,
    )
    inserted = await session.scalar(
        records.upsert(session, M)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "provider", "provider_message_id"])
        .returning(M.c.id)
    )
    if inserted is None:  # a twin committed meanwhile
        return await session.scalar(twin), False
    message = await session.get(Message, inserted)
    await attachments.commit_received(session, tenant_id, message, list(files))
    await _event(
        session, message, "communication.received", matched=matched, attachments=len(files)
    )
    return message, True


async def mark_read(session, principal: Principal, customer_id: int, up_to: int | None) -> int:
    """Move the worker's marker on the customer forward to `up_to` (default: the newest
    message they see); never back. The customer's id."""
    access.require(principal, "communications.view")
    customer = await get_customer(session, principal, customer_id, for_edit=False)
    of_customer = (
        M.c.tenant_id == principal.tenant_id,
        M.c.customer_id == customer.id,
        *queries.seen_by(principal),
    )
    if up_to is not None:  # one of this customer's messages you see, else like an unknown id
        if await session.scalar(select(M.c.id).where(*of_customer, M.c.id == up_to)) is None:
            raise InvalidInput.one(("input", "upToId"), "Message not found.", "NOT_FOUND")
    else:
        up_to = await session.scalar(select(func.max(M.c.id)).where(*of_customer))
    if up_to is None:
        return customer.id
    await records.advance_marker(
        session,
        ReadMarker.__table__,
        {"worker_id": principal.worker_id, "customer_id": customer.id},
        "last_read_id",
        up_to,
        tenant_id=principal.tenant_id,
    )
    return customer.id


async def rotate_secret(session: AsyncSession, principal: Principal) -> str:
    """A new hook secret for the tenant (the old one stops working at once)."""
    access.require(principal, "communications.manage")
    secret = secrets.token_urlsafe(32)
    statement = records.upsert(session, HookSecret.__table__).values(
        tenant_id=principal.tenant_id, secret=secret, created_at=utcnow()
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id"], set_={"secret": secret, "created_at": utcnow()}
        )
    )
    return secret


async def merge(session, tenant_id: int, source_id: int, target_id: int) -> None:
    """Messages follow the customer; the source's read markers go (the target's stay)."""
    await records.move_to_customer(session, tenant_id, source_id, target_id, Message)
    R = ReadMarker.__table__
    await session.execute(delete(R).where(R.c.tenant_id == tenant_id, R.c.customer_id == source_id))


RANK = {"QUEUED": 0, "SENT": 1, "DELIVERED": 2, "READ": 3}


async def receipt(session, tenant_id: int, provider: str, provider_id: str, status: str):
    """A provider's delivery receipt for an outbound message it sent: the message (None:
    unknown) and whether its status moved. Only forward (SENT → DELIVERED → READ; FAILED
    before DELIVERED), so a late or repeated receipt changes nothing. Reaching READ (the
    recipient opened it) is announced twice: `communication.status_changed`, like every
    move, and `communication.opened`, for rules and webhooks that wait for exactly that."""
    message = await session.scalar(
        select(Message)
        .where(
            Message.tenant_id == tenant_id,
            Message.provider == provider,
            Message.provider_message_id == provider_id,
            Message.direction == "OUTBOUND",
        )
        .with_for_update()
    )
    if message is None:
        return None, False
    old = message.status
    rank = RANK.get(old, 9)  # FAILED: final
    forward = rank < 2 if status == "FAILED" else rank < RANK[status]
    if not forward:
        return message, False
    message.status, message.updated_at = status, utcnow()
    await session.flush()
    await _event(session, message, "communication.status_changed", previous=old)
    if status == "READ":  # once: READ is never reached twice
        await _event(session, message, "communication.opened", previous=old)
    return message, True
