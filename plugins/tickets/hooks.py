"""Hook implementations of the tickets module, and nothing else."""

from pathlib import Path

from core.access import ROLES
from core.filter_fields import NUMBER, Summary
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.tickets import demo, queries, service
from plugins.tickets.models import Ticket, TicketComment, TicketCounter
from plugins.tickets.schema import (
    CUSTOMER_FIELDS,
    MUTATION_FIELDS,
    QUERY_FIELDS,
    compiled_tickets,
)
from plugins.tickets.types import load_comment, load_ticket
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module("tickets", "Tickets", "Support cases with a comment thread.")


@hookimpl
def hub_tables():
    return [Ticket.__table__, TicketComment.__table__, TicketCounter.__table__]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {
        "tickets.view": ROLES,
        "tickets.manage": ROLES,
        "tickets.close": ("owner", "admin", "manager"),
    }


@hookimpl
def hub_event_types():
    return [
        "ticket.opened",
        "ticket.updated",
        "ticket.assigned",
        "ticket.status_changed",
        "ticket.resolved",
        "ticket.commented",
    ]


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
    return {"Ticket": load_ticket, "TicketComment": load_comment}


@hookimpl
def hub_profile_tabs():
    return [TabSpec("tickets", "Tickets", "ticket", position=40, permission="tickets.view")]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"tickets": queries.open_counts(principal.tenant_id, customer_ids)}


@hookimpl
def hub_compiled_customer_fields():
    return {"tickets": compiled_tickets}


@hookimpl
def hub_customer_summaries():
    return {
        "tickets.open": Summary(
            NUMBER, queries.open_count_of_customer, "Open and pending tickets.", "tickets.view"
        )
    }


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return service.move_tickets(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_error_codes():
    return {
        "TICKET_CLOSED": "The ticket is closed, which is final.",
    }
