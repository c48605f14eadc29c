"""Hook implementations of the webhooks module, and nothing else."""

from pathlib import Path

from core import records
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.webhooks import delivery, demo
from plugins.webhooks.models import WebhookDelivery, WebhookEndpoint
from plugins.webhooks.schema import MUTATION_FIELDS, QUERY_FIELDS
from plugins.webhooks.types import load_delivery, load_endpoint

ADMINS = ("owner", "admin")


@hookimpl
def hub_module():
    return Module(
        "webhooks",
        "Webhooks",
        "Send the business's events (customers, tickets, deals…) to its own systems as "
        "signed HTTP POSTs, retried for a day, with a delivery log.",
    )


@hookimpl
def hub_tables():
    return [WebhookEndpoint.__table__, WebhookDelivery.__table__]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    # An endpoint receives events about every customer: as strong as seeing them all.
    return {"webhooks.view": ADMINS, "webhooks.manage": ADMINS}


@hookimpl
def hub_event_types():
    return [
        "webhook.endpoint_created",  # {"endpointId"}
        "webhook.endpoint_updated",  # {"endpointId", "changed": [input member names]}
        "webhook.endpoint_deleted",  # {"endpointId"}
        "webhook.secret_rotated",  # {"endpointId"}
        "webhook.endpoint_disabled",  # {"endpointId", "failures"}: by repeated failures
    ]


@hookimpl
def hub_error_codes():
    return {
        "INVALID_URL": "Not an absolute http(s) URL with a host (and no user or password).",
        "INSECURE_URL": "Webhook URLs must use https (plain http only on localhost, where "
        "the server allows it).",
        "UNKNOWN_EVENT_TYPE": "No installed module declares this event type "
        "(`webhookEventTypes` lists them).",
        "ENDPOINT_INACTIVE": "The webhook endpoint is switched off.",
        "BLOCKED_ADDRESS": "The URL's host is, or resolves to, a loopback, private, "
        "link-local, multicast or reserved address: webhooks go to public addresses only "
        "(unless the server allows private targets).",
    }


@hookimpl
def hub_query_fields():
    return QUERY_FIELDS


@hookimpl
def hub_mutation_fields():
    return MUTATION_FIELDS


@hookimpl
def hub_node_resolvers():
    return {"WebhookEndpoint": load_endpoint, "WebhookDelivery": load_delivery}


@hookimpl
def hub_job_handlers():
    return {delivery.KIND: delivery.run}


@hookimpl
def hub_handle_event(session, event):
    return delivery.handle_event(session, event)


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return records.move_to_customer(session, tenant_id, source_id, target_id, WebhookDelivery)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)
