"""Hook implementations of the insurance module, and nothing else."""

from pathlib import Path

from core import records
from core.access import ROLES
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.insurance import demo, queries
from plugins.insurance import schema as api
from plugins.insurance.models import InsuranceClaim, InsurancePolicy, InsuranceProvider
from plugins.insurance.types import load_claim, load_policy, load_provider
from schema.tabs import TabSpec

MANAGERS = ("owner", "admin", "manager")


@hookimpl
def hub_module():
    return Module("insurance", "Insurance", "Policies and claims with their workflow.")


@hookimpl
def hub_tables():
    return [InsuranceProvider.__table__, InsurancePolicy.__table__, InsuranceClaim.__table__]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {
        "insurance.view": ROLES,
        "insurance.edit": ROLES,
        "insurance.manage": MANAGERS,
    }


@hookimpl
def hub_event_types():
    return ["insurance.claim_submitted", "insurance.claim_status_changed"]


@hookimpl
def hub_customer_fields():
    return api.CUSTOMER_FIELDS


@hookimpl
def hub_query_fields():
    return api.QUERY_FIELDS


@hookimpl
def hub_mutation_fields():
    return api.MUTATION_FIELDS


@hookimpl
def hub_profile_tabs():
    return [TabSpec("insurance", "Insurance", "shield", 20, "insurance.view")]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"insurance": queries.open_claim_counts(principal.tenant_id, customer_ids)}


@hookimpl
def hub_compiled_customer_fields():
    return {"insurance": api.compiled_insurance}


@hookimpl
def hub_node_resolvers():
    return {
        "InsuranceProvider": load_provider,
        "InsurancePolicy": load_policy,
        "InsuranceClaim": load_claim,
    }


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return records.move_to_customer(
        session, tenant_id, source_id, target_id, InsurancePolicy, InsuranceClaim
    )


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    async def export():
        return {"insurance": await queries.export(conn, tenant_id, customer_id)}

    return export()


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_error_codes():
    return {
        "CANCELLED": "The policy is cancelled and cannot change.",
        "EXPIRED": "The policy has ended and cannot be cancelled.",
        "HAS_CLAIMS": "The policy has claims that the change would contradict (another currency).",
        "OTHER_CUSTOMER": "The policy belongs to another customer.",
        "OUTSIDE_PERIOD": "The incident date is outside the policy's period.",
        "CLAIM_OUTSIDE_PERIOD": "The new period would leave out incidents of existing claims.",
        "CURRENCY_MISMATCH": "The amount's currency is not the policy's.",
        "EXCEEDS_COVERAGE": "The amount is over what the policy still covers.",
        "EXCEEDS_CLAIMED": "The approved amount is over the claimed amount.",
    }
