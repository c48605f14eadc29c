"""Hook implementations of the missions module, and nothing else."""

from pathlib import Path

from core.access import ROLES
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.missions import demo, queries, requests, service
from plugins.missions.models import Mission, MissionAssignee, MissionRequest
from plugins.missions.schema import CUSTOMER_FIELDS, MUTATION_FIELDS, QUERY_FIELDS
from plugins.missions.types import load_mission
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module("missions", "Missions", "Tasks on customers: due times, assignees, status.")


@hookimpl
def hub_tables():
    return [Mission.__table__, MissionAssignee.__table__, MissionRequest.__table__]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {"missions.view": ROLES, "missions.manage": ROLES}


@hookimpl
def hub_event_types():
    return [
        "mission.created",
        "mission.updated",
        "mission.assigned",
        "mission.status_changed",
        "mission.completed",
        "mission.reopened",
        "mission.deleted",
    ]


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
    return {"Mission": load_mission}


@hookimpl
def hub_profile_tabs():
    return [
        TabSpec("missions", "Missions", "check-square", position=45, permission="missions.view")
    ]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"missions": queries.open_counts(principal.tenant_id, customer_ids)}


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return service.move_missions(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_handle_event(session, event):
    """Mission requests (docs/plugins.md): one mission per request key."""
    return requests.handle(session, event)
