"""Hook implementations of the communications module, and nothing else."""

from pathlib import Path

from core.access import ROLES
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.communications import demo, inbound, queries, service
from plugins.communications.models import Attachment, HookSecret, Message, ReadMarker, SendKey
from plugins.communications.schema import (
    CUSTOMER_FIELDS,
    MUTATION_FIELDS,
    QUERY_FIELDS,
    compiled_communications,
)
from plugins.communications.types import load_communication
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module(
        "communications",
        "Communications",
        "Emails, SMS, WhatsApp messages and calls with a customer, both ways, with their "
        "delivery status. The tab's badge: inbound messages you have not read.",
    )


@hookimpl
def hub_tables():
    return [
        Message.__table__,
        ReadMarker.__table__,
        HookSecret.__table__,
        SendKey.__table__,
        Attachment.__table__,
    ]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {
        "communications.view": ROLES,
        "communications.view_all": ("owner", "admin", "manager"),
        "communications.send": ROLES,
        "communications.manage": ("owner", "admin"),
        "communications.triage": ("owner", "admin", "manager"),
    }


@hookimpl
def hub_event_types():
    return [
        "communication.sent",
        "communication.received",
        "communication.status_changed",
        "communication.opened",
    ]


@hookimpl
def hub_error_codes():
    return {
        "COMMUNICATION_SEND_FAILED": "The provider refused the message for now; it is tried again.",
        "COMMUNICATION_ALREADY_ASSIGNED": "The inbound message is already on another customer.",
        "BAD_ATTACHMENT": "An inbound hook's attachment is not valid base64.",
        "ATTACHMENT_TYPE_NOT_ALLOWED": "An inbound hook's attachment is of a type not accepted.",
        "ATTACHMENT_TOO_LARGE": "An inbound hook's attachment is over the size limit.",
        "TOO_MANY_ATTACHMENTS": "An inbound hook's message has more than 10 attachments.",
    }


@hookimpl
def hub_customer_fields():
    return CUSTOMER_FIELDS


@hookimpl
def hub_query_fields():
    return QUERY_FIELDS


@hookimpl
def hub_mutation_fields():
    return MUTATION_FIELDS


@hookimpl
def hub_node_resolvers():
    return {"Communication": load_communication}


@hookimpl
def hub_profile_tabs():
    return [
        TabSpec(
            "communications",
            "Communications",
            "communications",
            position=47,
            permission="communications.view",
        )
    ]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"communications": queries.unread_query(principal, customer_ids)}


@hookimpl
def hub_compiled_customer_fields():
    return {"communications": compiled_communications}


@hookimpl
def hub_job_handlers():
    return {service.JOB: service.deliver}


@hookimpl
def hub_handle_event(session, event):
    """Any module's event carrying a `message_request` (docs/plugins.md)."""
    if "message_request" not in (event.data or {}):
        return None
    return service.handle_request(session, event)


@hookimpl
def hub_http_routes():
    return inbound.ROUTES


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return service.merge(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id, principal):
    return queries.export(conn, tenant_id, customer_id, principal)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)
