"""Hook implementations of the notifications module, and nothing else."""

from pathlib import Path

from core import records
from core.access import ROLES
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.notifications import demo, service
from plugins.notifications.models import Notification, NotificationPreference
from plugins.notifications.schema import MUTATION_FIELDS, QUERY_FIELDS, SUBSCRIPTION_FIELDS
from plugins.notifications.types import load_notification

SOURCES = ("customer.workers_changed", "mission.assigned", "mission.created")


@hookimpl
def hub_module():
    return Module(
        "notifications",
        "Notifications",
        "Each worker's own feed for the top bar: mentions, assignments, automation rules and "
        "system notices, with a live unread count.",
    )


@hookimpl
def hub_tables():
    return [Notification.__table__, NotificationPreference.__table__]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {"notifications.view": ROLES}


@hookimpl
def hub_event_types():
    # {"forWorkers": [id], "kind", "sourceEventId"} / {"forWorkers": [id]}: per-worker signals
    return ["notification.created", "notification.read"]


@hookimpl
def hub_handle_event(session, event):
    """Any event carrying `notify` (docs/plugins.md), and the assignment events."""
    data = event.data if isinstance(event.data, dict) else {}
    if "notify" in data or event.name in SOURCES or event.name == "webhook.endpoint_disabled":
        return service.notify_from_event(session, event)
    return None


@hookimpl
def hub_query_fields():
    return QUERY_FIELDS


@hookimpl
def hub_mutation_fields():
    return MUTATION_FIELDS


@hookimpl
def hub_subscription_fields():
    return SUBSCRIPTION_FIELDS


@hookimpl
def hub_node_resolvers():
    return {"Notification": load_notification}


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return records.move_to_customer(session, tenant_id, source_id, target_id, Notification)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)
