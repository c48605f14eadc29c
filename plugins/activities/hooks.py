"""Hook implementations of the activities module, and nothing else."""

from pathlib import Path

from core.access import ROLES, STAFF
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.activities import demo, queries, service
from plugins.activities.models import Activity
from plugins.activities.schema import CUSTOMER_FIELDS, MUTATION_FIELDS
from plugins.activities.types import load_activity
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module(
        "activities",
        "Activities",
        "A log of calls, emails, meetings, notes, tasks and deal updates; the tab's badge "
        "counts the activities of the last 7 days.",
    )


@hookimpl
def hub_tables():
    return [Activity.__table__]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {
        "activities.view": ROLES,
        "activities.manage": ROLES,
        "activities.manage_others": STAFF,
    }


@hookimpl
def hub_event_types():
    return ["activity.logged", "activity.updated", "activity.deleted"]


@hookimpl
def hub_handle_event(session, event):
    """Any module's event may carry an `activity` object: the entry it asks for (see the
    package docstring)."""
    if isinstance(event.data, dict) and "activity" in event.data:
        return service.log_from_event(session, event)
    return None


@hookimpl
def hub_customer_fields():
    return CUSTOMER_FIELDS


@hookimpl
def hub_mutation_fields():
    return MUTATION_FIELDS


@hookimpl
def hub_node_resolvers():
    return {"Activity": load_activity}


@hookimpl
def hub_profile_tabs():
    return [TabSpec("activities", "Activities", "activity", 50, "activities.view")]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"activities": queries.recent_counts(principal.tenant_id, customer_ids)}


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return service.move_activities(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)
