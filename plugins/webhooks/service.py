"""Endpoint writes and replays, inside the caller's transaction: checked input (an https URL,
or plain http on localhost where the settings allow it, to no internal address: `targets`;
event types the installed modules declare), a signing secret made here and returned once,
and events for every change.

Only `webhooks.manage` (owners and admins by default) changes endpoints: an endpoint sends
every subscribed event of the tenant, whatever customer it is about, so it is as strong as
`customers.view_all`."""

import secrets
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.catalog import get_row
from core.errors import InvalidInput, Problem
from core.models import utcnow
from plugins.webhooks import delivery
from plugins.webhooks.models import DELIVERIES, WebhookDelivery, WebhookEndpoint

MAX_URL = 2000
MAX_DESCRIPTION = 500
MAX_TYPES = 100
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
SECRET_PREFIX = "whsec_"
SHOWN = len(SECRET_PREFIX) + 4  # how much of a secret the API shows after its creation


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def check_url(
    value, local_http: bool, problems: list[Problem], blocked: str | None = None
) -> str | None:
    """An absolute https URL with a host; http only for localhost when `local_http`.
    `blocked`: why its host may not be reached (`targets.saved_problem`, resolved before
    the transaction so no DNS wait holds it)."""
    path = ("input", "url")
    url = records.clean_text(value, path, MAX_URL, problems, required=True)
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        host, parts = None, None
    if parts is None or not host or parts.scheme not in ("https", "http"):
        problems.append(Problem(path, "Give an absolute https:// URL.", "INVALID_URL"))
        return None
    if parts.username or parts.password:
        problems.append(Problem(path, "No user or password in the URL.", "INVALID_URL"))
    elif parts.scheme == "http" and not (local_http and host in LOCAL_HOSTS):
        problems.append(Problem(path, "The URL must use https.", "INSECURE_URL"))
    elif blocked is not None:
        problems.append(Problem(path, blocked, "BLOCKED_ADDRESS"))
    return url


def check_event_types(value, declared: frozenset[str], problems: list[Problem]) -> list[str]:
    """`*` (everything), `<prefix>.*` (e.g. `ticket.*`) or declared names; at least one."""
    path = ("input", "eventTypes")
    wanted = list(dict.fromkeys(t.strip() for t in value or []))
    if not wanted:
        problems.append(Problem(path, "Subscribe to at least one event type (or *).", "REQUIRED"))
    elif len(wanted) > MAX_TYPES:
        problems.append(Problem(path, f"At most {MAX_TYPES} event types.", "TOO_MANY"))
    for i, name in enumerate(wanted):
        if name == "*":
            continue
        if name.endswith(".*") and any(t.startswith(name[:-1]) for t in declared):
            continue
        if name not in declared:
            message = f"Unknown event type {name[:100]!r} (see `webhookEventTypes`)."
            problems.append(Problem((*path, str(i)), message, "UNKNOWN_EVENT_TYPE"))
    return wanted


def _declared(session: AsyncSession) -> frozenset[str]:
    return delivery.deliverable(session.info["plugins"])


def _description(value, problems) -> str:
    path = ("input", "description")
    return records.clean_text(value, path, MAX_DESCRIPTION, problems) or ""


async def _emit(session, principal, endpoint: WebhookEndpoint, name: str, **data) -> None:
    await records.emit(session, principal, name, None, endpointId=endpoint.id, **data)


