"""Hook implementations of the chat module, and nothing else."""

from pathlib import Path

from core import records
from core.access import ROLES
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.chat import demo, queries
from plugins.chat.live import SUBSCRIPTION_FIELDS
from plugins.chat.models import TABLES, ChatMessage, ChatThread
from plugins.chat.schema import CUSTOMER_FIELDS, MUTATION_FIELDS, compiled_chat
from plugins.chat.types import ChatMessageUpdate, load_message, load_thread
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module(
        "chat",
        "Chat",
        "Conversation threads between workers about a customer, with mentions. The tab's "
        "badge: messages by others you have not read.",
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
        "chat.view": ROLES,
        "chat.post": ROLES,
        "chat.manage": ("owner", "admin", "manager"),
    }


@hookimpl
def hub_event_types():
    return [
        "chat.message_posted",
        "chat.message_edited",
        "chat.message_deleted",
        "chat.thread_created",
        "chat.thread_renamed",
    ]


@hookimpl
def hub_error_codes():
    return {
        "MENTION_CANNOT_SEE": "A mentioned worker may not see the customer's chat.",
        "MESSAGE_DELETED": "The message was deleted, which is final.",
        "IDEMPOTENCY_KEY_REUSED": "This idempotency key was used for a different request.",
    }


@hookimpl
def hub_customer_fields():
    return CUSTOMER_FIELDS


@hookimpl
def hub_mutation_fields():
    return MUTATION_FIELDS


@hookimpl
def hub_subscription_fields():
    return SUBSCRIPTION_FIELDS


@hookimpl
def hub_types():
    return [ChatMessageUpdate]


@hookimpl
def hub_node_resolvers():
    return {"ChatMessage": load_message, "ChatThread": load_thread}


@hookimpl
def hub_profile_tabs():
    return [TabSpec("chat", "Chat", "chat", position=47, permission="chat.view")]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"chat": queries.unread_counts(principal, customer_ids)}


@hookimpl
def hub_compiled_customer_fields():
    return {"chat": compiled_chat}


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return records.move_to_customer(
        session, tenant_id, source_id, target_id, ChatThread, ChatMessage
    )


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)
