"""Hook implementations of the reservations module, and nothing else."""

from pathlib import Path

from core.access import ROLES, STAFF
from core.filter_fields import NUMBER, Summary
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.reservations import demo, queries, service
from plugins.reservations.models import TABLES
from plugins.reservations.schema import (
    CUSTOMER_FIELDS,
    MUTATION_FIELDS,
    QUERY_FIELDS,
    compiled_reservations,
    load_reservation,
    load_resource,
)
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module(
        "reservations",
        "Reservations",
        "Rooms, equipment and tables customers reserve for a time, within opening hours and "
        "capacity; the tab's badge counts the upcoming reservations.",
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
        "reservations.view": ROLES,
        "reservations.edit": ROLES,
        "reservations.manage": STAFF,
    }


@hookimpl
def hub_event_types():
    return [
        "reservation.created",
        "reservation.updated",
        "reservation.confirmed",
        "reservation.cancelled",
        "reservation.completed",
        "reservation.no_show",
    ]


@hookimpl
def hub_customer_fields():
    return CUSTOMER_FIELDS


@hookimpl
def hub_compiled_customer_fields():
    return {"reservations": compiled_reservations}


@hookimpl
def hub_query_fields():
    return QUERY_FIELDS


@hookimpl
def hub_mutation_fields():
    return MUTATION_FIELDS


@hookimpl
def hub_node_resolvers():
    return {"Reservation": load_reservation, "ReservationResource": load_resource}


@hookimpl
def hub_profile_tabs():
    return [
        TabSpec(
            "reservations", "Reservations", "calendar", position=55, permission="reservations.view"
        )
    ]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"reservations": queries.upcoming_counts(principal.tenant_id, customer_ids)}


@hookimpl
def hub_customer_summaries():
    return {
        "reservations.upcoming": Summary(
            NUMBER,
            queries.upcoming_count_of_customer,
            "Pending and confirmed reservations from now on.",
            "reservations.view",
        )
    }


@hookimpl
def hub_customer_deleting(session, tenant_id, customer_id):
    return service.erase(session, tenant_id, customer_id)


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return service.move_to(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_error_codes():
    return {
        "OVER_CAPACITY": "The resource has no room for the party at that time: the party "
        "sizes of its pending and confirmed reservations would exceed its capacity.",
        "OUTSIDE_OPENING_HOURS": "The time is not inside one of the resource's opening spans "
        "(the tenant's time zone).",
        "RESOURCE_INACTIVE": "The resource takes no new reservations.",
        "IDEMPOTENCY_KEY_REUSED": "This idempotency key was used for a different request; "
        "use a new key.",
    }
