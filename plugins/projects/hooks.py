"""Hook implementations of the projects module, and nothing else."""

from pathlib import Path

from core.access import ROLES, STAFF
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.projects import demo, queries, service
from plugins.projects.models import TABLES
from plugins.projects.schema import (
    CUSTOMER_FIELDS,
    MUTATION_FIELDS,
    QUERY_FIELDS,
    compiled_projects,
)
from plugins.projects.types import load_project
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module(
        "projects",
        "Projects",
        "The business's projects, each linked to the customers it is for, with dates, an "
        "owner and members; the profile's panel counts the customer's active projects.",
    )


@hookimpl
def hub_tables():
    return TABLES


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {
        service.VIEW: ROLES,
        service.EDIT: ROLES,
        service.MANAGE: STAFF,
    }


@hookimpl
def hub_event_types():
    # Events on a whole project (status, deletion) go to every customer it links;
    # linking and unlinking carry the customer.
    return [
        "project.created",
        "project.updated",
        "project.status_changed",
        "project.deleted",
        "project.members_changed",
        "project.customer_linked",
        "project.customer_unlinked",
    ]


@hookimpl
def hub_customer_fields():
    return CUSTOMER_FIELDS


@hookimpl
def hub_compiled_customer_fields():
    return {"projects": compiled_projects}


@hookimpl
def hub_query_fields():
    return QUERY_FIELDS


@hookimpl
def hub_mutation_fields():
    return MUTATION_FIELDS


@hookimpl
def hub_node_resolvers():
    return {"Project": load_project}


@hookimpl
def hub_profile_tabs():
    return [TabSpec("projects", "Projects", "project", position=48, permission=service.VIEW)]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"projects": queries.active_counts(principal.tenant_id, customer_ids)}


@hookimpl
def hub_customer_deleting(session, tenant_id, customer_id):
    return service.drop_links(session, tenant_id, customer_id)


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return service.merge_links(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_error_codes():
    return {
        "IDEMPOTENCY_KEY_REUSED": "This idempotency key was used for a different request.",
    }
