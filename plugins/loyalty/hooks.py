"""Hook implementations of the loyalty module, and nothing else."""

from pathlib import Path

from core import schedules
from core.access import ROLES
from core.filter_fields import NUMBER, Summary
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.loyalty import demo, jobs, ledger, queries, service
from plugins.loyalty.models import TABLES
from plugins.loyalty.schema import (
    CUSTOMER_FIELDS,
    MUTATION_FIELDS,
    QUERY_FIELDS,
    compiled_loyalty,
)
from plugins.loyalty.types import load_entry, load_reward_node, load_tier
from schema.tabs import TabSpec

MANAGERS = ("owner", "admin", "manager")


@hookimpl
def hub_module():
    return Module("loyalty", "Loyalty", "Points on payments, birthday bonuses, tiers and rewards.")


@hookimpl
def hub_tables():
    return TABLES


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {
        "loyalty.view": ROLES,
        "loyalty.redeem": ROLES,
        "loyalty.adjust": MANAGERS,
        "loyalty.configure": MANAGERS,
    }


@hookimpl
def hub_event_types():
    return ["loyalty.points_changed", "loyalty.tier_changed", "loyalty.reward_redeemed"]


@hookimpl
def hub_handle_event(session, event):
    if event.name == "payment.received":
        return ledger.payment_received(session, event)
    if event.name == "payment.refunded":
        return ledger.payment_refunded(session, event)
    if event.name == "customer.merge_undone" and "sourceId" in event.data:
        return service.merge_undone(session, event)
    return None


@hookimpl
def hub_job_handlers():
    return {jobs.DAILY.kind: schedules.periodic(jobs.DAILY, jobs.run_daily)}


@hookimpl
def hub_module_enabled(session, tenant_id):
    return service.enabled(session, tenant_id)


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
    return {"LoyaltyEntry": load_entry, "LoyaltyTier": load_tier, "LoyaltyReward": load_reward_node}


@hookimpl
def hub_profile_tabs():
    return [TabSpec("loyalty", "Loyalty", "star", position=70, permission="loyalty.view")]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"loyalty": queries.balances(principal.tenant_id, customer_ids)}


@hookimpl
def hub_compiled_customer_fields():
    return {"loyalty": compiled_loyalty}


@hookimpl
def hub_customer_summaries():
    return {
        "loyalty.balance": Summary(
            NUMBER, queries.balance_of_customer, "Loyalty points to spend.", "loyalty.view"
        ),
        "loyalty.lifetimePoints": Summary(
            NUMBER, queries.lifetime_of_customer, "Loyalty points earned in all.", "loyalty.view"
        ),
    }


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
    return {
        "INSUFFICIENT_POINTS": "The customer's points balance is lower than the change needs.",
        "REWARD_OUT_OF_STOCK": "The reward has no units left.",
        "REWARD_INACTIVE": "The reward is switched off and cannot be redeemed.",
        "IDEMPOTENCY_KEY_REUSED": "This idempotency key was used for a different change.",
    }
