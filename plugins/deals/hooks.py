"""Hook implementations of the deals module, and nothing else."""

from pathlib import Path

from core.access import ROLES
from core.filter_fields import NUMBER, Summary
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.deals import demo, queries, service
from plugins.deals.models import TABLES
from plugins.deals.schema import (
    CUSTOMER_FIELDS,
    MUTATION_FIELDS,
    QUERY_FIELDS,
    compiled_deals,
)
from plugins.deals.types import load_deal, load_stage
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module(
        "deals",
        "Deals",
        "Sales opportunities per customer, moved through the business's own pipeline "
        "stages; the tab's badge counts the open deals.",
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
        "deals.view": ROLES,
        "deals.manage": ROLES,
        "deals.configure": ("owner", "admin", "manager"),
    }


@hookimpl
def hub_event_types():
    # deal.created, deal.stage_changed, deal.won and deal.lost carry an `activity` object
    # that the activities module logs on the customer when the tenant enabled it.
    return [
        "deal.created",
        "deal.updated",
        "deal.stage_changed",
        "deal.won",
        "deal.lost",
        "deal.deleted",
    ]


@hookimpl
def hub_customer_fields():
    return CUSTOMER_FIELDS


@hookimpl
def hub_compiled_customer_fields():
    return {"deals": compiled_deals}


@hookimpl
def hub_query_fields():
    return QUERY_FIELDS


@hookimpl
def hub_mutation_fields():
    return MUTATION_FIELDS


@hookimpl
def hub_node_resolvers():
    return {"Deal": load_deal, "DealStage": load_stage}


@hookimpl
def hub_profile_tabs():
    return [TabSpec("deals", "Deals", "deal", position=45, permission="deals.view")]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"deals": queries.open_counts(principal.tenant_id, customer_ids)}


@hookimpl
def hub_customer_summaries():
    return {
        "deals.open": Summary(NUMBER, queries.open_count_of_customer, "Open deals.", "deals.view")
    }


@hookimpl
def hub_module_enabled(session, tenant_id):
    return service.ensure_default_stages(session, tenant_id)


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return service.move_deals(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_error_codes():
    return {
        "DEAL_STAGE_IN_USE": "Deals are in this stage: move them elsewhere before deleting it.",
        "LAST_STAGE_OF_KIND": "A pipeline keeps at least one OPEN, one WON and one LOST stage.",
        "IDEMPOTENCY_KEY_REUSED": "This idempotency key was used for a different deal.",
    }
