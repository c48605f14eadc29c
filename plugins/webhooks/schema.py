"""Root queries (endpoints, the delivery log, the event types one may subscribe to) and the
endpoint mutations. There is no field on Customer: endpoints are the tenant's, not a
customer's."""

from typing import Annotated

import strawberry
from strawberry import UNSET

from core import access
from plugins.webhooks import delivery, service, targets
from plugins.webhooks import queries as q
from plugins.webhooks.types import VIEW, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from schema import kit
from schema.context import Info
from schema.ids import from_global_id
from schema.payloads import DeletePayload, UserError, deleted, mutate, payload
from schema.relay import Connection

URL = (
    "Where the events are POSTed: https, or http on localhost / 127.0.0.1 where the server "
    "allows it (WEBHOOK_LOCAL_HTTP; development and tests). At most 2,000 characters."
)
TYPES = (
    "Event types to send: names from `webhookEventTypes`, `<prefix>.*` (e.g. `ticket.*`) or "
    "`*` for all; at least one, at most 100."
)


async def webhook_endpoints(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    active: Annotated[
        bool | None, strawberry.argument(description="Only active (true) or inactive (false).")
    ] = None,
) -> Connection[WebhookEndpoint]:
    principal = info.context.principal
    access.require(principal, VIEW)
    query = q.endpoints(principal.tenant_id, active)
    return await kit.tenant_list(info, query, q.OLDEST, first, after, WebhookEndpoint.from_row)


async def webhook_deliveries(
    info: Info,
    endpoint_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="One endpoint's; null: all.")
    ] = None,
    first: int | None = None,
    after: str | None = None,
    status: Annotated[
        list[WebhookDeliveryStatus] | None,
        strawberry.argument(description="Only these statuses; null or empty: all."),
    ] = None,
) -> Connection[WebhookDelivery]:
    principal = info.context.principal
    access.require(principal, VIEW)
    endpoint = None if endpoint_id is None else from_global_id(endpoint_id, "WebhookEndpoint")
    statuses = [s.value for s in status or []]
    query = q.deliveries(principal.tenant_id, endpoint, statuses)
    return await kit.tenant_list(info, query, q.NEWEST, first, after, WebhookDelivery.from_row)


def webhook_event_types(info: Info) -> list[str]:
    access.require(info.context.principal, VIEW)
    return sorted(delivery.deliverable(info.context.plugins))


WebhookEndpointPayload = payload(WebhookEndpoint, "endpoint")
WebhookDeliveryPayload = payload(WebhookDelivery, "delivery")


@strawberry.type(description="The endpoint and its new signing secret, or why nothing changed.")
class WebhookSecretPayload:
    endpoint: WebhookEndpoint | None
    secret: str | None = strawberry.field(
        description="The whole signing secret, shown this once: store it now. Later reads "
        "show only `secretPrefix`."
    )
    user_errors: list[UserError]