async def create_endpoint(
    session: AsyncSession, principal: Principal, data: dict, local_http: bool
) -> tuple[WebhookEndpoint, str]:
    access.require(principal, "webhooks.manage")
    problems: list[Problem] = []
    url = check_url(data["url"], local_http, problems, data.get("blocked"))
    types = check_event_types(data["event_types"], _declared(session), problems)
    description = _description(data["description"], problems)
    records.fail_if(problems)
    secret, now = new_secret(), utcnow()
    endpoint = WebhookEndpoint(
        tenant_id=principal.tenant_id,
        url=url,
        description=description,
        event_types=types,
        secret=secret,
        secret_prefix=secret[:SHOWN],
        active=data["active"],
        consecutive_failures=0,
        created_by=principal.worker_id,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    await session.flush()
    await _emit(session, principal, endpoint, "webhook.endpoint_created")
    return endpoint, secret


async def _locked(session: AsyncSession, principal: Principal, endpoint_id: int):
    access.require(principal, "webhooks.manage")
    await get_row(session, WebhookEndpoint, principal.tenant_id, endpoint_id, "Webhook endpoint")
    return await session.scalar(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def update_endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: int, changes: dict, local_http: bool
) -> WebhookEndpoint:
    """Only the keys of `changes` change. Switching an endpoint on again clears its count of
    failures in a row."""
    endpoint = await _locked(session, principal, endpoint_id)
    problems: list[Problem] = []
    new = {}
    if "url" in changes:
        new["url"] = check_url(changes["url"], local_http, problems, changes.get("blocked"))
    if "event_types" in changes:
        new["event_types"] = check_event_types(changes["event_types"], _declared(session), problems)
    if "description" in changes:
        new["description"] = _description(changes["description"], problems)
    if "active" in changes:
        if changes["active"] is None:
            problems.append(Problem(("input", "active"), "Give true or false.", "REQUIRED"))
        new["active"] = changes["active"]
    records.fail_if(problems)
    changed = [k for k, v in new.items() if getattr(endpoint, k) != v]
    if not changed:
        return endpoint
    for key in changed:
        setattr(endpoint, key, new[key])
    if "active" in changed:
        endpoint.consecutive_failures, endpoint.disabled_at = 0, None
    endpoint.updated_at = utcnow()
    await session.flush()
    names = {"event_types": "eventTypes"}
    await _emit(
        session,
        principal,
        endpoint,
        "webhook.endpoint_updated",
        changed=[names.get(k, k) for k in changed],
    )
    return endpoint


async def delete_endpoint(session: AsyncSession, principal: Principal, endpoint_id: int) -> int:
    """Its delivery log goes with it; jobs still queued for it find nothing and end."""
    endpoint = await _locked(session, principal, endpoint_id)
    await session.delete(endpoint)
    await session.flush()
    await _emit(session, principal, endpoint, "webhook.endpoint_deleted")
    return endpoint_id


async def rotate_secret(
    session: AsyncSession, principal: Principal, endpoint_id: int
) -> tuple[WebhookEndpoint, str]:
    """A new secret at once: deliveries signed from now on (retries too) use it."""
    endpoint = await _locked(session, principal, endpoint_id)
    secret = new_secret()
    endpoint.secret, endpoint.secret_prefix = secret, secret[:SHOWN]
    endpoint.updated_at = utcnow()
    await session.flush()
    await _emit(session, principal, endpoint, "webhook.secret_rotated")
    return endpoint, secret


async def replay(session: AsyncSession, principal: Principal, delivery_id: int):
    """A new delivery of the same event (and payload) to the same endpoint, behind that
    customer's unfinished deliveries; the original stays in the log as it was."""
    access.require(principal, "webhooks.manage")
    original = await get_row(
        session, WebhookDelivery, principal.tenant_id, delivery_id, "Webhook delivery"
    )
    endpoint = await _locked(session, principal, original.endpoint_id)
    if not endpoint.active:
        raise InvalidInput.one(
            ("input", "id"),
            "The endpoint is switched off: switch it on first.",
            "ENDPOINT_INACTIVE",
        )
    last = await session.scalar(
        select(func.max(DELIVERIES.c.replay)).where(
            DELIVERIES.c.endpoint_id == original.endpoint_id,
            DELIVERIES.c.event_id == original.event_id,
        )
    )
    row = await delivery.record(
        session,
        endpoint,
        event_id=original.event_id,
        event_type=original.event_type,
        customer_id=original.customer_id,
        payload=original.payload,
        replay=(last or 0) + 1,
    )
    await delivery.enqueue(session, row, principal.worker_id)
    return row
