"""Hook implementations of the appointments module, and nothing else."""

from pathlib import Path

from core.access import ROLES
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.appointments import demo, queries, schema, service
from plugins.appointments.models import Appointment, AppointmentCredit
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module(
        "appointments", "Appointments", "Bookings with workers, reminders and prepaid credits."
    )


@hookimpl
def hub_tables():
    return [Appointment.__table__, AppointmentCredit.__table__]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {
        schema.VIEW: ROLES,
        service.BOOK: ROLES,
        service.CREDITS: ("owner", "admin", "manager"),
    }


@hookimpl
def hub_event_types():
    return [
        "appointment.booked",
        "appointment.rescheduled",
        "appointment.confirmed",
        "appointment.cancelled",
        "appointment.completed",
        "appointment.no_show",
        "appointment.credits_bought",
    ]


@hookimpl
def hub_customer_fields():
    return schema.customer_fields()


@hookimpl
def hub_query_fields():
    return schema.query_fields()


@hookimpl
def hub_mutation_fields():
    return schema.mutation_fields()


@hookimpl
def hub_compiled_customer_fields():
    return {"appointments": schema.compiled_appointments}


@hookimpl
def hub_node_resolvers():
    return {"Appointment": schema.load_appointment}


@hookimpl
def hub_profile_tabs():
    return [TabSpec("appointments", "Appointments", "calendar", 30, schema.VIEW)]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"appointments": queries.count_query(principal, customer_ids)}


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return service.move_to(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    async def export():
        return {"appointments": await queries.export(conn, tenant_id, customer_id)}

    return export()


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_error_codes():
    return {
        "DOUBLE_BOOKED": "The worker already has an appointment at that time.",
        "NO_CREDITS": "The customer has no appointment credits left.",
    }
