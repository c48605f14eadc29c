"""The inbound hook: `POST /hooks/communications/{provider}/{tenant_id}`.

A provider (or a relay in front of it) posts one message as JSON:

    {"messageId": "abc-1", "channel": "EMAIL" | "SMS" | "WHATSAPP" | "CALL",
     "from": "ada@example.com", "to": "shop@example.com", "subject": "…", "body": "…",
     "attachments": [{"name": "quote.pdf", "content": "<base64>"}]}

Attachments (not on calls): at most 10, each at most UPLOAD_MAX_FILE_BYTES and 20 MB
together, of a document's types sniffed from the bytes (the sender's claim is ignored). A
bad one refuses the whole message, nothing stored: 400 `BAD_ATTACHMENT` (not base64),
`ATTACHMENT_TYPE_NOT_ALLOWED`, `TOO_MANY_ATTACHMENTS`, `EMPTY_FILE`, 413
`ATTACHMENT_TOO_LARGE`; `error.message` names the attachment (`attachments[2]: …`).
A sender matching no customer, or several, leaves the message unmatched
(`unmatchedCommunications`) until a worker assigns it.

or a delivery receipt of a message it sent (its id as the send answered it):

    {"type": "status", "messageId": "abc-9", "status": "DELIVERED" | "READ" | "FAILED"}

signed in the header `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw body
with the tenant's hook secret (`rotateCommunicationsHookSecret`, `communications.manage`).
Answers: 200 `{"id", "customerId", "duplicate"}` (a repeated `messageId` of that provider
is stored once and answers `duplicate: true`; a receipt: `duplicate` when it moved nothing,
404 for an unknown message); 400 for a body that is not such a message; 413 past 32 MB;
401 for a missing or wrong signature; 404 for an unknown provider, or a tenant without the
module (or without a secret: nothing could have signed it)."""

import hashlib
import hmac
import tempfile
from pathlib import Path

import orjson
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core import events
from core import files as core_files
from core.modules import enabled_modules
from plugins.communications import attachments, providers
from plugins.communications.models import CHANNELS, HookSecret
from plugins.communications.service import existing, receipt, receive
from schema.ids import to_global_id

HEADER = "x-hub-signature-256"
RECEIPTS = ("DELIVERED", "READ", "FAILED")
MAX_BODY = 32 * 1024 * 1024  # 20 MB of attachments, base64-encoded, and the text


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _problem(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status)


def _parse(body: bytes) -> dict | None:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    if data.get("type") == "status":
        ok = isinstance(data.get("messageId"), str) and data.get("status") in RECEIPTS
        return data if ok else None
    texts = ("messageId", "from", "to", "subject", "body")
    if data.get("attachments") is not None and data.get("channel") == "CALL":
        return None
    if any(data.get(k) is not None and not isinstance(data[k], str) for k in texts):
        return None
    if not data.get("messageId") or not data.get("from") or data.get("channel") not in CHANNELS:
        return None
    if len(data["messageId"]) > 200 or len(data["from"]) > 320 or len(data.get("to") or "") > 320:
        return None
    return {**data, "subject": (data.get("subject") or "")[:300] or None}


async def _body(request: Request) -> bytes | None:
    """The raw body, or None past MAX_BODY (stops reading there: a stranger cannot make the
    process hold more, signed or not)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _secret(state, tenant_id: int):
    """(modules, secret) of the tenant, read in a short transaction of its own."""
    async with state.db.transaction(tenant_id) as session:
        modules = frozenset(await enabled_modules(session, tenant_id))
        secret = await session.scalar(
            select(HookSecret.secret).where(HookSecret.tenant_id == tenant_id)
        )
    return modules, secret


async def _write(state, tenant_id: int, modules, work):
    """`work(session)` in a transaction whose events go out after its commit."""
    async with state.db.transaction(tenant_id) as session:
        events.bind(session, state.plugins, modules)
        result = await work(session)
        written = list(session.info["records"])
    if written:
        state.outbox.after_commit(written)
    return result


def _answer(message, created: bool) -> JSONResponse:
    customer = message.customer_id
    return JSONResponse(
        {
            "id": to_global_id("Communication", message.id),
            "customerId": to_global_id("Customer", customer) if customer else None,
            "duplicate": not created,
        }
    )


async def hook(request: Request):
    provider = request.path_params["provider"]
    tenant_id = request.path_params["tenant_id"]
    if provider not in providers.PROVIDERS:
        return _problem(404, "NOT_FOUND", "No such provider.")
    body = await _body(request)
    if body is None:
        return _problem(413, "TOO_LARGE", f"At most {MAX_BODY:,} bytes.")
    state = request.app.state
    modules, secret = await _secret(state, tenant_id)
    if "communications" not in modules or secret is None:
        return _problem(404, "NOT_FOUND", "No such hook.")
    given = request.headers.get(HEADER, "")
    if not hmac.compare_digest(given.encode(), signature(secret, body).encode()):
        return _problem(401, "UNAUTHENTICATED", f"Bad or missing {HEADER}.")
    data = _parse(body)
    if data is None:
        return _problem(400, "BAD_REQUEST", "Not a message (see the module's docs).")
    if data.get("type") == "status":

        async def work(session):
            return await receipt(session, tenant_id, provider, data["messageId"], data["status"])

        message, created = await _write(state, tenant_id, modules, work)
        if message is None:
            return _problem(404, "NOT_FOUND", "No message of this provider has that id.")
        return _answer(message, created)
    if not data.get("attachments"):
        work = lambda session: receive(session, tenant_id, provider, data)  # noqa: E731
        return _answer(*await _write(state, tenant_id, modules, work))
    with tempfile.TemporaryDirectory(prefix="hub-inbound-") as folder:
        try:
            incoming = attachments.decode(
                data["attachments"], Path(folder), state.settings.upload_max_file_bytes
            )
        except attachments.Refused as refused:
            status = 413 if refused.code == "ATTACHMENT_TOO_LARGE" else 400
            return _problem(status, refused.code, str(refused))
        return await _with_files(state, tenant_id, modules, provider, data, incoming)


async def _with_files(state, tenant_id, modules, provider, data, incoming):
    """Core's three steps (`core/files.py`): pending rows, the objects, then the message
    commits them; a duplicate, or any failure, removes them again (objects first)."""
    async with state.db.transaction(tenant_id) as session:
        first = await session.scalar(existing(tenant_id, provider, data["messageId"]))
        if first is not None:  # a repeat: nothing to store
            return _answer(first, False)
        pending = await attachments.add_pending(session, tenant_id, incoming)
    created = False
    try:
        for (_, key), item in zip(pending, incoming, strict=True):
            await state.storage.put(key, item.path, item.checked.content_type)
        ids = [file_id for file_id, _ in pending]
        work = lambda session: receive(session, tenant_id, provider, data, ids)  # noqa: E731
        message, created = await _write(state, tenant_id, modules, work)
    finally:
        if not created:  # a twin won the race, or something failed
            for file_id, key in pending:
                await core_files.discard(state.db, state.storage, tenant_id, file_id, key)
    return _answer(message, created)


ROUTES = [
    Route(
        "/hooks/communications/{provider}/{tenant_id:int}",
        hook,
        methods=["POST"],
        name="communications-hook",
    )
]
