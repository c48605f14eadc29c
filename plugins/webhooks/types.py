"""The endpoint and delivery types. An endpoint never shows its secret, only its first
characters (`secretPrefix`); a delivery shows the payload it sends and every attempt."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Private
from strawberry.scalars import JSON

from core import access
from plugins.webhooks import queries as q
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.relay import Node
from schema.team.types import Worker

VIEW = "webhooks.view"


@strawberry.enum(description="Where a delivery is.")
class WebhookDeliveryStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Waiting for its first attempt.")
    SENDING = strawberry.enum_value("SENDING", description="An attempt is under way.")
    RETRYING = strawberry.enum_value(
        "RETRYING", description="An attempt failed; the next one is due at `nextAttemptAt`."
    )
    SUCCEEDED = strawberry.enum_value("SUCCEEDED", description="The endpoint answered 2xx.")
    FAILED = strawberry.enum_value(
        "FAILED",
        description="Given up: a final answer (a 4xx other than 408/429, a redirect), the "
        "retries ran out, or the endpoint was switched off.",
    )


@strawberry.type(description="Where the tenant's events are sent, and which.")
class WebhookEndpoint(Node):
    url: str
    description: str
    event_types: list[str] = strawberry.field(
        description="Subscribed event types: names, `<prefix>.*` or `*` for all."
    )
    active: bool = strawberry.field(
        description="Only active endpoints get deliveries; switched off by hand or after "
        "repeated failures (`disabledAt`)."
    )
    secret_prefix: str = strawberry.field(
        description="The start of the signing secret, to tell secrets apart; the whole secret "
        "is shown only by `createWebhookEndpoint` and `rotateWebhookSecret`."
    )
    consecutive_failures: int = strawberry.field(
        description="Deliveries in a row that failed for good; the endpoint is switched off "
        "when they reach the limit."
    )
    disabled_at: datetime | None = strawberry.field(
        description="When repeated failures switched it off; null otherwise."
    )
    created_at: datetime
    updated_at: datetime
    created_by: Private[int | None]

    @classmethod
    def from_row(cls, row) -> "WebhookEndpoint":
        return kit.from_row(cls, row)

    @strawberry.field(name="createdBy", description="Null once that worker is removed.")
    async def creator(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.created_by)


@strawberry.type(description="One attempt to deliver an event.")
class WebhookAttempt:
    at: datetime
    response_status: int | None = strawberry.field(
        description="The HTTP status answered; null when none came (network error, timeout)."
    )
    duration_ms: int
    error: str | None = strawberry.field(description="Why it failed; null when it succeeded.")


@strawberry.type(description="An event sent (or to be sent) to an endpoint: the delivery log.")
class WebhookDelivery(Node):
    event_type: str
    status: WebhookDeliveryStatus
    attempts: int = strawberry.field(description="Attempts made so far.")
    replay: int = strawberry.field(description="0 for the event's delivery, 1, 2… for replays.")
    payload: JSON = strawberry.field(description="The JSON body sent (README, Webhooks).")
    response_status: int | None = strawberry.field(description="Of the last attempt.")
    duration_ms: int | None = strawberry.field(description="Of the last attempt.")
    error: str | None = strawberry.field(description="Of the last attempt; null if it succeeded.")
    next_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    event_id: Private[int]
    endpoint_id: Private[int]
    customer_id: Private[int | None]
    log_rows: Private[list]

    @classmethod
    def from_row(cls, row) -> "WebhookDelivery":
        waiting = row["status"] in ("PENDING", "RETRYING")
        return kit.from_row(
            cls,
            row,
            next_attempt_at=row["next_attempt_at"] if waiting else None,
            log_rows=row["attempt_log"] or [],
        )

    @strawberry.field(description="The event's id, as `customerEvents` and the payload show it.")
    def event(self) -> strawberry.ID:
        return self.payload["id"]

    @strawberry.field(description="Every attempt, oldest first (the last 20).")
    def attempt_log(self) -> list[WebhookAttempt]:
        return [
            WebhookAttempt(
                at=datetime.fromisoformat(a["at"]),
                response_status=a["responseStatus"],
                duration_ms=a["durationMs"],
                error=a["error"],
            )
            for a in self.log_rows
        ]

    @strawberry.field
    async def endpoint(self, info: Info) -> WebhookEndpoint | None:
        row = await kit.loader(info, "webhooks.endpoints", q.endpoints_by_ids).load(
            self.endpoint_id
        )
        return WebhookEndpoint.from_row(row) if row else None

    @strawberry.field(description="Null for an event about no customer, or one you cannot see.")
    async def customer(self, info: Info) -> Customer | None:
        if self.customer_id is None:
            return None
        return await kit.customer(info, self.customer_id)


def _viewed(load):
    """`node(id:)` shows endpoints and deliveries only to `webhooks.view`."""

    async def guarded(info: Info, pk: int):
        if not access.can(info.context.principal, VIEW):
            return None
        return await load(info, pk)

    return guarded


load_endpoint = _viewed(kit.tenant_node_loader(q.E, WebhookEndpoint))
load_delivery = _viewed(kit.tenant_node_loader(q.D, WebhookDelivery))
