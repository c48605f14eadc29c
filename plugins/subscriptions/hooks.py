"""Hook implementations of the subscriptions module, and nothing else."""

from pathlib import Path

from core import schedules
from core.access import ROLES
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.subscriptions import billing, demo, queries, service
from plugins.subscriptions.models import TABLES
from plugins.subscriptions.schema import (
    CUSTOMER_FIELDS,
    MUTATION_FIELDS,
    QUERY_FIELDS,
    compiled_subscriptions,
)
from plugins.subscriptions.types import load_period, load_plan, load_subscription
from schema.tabs import TabSpec

MANAGERS = ("owner", "admin", "manager")


@hookimpl
def hub_module():
    return Module(
        "subscriptions", "Subscriptions", "Recurring billing: plans and customers' subscriptions."
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
        "subscriptions.view": ROLES,
        service.MANAGE: MANAGERS,
        service.CONFIGURE: MANAGERS,
    }


@hookimpl
def hub_event_types():
    return [
        "subscription.created",
        "subscription.paused",
        "subscription.resumed",
        "subscription.cancelled",
        "subscription.ended",
        "subscription.period_billed",
    ]


@hookimpl
def hub_job_handlers():
    return {service.BILLING.kind: schedules.periodic(service.BILLING, billing.run)}


@hookimpl
def hub_module_enabled(session, tenant_id):
    return schedules.ensure(session, service.BILLING, tenant_id)


@hookimpl
def hub_customer_fields():
    return CUSTOMER_FIELDS


@hookimpl
def hub_compiled_customer_fields():
    return {"subscriptions": compiled_subscriptions}


@hookimpl
def hub_query_fields():
    return QUERY_FIELDS


@hookimpl
def hub_mutation_fields():
    return MUTATION_FIELDS


@hookimpl
def hub_node_resolvers():
    return {
        "SubscriptionPlan": load_plan,
        "CustomerSubscription": load_subscription,
        "SubscriptionPeriod": load_period,
    }


@hookimpl
def hub_profile_tabs():
    return [
        TabSpec(
            "subscriptions",
            "Subscriptions",
            "repeat",
            position=35,
            permission="subscriptions.view",
        )
    ]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"subscriptions": queries.live_counts(principal.tenant_id, customer_ids)}


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return service.move_subscriptions(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_error_codes():
    return {
        "PLAN_INACTIVE": "The subscription plan takes no new subscribers.",
        "IDEMPOTENCY_KEY_REUSED": "This idempotency key was used for a different request.",
    }
