"""Delivering events: a delivery row per event and endpoint, recorded after the event's write
committed (`hub_handle_event`), sent by a job of the durable runner (`webhooks.deliver`).

A job's life: a first chunk claims the delivery (PENDING or RETRYING → SENDING, under its row
lock, so two jobs never send one delivery at once); the POST runs outside any transaction
(no connection is held while a slow endpoint answers); a second chunk records the outcome.
A retryable failure (network error, timeout, 5xx, 408, 429) schedules the next attempt as a
new job after a wait drawn uniformly up to the schedule's next value (`WEBHOOK_RETRY_SECONDS`,
full jitter); past the last one, or on any other 4xx/3xx, the delivery is FAILED, and
`WEBHOOK_DISABLE_AFTER` failed deliveries in a row switch the endpoint off
(`webhook.endpoint_disabled`).

Order per endpoint and customer: a delivery does not start while an earlier one (of an
older event: event ids follow the writes, which lock their customer) of the same endpoint and
customer is unfinished; its job just ends. When a delivery finishes (sent or failed for
good), the same chunk enqueues a job for the earliest waiting one. So a waiting delivery
costs nothing until its turn, and the chain cannot break: the finish and the next job commit
together. The cost: one endpoint's deliveries for one customer go one at a time, and a
delivery in retry holds that customer's later ones back for as long as it retries (up to a
day); other customers are not held back.
Events without a customer are not ordered, and an event recorded only after a newer one of
its customer was sent (two processes' relays racing) goes out late rather than holding back.

At least once, never stuck in SENDING: the delivery's job holds a lease (`JOB_LEASE_SECONDS`,
renewed by the runner's heartbeat while the POST runs). A process that dies mid-POST stops
renewing it; once it has run out, another runner takes the job over and its claim finds the
delivery SENDING for that same job: the lost attempt goes into the log as interrupted and the
delivery is sent again (same `Webhook-Id`, same body: receivers dedupe). A job that ends
without settling its delivery (FAILED: its processes kept dying, `JOB_INTERRUPTED`, or its
chunks kept failing; or CANCELLED) is answered by `job_ended` (its `job.finished` event): a
job that counts the lost attempt as a retryable failure (the retry schedule, then FAILED and
the endpoint's count of failures) or, for a cancelled job, fails the delivery; one waiting
(PENDING, RETRYING) gets a job again. So no delivery stays unfinished without a job, and none
holds its customer's later deliveries back for ever."""

import asyncio
import hashlib
import hmac
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta

import httpx2
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from core import events, jobs, records
from core.config import Settings
from core.events import CORE_EVENT_TYPES, Event
from core.models import Customer, utcnow
from plugins.webhooks import targets
from plugins.webhooks.models import (
    DELIVERIES,
    FAILED,
    PENDING,
    RETRYING,
    SENDING,
    SUCCEEDED,
    UNFINISHED,
    WebhookDelivery,
    WebhookEndpoint,
)
from schema import live_types
from schema.ids import to_global_id

log = logging.getLogger("customer_hub.webhooks")

KIND = "webhooks.deliver"
NOT_SENT = ("job.",)  # the runner's own bookkeeping: a delivery's jobs would feed themselves
MAX_LOG = 20  # attempts kept in a delivery's log (the schedule has 9)
MAX_ERROR = 500
INTERRUPTED = "Interrupted: the sending process stopped before an answer was recorded."
CANCELLED = "The delivery's job was cancelled."


def deliverable(plugins) -> frozenset[str]:
    """The event types an endpoint may subscribe to."""
    names = CORE_EVENT_TYPES | plugins.event_types()
    return frozenset(n for n in names if not n.startswith(NOT_SENT))


def matches(subscribed: list[str], name: str) -> bool:
    return any(
        t == "*" or t == name or (t.endswith(".*") and name.startswith(t[:-1])) for t in subscribed
    )


def envelope(event: Event) -> dict:
    """The event as `customerEvents` sends it (`schema.live_types.event`: id, action,
    customerId, occurredAt, data), with its actor."""
    shown = live_types.event(
        {
            "id": event.id,
            "name": event.name,
            "customerId": event.customer_id or 0,
            "occurredAt": event.occurred_at.isoformat(),
            "data": event.data,
        }
    )
    return {
        "id": shown.id,
        "action": shown.action,
        "customerId": shown.customer_id if event.customer_id is not None else None,
        "occurredAt": shown.occurred_at.isoformat(),
        "data": shown.data,
        "actorId": to_global_id("Worker", event.actor_id) if event.actor_id else None,
    }


# --- recording (after the event's commit) -------------------------------------------------------


