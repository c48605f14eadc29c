"""Hook implementations of the recordings module, and nothing else."""

from pathlib import Path

from core import records
from core.access import ROLES
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.recordings import demo, queries
from plugins.recordings.models import Recording
from plugins.recordings.schema import CUSTOMER_FIELDS, MUTATION_FIELDS, compiled_recordings
from plugins.recordings.types import load_recording
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module(
        "recordings",
        "Recordings",
        "Call and meeting recordings of a customer, played in the page; ingested by a "
        "telephony integration with an API key too. The tab's badge: how many recordings.",
    )


@hookimpl
def hub_tables():
    return [Recording.__table__]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {
        "recordings.view": ROLES,
        "recordings.edit": ROLES,
        "recordings.ingest": ("owner", "admin"),
    }


@hookimpl
def hub_event_types():
    return ["recording.added", "recording.updated", "recording.deleted"]


@hookimpl
def hub_error_codes():
    return {
        "INVALID_PHONE": "A phone number is not in international form (7 to 15 digits, an "
        "optional leading +).",
        "IDEMPOTENCY_KEY_REUSED": "The idempotency key was used before for a different "
        "request; use a new key.",
        "TYPE_NOT_ALLOWED": "The uploaded file's type (sniffed from its bytes) is not accepted "
        "for this purpose.",
    }


@hookimpl
def hub_customer_fields():
    return CUSTOMER_FIELDS


@hookimpl
def hub_mutation_fields():
    return MUTATION_FIELDS


@hookimpl
def hub_node_resolvers():
    return {"Recording": load_recording}


@hookimpl
def hub_profile_tabs():
    return [
        TabSpec("recordings", "Recordings", "microphone", position=55, permission="recordings.view")
    ]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"recordings": queries.badge(principal.tenant_id, customer_ids)}


@hookimpl
def hub_compiled_customer_fields():
    return {"recordings": compiled_recordings}


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    """The rows follow; their audio files are core's and follow with `core.files.move_files`."""
    return records.move_to_customer(session, tenant_id, source_id, target_id, Recording)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed, storage):
    return demo.seed(session, tenant_id, customer_ids, seed, storage)
