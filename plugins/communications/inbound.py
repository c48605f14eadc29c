"""The inbound hook: `POST /hooks/communications/{provider}/{tenant_id}`.

A provider (or a relay in front of it) posts one message as JSON:

    {"messageId": "abc-1", "channel": "EMAIL" | "SMS" | "WHATSAPP" | "CALL",
     "from": "ada@example.com", "to": "shop@example.com", "subject": "…", "body": "…"}

or a delivery receipt of a message it sent (its id as the send answered it):

    {"type": "status", "messageId": "abc-9", "status": "DELIVERED" | "READ" | "FAILED"}

signed in the header `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw body
with the tenant's hook secret (`rotateCommunicationsHookSecret`, `communications.manage`).
Answers: 200 `{"id", "customerId", "duplicate"}` (a repeated `messageId` of that provider
is stored once and answers `duplicate: true`; a receipt: `duplicate` when it moved nothing,
404 for an unknown message); 400 for a body that is not such a message;
401 for a missing or wrong signature; 404 for an unknown provider, or a tenant without the
module (or without a secret: nothing could have signed it)."""

import hashlib
import hmac

import orjson
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core import events
from core.modules import enabled_modules
from plugins.communications import providers
from plugins.communications.models import CHANNELS, HookSecret
from plugins.communications.service import receipt, receive
from schema.ids import to_global_id

HEADER = "x-hub-signature-256"
RECEIPTS = ("DELIVERED", "READ", "FAILED")
MAX_BODY = 1_000_000


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
    if any(data.get(k) is not None and not isinstance(data[k], str) for k in texts):
        return None
    if not data.get("messageId") or not data.get("from") or data.get("channel") not in CHANNELS:
        return None
    if len(data["messageId"]) > 200 or len(data["from"]) > 320 or len(data.get("to") or "") > 320:
        return None
    return {**data, "subject": (data.get("subject") or "")[:300] or None}


async def hook(request: Request):
    provider = request.path_params["provider"]
    tenant_id = request.path_params["tenant_id"]
    if provider not in providers.PROVIDERS:
        return _problem(404, "NOT_FOUND", "No such provider.")
    body = await request.body()
    if len(body) > MAX_BODY:
        return _problem(413, "TOO_LARGE", "At most 1 MB.")
    state = request.app.state
    async with state.db.transaction(tenant_id) as session:
        modules = frozenset(await enabled_modules(session, tenant_id))
        secret = await session.scalar(
            select(HookSecret.secret).where(HookSecret.tenant_id == tenant_id)
        )
        if "communications" not in modules or secret is None:
            return _problem(404, "NOT_FOUND", "No such hook.")
        given = request.headers.get(HEADER, "")
        if not hmac.compare_digest(given.encode(), signature(secret, body).encode()):
            return _problem(401, "UNAUTHENTICATED", f"Bad or missing {HEADER}.")
        data = _parse(body)
        if data is None:
            return _problem(400, "BAD_REQUEST", "Not a message (see the module's docs).")
        events.bind(session, state.plugins, modules)
        if data.get("type") == "status":
            message, created = await receipt(
                session, tenant_id, provider, data["messageId"], data["status"]
            )
            if message is None:
                return _problem(404, "NOT_FOUND", "No message of this provider has that id.")
        else:
            message, created = await receive(session, tenant_id, provider, data)
        written = list(session.info["records"])
    if written:
        state.outbox.after_commit(written)
    customer = message.customer_id
    return JSONResponse(
        {
            "id": to_global_id("Communication", message.id),
            "customerId": to_global_id("Customer", customer) if customer else None,
            "duplicate": not created,
        }
    )


ROUTES = [
    Route(
        "/hooks/communications/{provider}/{tenant_id:int}",
        hook,
        methods=["POST"],
        name="communications-hook",
    )
]
