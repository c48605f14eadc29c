"""Hook implementations of the insurance module, and nothing else."""

from pathlib import Path

from sqlalchemy import update

from core.access import ROLES
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.insurance import demo, queries
from plugins.insurance import schema as api
from plugins.insurance.models import InsuranceClaim, InsurancePolicy, InsuranceProvider
from plugins.insurance.types import InsuranceClaim as ClaimType
from plugins.insurance.types import InsurancePolicy as PolicyType
from plugins.insurance.types import InsuranceProvider as ProviderType
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


def _node(node_type, what: str, batch):
    async def load(info, pk: int):
        row = await info.context.loaders.custom(f"insurance.{what}", batch).load(pk)
        return node_type.from_row(row) if row else None

    return load


@hookimpl
def hub_node_resolvers():
    return {
        "InsuranceProvider": _node(ProviderType, "provider", queries.providers),
        "InsurancePolicy": _node(PolicyType, "policy", queries.policies),
        "InsuranceClaim": _node(ClaimType, "claim", queries.claims),
    }


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    async def move():
        for model in (InsurancePolicy, InsuranceClaim):
            await session.execute(
                update(model)
                .where(model.tenant_id == tenant_id, model.customer_id == source_id)
                .values(customer_id=target_id)
                .execution_options(synchronize_session=False)
            )

    return move()


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    async def export():
        return {"insurance": await queries.export(conn, tenant_id, customer_id)}

    return export()


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)
