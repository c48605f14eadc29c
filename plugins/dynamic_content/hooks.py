"""Hook implementations of the dynamic content module, and nothing else."""

from pathlib import Path

from core.access import ROLES, STAFF
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.dynamic_content import demo, queries
from plugins.dynamic_content.models import ContentBlock, ContentBlockFolder
from plugins.dynamic_content.schema import (
    CUSTOMER_FIELDS,
    MUTATION_FIELDS,
    QUERY_FIELDS,
    compiled_dynamic_content,
)
from plugins.dynamic_content.types import load_block
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module(
        "dynamic_content",
        "Dynamic content",
        "The business's own content blocks (Markdown templates filled from the customer's "
        "fields), shown on the profiles of the customers they apply to. The tab's badge: how "
        "many blocks apply.",
    )


@hookimpl
def hub_tables():
    return [ContentBlock.__table__, ContentBlockFolder.__table__]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {"dynamic_content.view": ROLES, "dynamic_content.manage": STAFF}


@hookimpl
def hub_event_types():
    # Tenant-level settings: no customer on these events; data `blockId`, `title`.
    return [
        "dynamic_content.block_created",
        "dynamic_content.block_updated",
        "dynamic_content.block_deleted",
        "dynamic_content.blocks_reordered",
    ]


@hookimpl
def hub_error_codes():
    return {
        "TEMPLATE_SYNTAX": "The template does not parse; the message names the line.",
        "TEMPLATE_UNSAFE": "The template uses something refused in a block (an attribute "
        "starting with _, include, import or extends).",
        "UNKNOWN_PLACEHOLDER": "The template names a value a block cannot show; the message "
        "lists those it can.",
    }


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
    return {"DynamicContentBlock": load_block}


@hookimpl
def hub_profile_tabs():
    return [
        TabSpec("dynamic_content", "Content", "info", position=8, permission="dynamic_content.view")
    ]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"dynamic_content": queries.counts_query(principal, customer_ids)}


@hookimpl
def hub_compiled_customer_fields():
    return {"dynamicContent": compiled_dynamic_content}


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)