@strawberry.input(description="A new endpoint; its signing secret is made by the server.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(description=URL)
    event_types: list[str] = strawberry.field(description=TYPES)
    description: str | None = strawberry.field(default=None, description="At most 500.")
    active: bool = True


@strawberry.input(description="Only the members sent change.")
class UpdateWebhookEndpointInput:
    id: strawberry.ID
    url: str | None = strawberry.field(default=UNSET, description=URL)
    event_types: list[str] | None = strawberry.field(default=UNSET, description=TYPES)
    description: str | None = UNSET
    active: bool | None = strawberry.field(
        default=UNSET,
        description="Switching it on again clears its failures in a row. Deliveries that came "
        "due while it was off have failed; replay them if needed.",
    )


@strawberry.input(description="Its delivery log goes with it.")
class DeleteWebhookEndpointInput:
    id: strawberry.ID


@strawberry.input(description="The endpoint whose secret is replaced (at once).")
class RotateWebhookSecretInput:
    id: strawberry.ID


@strawberry.input(description="The delivery to send again.")
class ReplayWebhookDeliveryInput:
    id: strawberry.ID


def _endpoint_id(value: strawberry.ID) -> int:
    return from_global_id(value, "WebhookEndpoint")


def _local_http(info: Info) -> bool:
    return bool(info.context.settings.webhook_local_http)


async def _blocked(info: Info, url) -> str | None:
    """Why the URL's host may not be reached, resolved before the write's transaction."""
    if not isinstance(url, str):
        return None
    return await targets.saved_problem(url.strip(), info.context.settings.webhook_private_targets)


async def _with_secret(info: Info, work, target: str = "id") -> WebhookSecretPayload:
    result, errors = await mutate(info, work, target)
    if result is None:
        return WebhookSecretPayload(endpoint=None, secret=None, user_errors=errors)
    endpoint, secret = result
    node = kit.build(WebhookEndpoint, endpoint)
    return WebhookSecretPayload(endpoint=node, secret=secret, user_errors=errors)


async def create_webhook_endpoint(
    info: Info, input: CreateWebhookEndpointInput
) -> WebhookSecretPayload:
    data = {
        "url": input.url,
        "event_types": input.event_types,
        "description": input.description,
        "active": input.active,
        "blocked": await _blocked(info, input.url),
    }
    local = _local_http(info)
    return await _with_secret(info, lambda s, p: service.create_endpoint(s, p, data, local))


async def update_webhook_endpoint(
    info: Info, input: UpdateWebhookEndpointInput
) -> WebhookEndpointPayload:
    keys = ("url", "event_types", "description", "active")
    changes = {k: getattr(input, k) for k in keys if getattr(input, k) is not UNSET}
    if isinstance(changes.get("url"), str):
        changes["blocked"] = await _blocked(info, changes["url"])
    pk, local = _endpoint_id(input.id), _local_http(info)

    def work(session, principal):
        return service.update_endpoint(session, principal, pk, changes, local)

    return await kit.save(info, WebhookEndpointPayload, "endpoint", WebhookEndpoint, work)


async def delete_webhook_endpoint(info: Info, input: DeleteWebhookEndpointInput) -> DeletePayload:
    pk = _endpoint_id(input.id)
    return await deleted(info, input.id, lambda s, p: service.delete_endpoint(s, p, pk))


async def rotate_webhook_secret(
    info: Info, input: RotateWebhookSecretInput
) -> WebhookSecretPayload:
    pk = _endpoint_id(input.id)
    return await _with_secret(info, lambda s, p: service.rotate_secret(s, p, pk))


async def replay_webhook_delivery(
    info: Info, input: ReplayWebhookDeliveryInput
) -> WebhookDeliveryPayload:
    pk = from_global_id(input.id, "WebhookDelivery")

    def work(session, principal):
        return service.replay(session, principal, pk)

    return await kit.save(info, WebhookDeliveryPayload, "delivery", WebhookDelivery, work)


QUERY_FIELDS = [
    strawberry.field(
        resolver=webhook_endpoints,
        description="The business's webhook endpoints, oldest first (needs `webhooks.view`).",
    ),
    strawberry.field(
        resolver=webhook_deliveries,
        description="The delivery log, newest first: status, attempts, answers, errors "
        "(needs `webhooks.view`).",
    ),
    strawberry.field(
        resolver=webhook_event_types,
        description="The event types an endpoint may subscribe to (job events are never sent).",
    ),
]
MUTATION_FIELDS = [
    strawberry.mutation(
        resolver=create_webhook_endpoint,
        description="Register an endpoint; answers its signing secret, this once "
        "(needs `webhooks.manage`).",
    ),
    strawberry.mutation(
        resolver=update_webhook_endpoint,
        description="Change an endpoint's URL, event types, description or switch it on/off.",
    ),
    strawberry.mutation(
        resolver=delete_webhook_endpoint, description="Delete an endpoint and its delivery log."
    ),
    strawberry.mutation(
        resolver=rotate_webhook_secret,
        description="Replace an endpoint's signing secret; answers the new one, this once.",
    ),
    strawberry.mutation(
        resolver=replay_webhook_delivery,
        description="Send a delivery's event to its endpoint again, as a new delivery.",
    ),
]
