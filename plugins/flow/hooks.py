"""Hook implementations of the flow module, and nothing else."""

from pathlib import Path

from core.access import ROLES
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.flow import demo, moves
from plugins.flow.compiled import ROOT_FIELDS
from plugins.flow.models import TABLES
from plugins.flow.schema import (
    MUTATION_FIELDS,
    QUERY_FIELDS,
    SUBSCRIPTION_FIELDS,
    load_column,
    load_flow,
)
from plugins.flow.types import FlowBoardUpdate


@hookimpl
def hub_module():
    return Module(
        "flow",
        "Customer Flow",
        "Boards of customers in columns (a sales pipeline, onboarding): who belongs is "
        "defined by folders, tags, statuses and lead sources; cards move live for the team.",
    )


@hookimpl
def hub_tables():
    return TABLES


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {"flow.view": ROLES, "flow.manage": ("owner", "admin", "manager")}


@hookimpl
def hub_event_types():
    # flow.card_moved and flow.card_hidden are about a customer (its timeline shows them);
    # the others are about the flow only.
    return [
        "flow.created",
        "flow.updated",
        "flow.deleted",
        "flow.card_moved",
        "flow.card_hidden",
    ]


@hookimpl
def hub_query_fields():
    return QUERY_FIELDS


@hookimpl
def hub_compiled_query_fields():
    return ROOT_FIELDS


@hookimpl
def hub_mutation_fields():
    return MUTATION_FIELDS


@hookimpl
def hub_subscription_fields():
    return SUBSCRIPTION_FIELDS


@hookimpl
def hub_types():
    return [FlowBoardUpdate]


@hookimpl
def hub_node_resolvers():
    return {"Flow": load_flow, "FlowColumn": load_column}


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return moves.move_positions(session, tenant_id, source_id, target_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_error_codes():
    return {"LAST_FLOW_COLUMN": "A flow keeps at least one column: the last one stays."}
