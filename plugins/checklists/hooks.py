"""Hook implementations of the checklists module, and nothing else."""

from pathlib import Path

from core.access import ROLES, STAFF
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.checklists import demo, queries, service
from plugins.checklists.models import (
    Checklist,
    ChecklistItem,
    ChecklistTemplate,
    ChecklistTemplateFolder,
)
from plugins.checklists.schema import CUSTOMER_FIELDS, MUTATION_FIELDS, QUERY_FIELDS
from plugins.checklists.types import load_checklist, load_item, load_template
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module(
        "checklists",
        "Checklists",
        "Ordered checklists on customers, from templates that folders can hand out.",
    )


@hookimpl
def hub_tables():
    return [
        ChecklistTemplate.__table__,
        ChecklistTemplateFolder.__table__,
        Checklist.__table__,
        ChecklistItem.__table__,
    ]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {
        "checklists.view": ROLES,
        "checklists.manage": ROLES,
        "checklists.settings": STAFF,
    }


@hookimpl
def hub_event_types():
    return [
        "checklist.added",
        "checklist.renamed",
        "checklist.deleted",
        "checklist.item_added",
        "checklist.item_removed",
        "checklist.item_checked",
        "checklist.item_unchecked",
        "checklist.completed",
        "checklist_template.created",
        "checklist_template.updated",
        "checklist_template.deleted",
    ]


@hookimpl
def hub_handle_event(session, event):
    if event.name == "customer.folder_changed":
        return service.customer_entered_folders(session, event)
    return None


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
    return {
        "Checklist": load_checklist,
        "ChecklistItem": load_item,
        "ChecklistTemplate": load_template,
    }


@hookimpl
def hub_profile_tabs():
    return [
        TabSpec("checklists", "Checklists", "checklist", position=60, permission="checklists.view")
    ]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"checklists": queries.unfinished_counts(principal.tenant_id, customer_ids)}


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return service.move_checklists(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_error_codes():
    return {"LAST_ITEM": "A check list keeps at least one item; delete the list instead."}