async def handle_event(session: AsyncSession, event: Event) -> None:
    """A delivery and its job for each active endpoint of the tenant subscribed to the event;
    none twice for one event (the relay may hand it over again). An event whose data names
    an endpoint (`webhookEndpointId`, docs/plugins.md) goes to that one alone, if it is the
    tenant's and active, whatever it subscribes to."""
    if event.name == "job.finished":
        await job_ended(session, event)
        return
    if event.id is None or event.name.startswith(NOT_SENT):
        return
    found = await session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.tenant_id == event.tenant_id, WebhookEndpoint.active.is_(True)
        )
    )
    target = (event.data or {}).get("webhookEndpointId")
    if target is not None:
        wanted = [e for e in found if e.id == target]
    else:
        wanted = [e for e in found if matches(e.event_types, event.name)]
    if not wanted:
        return
    customer_id = event.customer_id
    if customer_id is not None:  # gone (deleted, merged away): not ordered, nothing to erase
        customer_id = await session.scalar(select(Customer.id).where(Customer.id == customer_id))
    payload = envelope(event)
    for endpoint in wanted:
        row = await record(
            session,
            endpoint,
            event_id=event.id,
            event_type=event.name,
            customer_id=customer_id,
            payload=payload,
            replay=0,
        )
        if row is not None:
            await enqueue(session, row, None)


