"""Hook implementations of the working time module, and nothing else."""

from pathlib import Path

from core.access import ROLES, STAFF
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.working_time import demo, queries, service
from plugins.working_time.models import TimeEntry, WorkSession
from plugins.working_time.schema import CUSTOMER_FIELDS, MUTATION_FIELDS, QUERY_FIELDS
from plugins.working_time.types import load_entry
from schema.tabs import TabSpec


@hookimpl
def hub_module():
    return Module(
        "working_time",
        "Working time",
        "Time spent on customers (timers and logged entries) and the workers' own clocks.",
    )


@hookimpl
def hub_tables():
    return [TimeEntry.__table__, WorkSession.__table__]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {service.VIEW: ROLES, service.TRACK: ROLES, service.MANAGE: STAFF}


@hookimpl
def hub_event_types():
    return [
        "time_entry.logged",
        "time_entry.updated",
        "time_entry.deleted",
        "timer.started",
        "timer.stopped",
        "work.started",
        "work.ended",
    ]


@hookimpl
def hub_handle_event(session, event):
    if event.name == "worker.deleted":
        return service.stop_orphans(session, event.tenant_id, event.occurred_at)
    return None


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
    return {"TimeEntry": load_entry}


@hookimpl
def hub_profile_tabs():
    return [TabSpec("working_time", "Working time", "clock", 50, service.VIEW)]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"working_time": queries.badge(principal.tenant_id, customer_ids)}


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return service.merge(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_error_codes():
    return {
        "TIMER_RUNNING": "You already have a running timer (one per worker); stop it first.",
        "NO_TIMER": "You have no running timer to stop.",
        "ALREADY_AT_WORK": "You are clocked in already.",
        "NOT_AT_WORK": "You are not clocked in.",
        "IN_FUTURE": "Time cannot be logged ahead of now.",
    }
