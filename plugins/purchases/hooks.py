"""Hook implementations of the purchases module, and nothing else."""

from pathlib import Path

from core.access import ROLES, STAFF
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.purchases import demo, queries, rules, service
from plugins.purchases.models import TABLES
from plugins.purchases.schema import (
    CUSTOMER_FIELDS,
    MUTATION_FIELDS,
    QUERY_FIELDS,
    compiled_purchases,
)
from plugins.purchases.types import PurchaseCategory
from schema import kit
from schema.tabs import TabSpec

# What the module counts; everything else passes by.
COUNTED = frozenset(
    {
        "payment.received",
        "payment.refunded",
        "order.accepted",
        "order.status_changed",
        "deal.won",
        "deal.lost",
        "customer.merge_undone",
    }
)


@hookimpl
def hub_module():
    return Module(
        "purchases",
        "Purchases",
        "Purchase analytics per customer (spent, lifetime value, orders, frequency, favourite "
        "products) from payments, orders and deals, and customer categories by hand or rule.",
    )


@hookimpl
def hub_tables():
    return TABLES


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {"purchases.view": ROLES, "purchases.manage": STAFF}


@hookimpl
def hub_event_types():
    # {"from": {"id", "name"} | null, "to": {"id", "name"} | null, "manual": bool}
    return ["purchases.category_changed"]


@hookimpl
def hub_handle_event(session, event):
    if event.name in COUNTED:
        return service.handle_event(session, event)
    return None


@hookimpl
def hub_module_enabled(session, tenant_id):
    return service.ensure_settings(session, tenant_id)


@hookimpl
def hub_job_handlers():
    return {rules.JOB: rules.run_daily}


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
    return {"PurchaseCategory": kit.tenant_node_loader(TABLES[1], PurchaseCategory)}


@hookimpl
def hub_profile_tabs():
    return [
        TabSpec("purchases", "Purchases", "bar-chart", position=16, permission="purchases.view")
    ]


@hookimpl
def hub_compiled_customer_fields():
    return {"purchases": compiled_purchases}


@hookimpl
def hub_customer_summaries():
    return queries.SUMMARIES


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return service.merge(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_error_codes():
    return {"PURCHASE_CATEGORY_EXISTS": "Another category of the business has this name."}
