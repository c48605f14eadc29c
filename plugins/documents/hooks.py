"""Hook implementations of the documents module (the Files tab), and nothing else."""

from pathlib import Path

from core import records
from core.access import ROLES, STAFF
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.documents import demo, queries, service
from plugins.documents.models import (
    Document,
    DocumentLabel,
    DocumentLabelLink,
    DocumentsSeen,
    DocumentVersion,
)
from plugins.documents.schema import (
    CUSTOMER_FIELDS,
    MUTATION_FIELDS,
    QUERY_FIELDS,
    compiled_documents,
)
from plugins.documents.types import load_document, load_label
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module(
        "documents",
        "Files",
        "A customer's documents over core's uploads: titles, coloured labels, version history "
        "and search by name. The tab's badge: documents added since you last opened it.",
    )


@hookimpl
def hub_tables():
    return [
        Document.__table__,
        DocumentVersion.__table__,
        DocumentLabel.__table__,
        DocumentLabelLink.__table__,
        DocumentsSeen.__table__,
    ]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {"documents.view": ROLES, "documents.edit": ROLES, "documents.manage": STAFF}


@hookimpl
def hub_event_types():
    return ["document.added", "document.version_added", "document.updated", "document.deleted"]


@hookimpl
def hub_error_codes():
    return {
        "FILE_IN_USE": "The stored file is already a version of another document.",
        "FILE_PURPOSE_MISMATCH": "The stored file was uploaded for another purpose than this.",
    }


@hookimpl
def hub_customer_fields():
    return CUSTOMER_FIELDS


@hookimpl
def hub_compiled_customer_fields():
    return {"documents": compiled_documents}


@hookimpl
def hub_query_fields():
    return QUERY_FIELDS


@hookimpl
def hub_mutation_fields():
    return MUTATION_FIELDS


@hookimpl
def hub_node_resolvers():
    return {"Document": load_document, "DocumentLabel": load_label}


@hookimpl
def hub_profile_tabs():
    return [TabSpec("documents", "Files", "file", position=55, permission="documents.view")]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"documents": queries.new_counts(principal, customer_ids)}


async def _merging(session, tenant_id, source_id, target_id):
    await records.move_to_customer(session, tenant_id, source_id, target_id, Document)
    await service.merge_seen(session, tenant_id, source_id)


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return _merging(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed, storage):
    return demo.seed(session, tenant_id, customer_ids, seed, storage)
