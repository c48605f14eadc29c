"""Hook implementations of the automation module, and nothing else."""

from pathlib import Path

from core import schedules
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.automation import bulk_runs, demo, queries, runner, scheduled, service
from plugins.automation.models import AutomationRule, AutomationRuleVersion, AutomationRun
from plugins.automation.schema import (
    CUSTOMER_FIELDS,
    MUTATION_FIELDS,
    QUERY_FIELDS,
    compiled_automation,
)
from plugins.automation.types import load_rule, load_run
from schema.tabs import TabSpec

STAFF = ("owner", "admin", "manager")


@hookimpl
def hub_module():
    return Module(
        "automation",
        "Work Flow",
        "Rules that act on customers when something happens, on a schedule, or when run by hand.",
    )


@hookimpl
def hub_tables():
    return [AutomationRule.__table__, AutomationRuleVersion.__table__, AutomationRun.__table__]


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_permissions():
    return {
        service.VIEW: ("owner", "admin", "manager", "agent"),
        service.MANAGE: STAFF,
        service.RUN: STAFF,
    }


@hookimpl
def hub_event_types():
    # Rule events carry no customer ({"ruleId", ...}); the others {"runId", "ruleId", "step"}
    # and the request of the contract they serve (docs/plugins.md), plus `automationDepth`.
    return [
        "automation.rule_created",
        "automation.rule_updated",
        "automation.rule_deleted",
        "automation.run_finished",
        "automation.mission_requested",
        "automation.message_requested",
        "automation.workers_notified",
        "automation.webhook",
    ]


@hookimpl
def hub_job_handlers():
    return {
        service.JOB_KIND: runner.run_job,
        service.SWEEP_KIND: scheduled.sweep,
        bulk_runs.KIND: bulk_runs.run_job,
        service.TICKS.kind: schedules.periodic(service.TICKS, scheduled.tick),
    }


@hookimpl
def hub_module_enabled(session, tenant_id):
    return schedules.ensure(session, service.TICKS, tenant_id)


@hookimpl
def hub_handle_event(session, event):
    return service.start_from_event(session, event)


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
    return {"AutomationRule": load_rule, "AutomationRun": load_run}


@hookimpl
def hub_profile_tabs():
    return [TabSpec("automation", "Work Flow", "zap", position=70, permission=service.VIEW)]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"automation": queries.running_counts(principal.tenant_id, customer_ids)}


@hookimpl
def hub_compiled_customer_fields():
    return {"automation": compiled_automation}


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    from core import records

    return records.move_to_customer(session, tenant_id, source_id, target_id, AutomationRun)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_error_codes():
    return {
        "AUTOMATION_RULE_INACTIVE": "The automation rule is switched off.",
        "AUTOMATION_AUTHOR_GONE": "The automation rule's author is no longer a worker.",
        "LOOP_GUARD": "An automation run was skipped: its event came from too deep a chain of "
        "automation.",
        "RATE_LIMITED": "An automation run was skipped: too many runs started this minute.",
    }