async def record(session, endpoint, *, event_id, event_type, customer_id, payload, replay):
    """The new delivery's row (a dict), or None when it was recorded already."""
    now = utcnow()
    statement = (
        records.upsert(session, DELIVERIES)
        .values(
            tenant_id=endpoint.tenant_id,
            endpoint_id=endpoint.id,
            event_id=event_id,
            event_type=event_type,
            customer_id=customer_id,
            replay=replay,
            payload=payload,
            status=PENDING,
            attempts=0,
            attempt_log=[],
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id", "replay"])
        .returning(*DELIVERIES.c)
    )
    row = (await session.execute(statement)).mappings().first()
    return dict(row) if row else None


async def enqueue(session, row, created_by, *, after=None, key: str | None = None) -> None:
    await jobs.enqueue(
        session,
        row["tenant_id"],
        KIND,
        {"deliveryId": row["id"]},
        created_by=created_by,
        idempotency_key=key or f"{row['id']}:{row['attempts']}",
        run_after=after,
    )


# --- sending (the job) --------------------------------------------------------------------------


@dataclass
class Attempt:
    url: str
    secret: str
    webhook_id: str
    payload: dict


@dataclass
class Outcome:
    status: int | None
    duration_ms: int
    error: str | None
    retry: bool

    @property
    def ok(self) -> bool:
        return self.error is None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` (README, "Webhooks")."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


async def post(attempt: Attempt, seconds: float, allow_private: bool = False) -> Outcome:
    """One POST, within `seconds` in all (connect, send, answer); the answer's body is not
    read, so nothing of it is kept. A host that is or resolves to an internal address fails
    it for good (`targets`), unless `allow_private`."""
    body = json.dumps(attempt.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "CustomerHub-Webhooks/1",
        "Webhook-Id": attempt.webhook_id,
        "Webhook-Timestamp": timestamp,
        "Webhook-Signature": sign(attempt.secret, timestamp, body),
    }
    started = time.monotonic()

    def outcome(status, error, retry):
        ms = int((time.monotonic() - started) * 1000)
        return Outcome(status, ms, error[:MAX_ERROR] if error else None, retry)

    try:
        async with (
            asyncio.timeout(seconds),
            targets.client(seconds, allow_private) as client,
            client.stream("POST", attempt.url, content=body, headers=headers) as answer,
        ):
            status = answer.status_code
    except targets.BlockedTarget as error:
        return outcome(None, str(error), False)
    except (TimeoutError, httpx2.TimeoutException):
        return outcome(None, f"No answer within {seconds:g} s.", True)
    except httpx2.HTTPError as error:
        return outcome(None, f"{type(error).__name__}: {error}", True)
    if 200 <= status < 300:
        return outcome(status, None, False)
    return outcome(status, f"HTTP {status}", status >= 500 or status in (408, 429))


async def _locked(session, model, pk):
    return await session.scalar(
        select(model)
        .where(model.id == pk)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _next_in_line(session, delivery: WebhookDelivery) -> None:
    """Its endpoint and customer's earliest unfinished delivery gets a job, if it waits."""
    if delivery.customer_id is None:
        return
    c = DELIVERIES.c
    row = (
        (
            await session.execute(
                select(*c)
                .where(
                    c.endpoint_id == delivery.endpoint_id,
                    c.customer_id == delivery.customer_id,
                    c.status.in_(UNFINISHED),
                    c.id != delivery.id,
                )
                .order_by(c.event_id, c.id)
                .limit(1)
            )
        )
        .mappings()
        .first()
    )
    if row is not None and row["status"] == PENDING:
        await enqueue(session, row, None, key=f"{row['id']}:after:{delivery.id}")


async def _end(session, delivery: WebhookDelivery, status: str, error: str | None = None):
    delivery.status, delivery.finished_at = status, utcnow()
    if error is not None:
        delivery.error = error
    delivery.sending_job = None
    await session.flush()
    await _next_in_line(session, delivery)


async def claim(session: AsyncSession, delivery_id: int, job_id: int) -> Attempt | None:
    """SENDING for this job, or None: finished, another job's, not due, or behind an earlier
    delivery of its customer (whose end starts it)."""
    delivery = await _locked(session, WebhookDelivery, delivery_id)
    if delivery is None or delivery.status in (SUCCEEDED, FAILED):
        return None
    resumed = delivery.status == SENDING  # this job again, after a crash or a lost lease
    if resumed and delivery.sending_job != job_id:
        return None
    if not resumed and delivery.next_attempt_at > utcnow() + timedelta(seconds=1):
        return None  # a job for a later attempt than this one
    endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None:  # being deleted, and the delivery with it
        return None
    if not endpoint.active:
        await _end(session, delivery, FAILED, "The endpoint was switched off.")
        return None
    if delivery.customer_id is not None and delivery.status == PENDING:
        # only a delivery not yet started waits: one in retry has had its turn (and its
        # retry job is its only one)
        c = DELIVERIES.c
        earlier = await session.scalar(
            select(c.id)
            .where(
                c.endpoint_id == delivery.endpoint_id,
                c.customer_id == delivery.customer_id,
                c.status.in_(UNFINISHED),
                tuple_(c.event_id, c.id) < tuple_(delivery.event_id, delivery.id),
            )
            .limit(1)
        )
        if earlier is not None:
            return None
    if resumed:
        delivery.attempt_log = [*delivery.attempt_log, _lost(delivery, INTERRUPTED)][-MAX_LOG:]
    delivery.status, delivery.sending_job = SENDING, job_id
    delivery.attempts += 1
    delivery.updated_at = utcnow()
    return Attempt(
        endpoint.url,
        endpoint.secret,
        to_global_id("WebhookDelivery", delivery.id),
        delivery.payload,
    )


async def finish(session: AsyncSession, delivery_id: int, job_id: int, outcome: Outcome, settings):
    """The attempt's outcome. The endpoint is locked before the delivery, the order of
    `deleteWebhookEndpoint` (whose cascade reaches the deliveries), so the two never deadlock;
    it also keeps the count of failures in a row exact."""
    endpoint, delivery = await _both_locked(session, delivery_id)
    if endpoint is None or delivery is None:  # deleted meanwhile
        return None
    if delivery.status != SENDING or delivery.sending_job != job_id:
        return None
    return await _record(session, endpoint, delivery, outcome, settings)


async def _both_locked(session, delivery_id: int):
    endpoint_id = await session.scalar(
        select(DELIVERIES.c.endpoint_id).where(DELIVERIES.c.id == delivery_id)
    )
    if endpoint_id is None:
        return None, None
    endpoint = await _locked(session, WebhookEndpoint, endpoint_id)
    delivery = await _locked(session, WebhookDelivery, delivery_id)
    return endpoint, delivery


async def _record(session, endpoint, delivery, outcome: Outcome, settings) -> str:
    """An attempt's outcome on the locked endpoint and delivery: SUCCEEDED, a retry job, or
    FAILED (and perhaps the endpoint switched off)."""
    now = utcnow()
    entry = {
        "at": now.isoformat(),
        "responseStatus": outcome.status,
        "durationMs": outcome.duration_ms,
        "error": outcome.error,
    }
    delivery.attempt_log = [*delivery.attempt_log, entry][-MAX_LOG:]
    delivery.response_status, delivery.duration_ms = outcome.status, outcome.duration_ms
    delivery.error, delivery.updated_at = outcome.error, now
    schedule = settings.webhook_retry_seconds
    if outcome.ok:
        endpoint.consecutive_failures = 0
        await _end(session, delivery, SUCCEEDED)
    elif outcome.retry and delivery.attempts <= len(schedule):
        wait = random.uniform(0, schedule[delivery.attempts - 1])
        delivery.status, delivery.sending_job = RETRYING, None
        delivery.next_attempt_at = now + timedelta(seconds=wait)
        await session.flush()
        row = {"id": delivery.id, "tenant_id": delivery.tenant_id, "attempts": delivery.attempts}
        await enqueue(session, row, None, after=delivery.next_attempt_at)
    else:
        endpoint.consecutive_failures += 1
        await _end(session, delivery, FAILED)
        if endpoint.active and endpoint.consecutive_failures >= settings.webhook_disable_after:
            endpoint.active, endpoint.disabled_at, endpoint.updated_at = False, now, now
            data = {"endpointId": endpoint.id, "failures": endpoint.consecutive_failures}
            await events.emit(
                session, Event("webhook.endpoint_disabled", endpoint.tenant_id, None, data)
            )
    return delivery.status


def _lost(delivery: WebhookDelivery, error: str) -> dict:
    """The log entry of an attempt whose answer was never recorded."""
    now = utcnow()
    ms = max(0, int((now - delivery.updated_at).total_seconds() * 1000))
    return {"at": now.isoformat(), "responseStatus": None, "durationMs": ms, "error": error}


async def job_ended(session: AsyncSession, event: Event) -> None:
    """A delivery job that ended FAILED or CANCELLED with its delivery unfinished: a job to
    settle it (`settle`). Once per ended job (its idempotency key)."""
    data = event.data if isinstance(event.data, dict) else {}
    if data.get("kind") != KIND or data.get("status") not in (jobs.FAILED, jobs.CANCELLED):
        return
    c = jobs.JOBS.c
    payload = await session.scalar(
        select(c.payload).where(c.tenant_id == event.tenant_id, c.id == data.get("jobId"))
    )
    delivery_id = (payload or {}).get("deliveryId")
    if delivery_id is None:
        return
    found = await session.scalar(
        select(DELIVERIES.c.status).where(
            DELIVERIES.c.tenant_id == event.tenant_id, DELIVERIES.c.id == delivery_id
        )
    )
    if found not in UNFINISHED:
        return
    ended = payload.get("endedJob", data["jobId"])  # a settling job that failed: the first
    settling = {
        "deliveryId": delivery_id,
        "endedJob": ended,
        "cancelled": data["status"] == jobs.CANCELLED,
    }
    key = f"{delivery_id}:ended:{data['jobId']}"
    await jobs.enqueue(session, event.tenant_id, KIND, settling, idempotency_key=key)


async def settle(session, delivery_id: int, ended_job: int, cancelled: bool, settings, job_id):
    """After `ended_job` ended without settling the delivery: its lost attempt is a retryable
    failure (cancelled: the delivery FAILED); a delivery still waiting gets a job again, or
    FAILED if the job was cancelled. Nothing when another job sends it now, or it is done."""
    endpoint, delivery = await _both_locked(session, delivery_id)
    if endpoint is None or delivery is None or delivery.status not in UNFINISHED:
        return None
    mine = delivery.status == SENDING and delivery.sending_job == ended_job
    if delivery.status == SENDING and not mine:
        return delivery.status
    if cancelled:
        if mine:
            delivery.attempt_log = [*delivery.attempt_log, _lost(delivery, CANCELLED)][-MAX_LOG:]
        delivery.updated_at = utcnow()
        await _end(session, delivery, FAILED, CANCELLED)
        return FAILED
    if mine:
        entry = _lost(delivery, INTERRUPTED)
        outcome = Outcome(None, entry["durationMs"], INTERRUPTED, True)
        return await _record(session, endpoint, delivery, outcome, settings)
    row = {"id": delivery.id, "tenant_id": delivery.tenant_id, "attempts": delivery.attempts}
    await enqueue(
        session, row, None, after=delivery.next_attempt_at, key=f"{delivery.id}:again:{job_id}"
    )
    return delivery.status


async def run(ctx) -> dict:
    """The `webhooks.deliver` job: one attempt of one delivery (or settling it after another
    job of it ended without doing so: `endedJob` in the payload)."""
    delivery_id = ctx.payload["deliveryId"]
    settings = ctx.runner.settings or Settings()  # a runner made without the app's
    if "endedJob" in ctx.payload:
        ended, cancelled = ctx.payload["endedJob"], bool(ctx.payload.get("cancelled"))
        async with ctx.chunk() as session:
            status = await settle(session, delivery_id, ended, cancelled, settings, ctx.id)
        return {"deliveryId": delivery_id, "sent": False, "status": status}
    async with ctx.chunk() as session:
        attempt = await claim(session, delivery_id, ctx.id)
    if attempt is None:
        return {"deliveryId": delivery_id, "sent": False}
    outcome = await post(
        attempt, settings.webhook_timeout_seconds, settings.webhook_private_targets
    )
    if not outcome.ok:
        log.info("webhook delivery %s failed: %s", delivery_id, outcome.error)
    async with ctx.chunk() as session:
        status = await finish(session, delivery_id, ctx.id, outcome, settings)
    return {"deliveryId": delivery_id, "sent": True, "status": status}
