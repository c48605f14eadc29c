"""Hook implementations of the payouts module, and nothing else."""

from pathlib import Path

from core.access import ROLES
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.payouts import demo, queries, service
from plugins.payouts.models import TABLES
from plugins.payouts.schema import (
    CUSTOMER_FIELDS,
    MUTATION_FIELDS,
    QUERY_FIELDS,
    compiled_payouts,
)
from plugins.payouts.types import load_payout
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module(
        "payouts",
        "Payouts",
        "Money paid to customers: refund payouts, commissions, rebates, approved by a second "
        "person. Sent payouts count in the payments balance when payments is on.",
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
        "payouts.view": ROLES,
        service.MANAGE: ("owner", "admin", "manager"),
        service.APPROVE: ("owner", "admin"),
    }


@hookimpl
def hub_event_types():
    return ["payout.created", "payout.approved", "payout.sent", "payout.failed", "payout.cancelled"]


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
    return {"Payout": load_payout}


@hookimpl
def hub_profile_tabs():
    return [TabSpec("payouts", "Payouts", "banknote", position=12, permission="payouts.view")]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"payouts": queries.waiting_counts(principal.tenant_id, customer_ids)}


@hookimpl
def hub_compiled_customer_fields():
    return {"payouts": compiled_payouts}


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return service.move_payouts(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_deleting(session, tenant_id, customer_id):
    return service.erase_payouts(session, tenant_id, customer_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_error_codes():
    return {
        "SELF_APPROVAL": "A payout is approved by another worker than the one who created it.",
        "PAYOUT_CHANGED": "The payout's status changed since you saw it; nothing was done.",
        "IDEMPOTENCY_KEY_REUSED": "This idempotency key was used for a different request.",
    }
