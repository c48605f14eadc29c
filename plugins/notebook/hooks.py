"""Hook implementations of the notebook module, and nothing else."""

from pathlib import Path

from core import records
from core.access import ROLES
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.notebook import demo, queries
from plugins.notebook.models import Note, NoteMention
from plugins.notebook.schema import CUSTOMER_FIELDS, MUTATION_FIELDS, QUERY_FIELDS
from plugins.notebook.types import load_note
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module(
        "notebook",
        "Notes",
        "Markdown notes on a customer, pinned first, mentioning workers. The tab's badge: "
        "how many notes the customer has.",
    )


@hookimpl
def hub_tables():
    return [Note.__table__, NoteMention.__table__]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {
        "notebook.view": ROLES,
        "notebook.write": ROLES,
        "notebook.manage_all": ("owner", "admin", "manager"),
    }


@hookimpl
def hub_event_types():
    return [
        "note.added",
        "note.updated",
        "note.pinned",
        "note.unpinned",
        "note.deleted",
        "note.mentioned",
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
    return {"Note": load_note}


@hookimpl
def hub_profile_tabs():
    return [TabSpec("notebook", "Notes", "notebook", position=45, permission="notebook.view")]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"notebook": queries.badge(principal.tenant_id, customer_ids)}


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return records.move_to_customer(session, tenant_id, source_id, target_id, Note)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)
