"""Hook implementations of the orders module, and nothing else."""

from pathlib import Path

from core.access import ROLES
from core.filter_fields import NUMBER, Summary
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.orders import demo, queries, service
from plugins.orders.models import TABLES
from plugins.orders.schema import (
    CUSTOMER_FIELDS,
    MUTATION_FIELDS,
    QUERY_FIELDS,
    compiled_orders,
)
from plugins.orders.types import load_order, load_product
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module(
        "orders",
        "Orders",
        "A catalog of products and services; quotes, proposals and purchase orders per "
        "customer with computed totals. Accepted orders are invoiced when payments is on.",
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
        "orders.view": ROLES,
        "orders.manage": ROLES,
        "orders.catalog": ("owner", "admin", "manager"),
    }


@hookimpl
def hub_event_types():
    return ["order.created", "order.status_changed", "order.accepted"]


@hookimpl
def hub_handle_event(session, event):
    if event.name == "invoice.issued":
        return service.invoice_made(session, event.tenant_id, event.data)
    return None


@hookimpl
def hub_customer_fields():
    return CUSTOMER_FIELDS


@hookimpl
def hub_compiled_customer_fields():
    return {"orders": compiled_orders}


@hookimpl
def hub_query_fields():
    return QUERY_FIELDS


@hookimpl
def hub_mutation_fields():
    return MUTATION_FIELDS


@hookimpl
def hub_node_resolvers():
    return {"Order": load_order, "Product": load_product}


@hookimpl
def hub_profile_tabs():
    return [TabSpec("orders", "Orders", "shopping-cart", position=15, permission="orders.view")]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"orders": queries.open_counts(principal.tenant_id, customer_ids)}


@hookimpl
def hub_customer_summaries():
    return {
        "orders.open": Summary(
            NUMBER,
            queries.open_count_of_customer,
            "Open orders: not yet fulfilled, rejected or cancelled.",
            "orders.view",
        )
    }


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return service.move_orders(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_error_codes():
    return {
        "ORDER_NOT_DRAFT": "Lines and currency of an order change only while it is a draft.",
        "PRODUCT_INACTIVE": "The product is inactive and cannot go on a new line.",
        # also payments' (and insurance's): each module lists the codes it raises, so a
        # tenant with orders alone is served them; with several on, the query shows one
        "CURRENCY_MISMATCH": "A currency is not the one required (for an order: a product "
        "priced in another currency than the order).",
        "IDEMPOTENCY_KEY_REUSED": "This idempotency key was used for a different request.",
    }
