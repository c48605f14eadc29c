"""Hook implementations of the payments module, and nothing else."""

from pathlib import Path

import strawberry

from core.access import ROLES
from core.filter_fields import DATETIME, NUMBER, Summary
from core.hookspecs import hookimpl
from core.plugins import Module
from plugins.payments import balance, compiled, demo, overview, queries, requests, service, types
from plugins.payments import schema as api
from plugins.payments.models import TABLES
from schema.tabs import TabSpec

MANAGERS = ("owner", "admin", "manager")


@hookimpl
def hub_module():
    return Module("payments", "Payments", "Charges, invoices, payments, refunds and balance.")


@hookimpl
def hub_tables():
    return TABLES


@hookimpl
def hub_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def hub_customer_summaries():
    return {
        "payments.openInvoices": Summary(
            NUMBER, queries.open_invoices_of_customer, "Open (unpaid) invoices.", "payments.view"
        ),
        "payments.lastPaymentAt": Summary(
            DATETIME,
            queries.last_payment_of_customer,
            "When the newest payment was received (empty: none).",
            "payments.view",
        ),
    }


@hookimpl
def hub_permissions():
    return {
        "payments.view": ROLES,
        service.MANAGE: MANAGERS,
        service.REFUND: MANAGERS,
    }


@hookimpl
def hub_event_types():
    return [
        "invoice.issued",
        "invoice.paid",
        "invoice.voided",
        "invoice.overdue",
        "payment.received",
        "payment.refunded",
    ]


@hookimpl
def hub_handle_event(session, event):
    """Any module's event carrying an `invoice_request` or a `balance_entry` (the contracts
    in `__init__.py`)."""
    data = event.data or {}
    wanted = [
        handle
        for key, handle in (("balance_entry", balance.handle), ("invoice_request", requests.handle))
        if key in data
    ]
    if not wanted:
        return None

    async def both():
        for handle in wanted:
            await handle(session, event)

    return both()


@hookimpl
def hub_customer_fields():
    return [
        strawberry.field(
            resolver=overview.payments,
            description="Payments module: balance, totals, invoices, payments, methods.",
        )
    ]


@hookimpl
def hub_query_fields():
    return api.query_fields()


@hookimpl
def hub_mutation_fields():
    return api.mutation_fields()


@hookimpl
def hub_profile_tabs():
    return [TabSpec("payments", "Payments", "credit-card", 10, "payments.view")]


@hookimpl
def hub_badge_count_queries(principal, customer_ids):
    return {"payments": queries.open_invoice_counts(principal.tenant_id, customer_ids)}


@hookimpl
def hub_compiled_customer_fields():
    return {"payments": compiled.compiled_payments}


@hookimpl
def hub_node_resolvers():
    return types.NODE_RESOLVERS


@hookimpl
def hub_customers_merging(session, tenant_id, source_id, target_id):
    return service.move_customer_rows(session, tenant_id, source_id, target_id)


@hookimpl
def hub_customer_export(conn, tenant_id, customer_id):
    return queries.export(conn, tenant_id, customer_id)


@hookimpl
def hub_demo_data(session, tenant_id, customer_ids, seed):
    return demo.seed(session, tenant_id, customer_ids, seed)


@hookimpl
def hub_error_codes():
    return {
        "CURRENCY_MISMATCH": "The amount's currency is not the invoice's (or the method's).",
        "MIXED_CURRENCY": "An invoice's lines must share one currency.",
        "OVERPAYMENT": "The payment is more than the invoice's open amount.",
        "REFUND_EXCEEDS_PAYMENT": "Refunds would add up to more than the payment.",
        "IDEMPOTENCY_KEY_REUSED": "This idempotency key was used for a different payment.",
        "WRONG_CUSTOMER": "The invoice belongs to another customer.",
        "INVOICE_NOT_DRAFT": "Only a draft invoice can be edited or issued.",
        "INVOICE_NOT_OPEN": "Only an open (issued, unpaid) invoice takes this action.",
        "INVOICE_NOT_VOIDABLE": "The invoice's status does not allow voiding it.",
        "INVOICE_HAS_PAYMENTS": "An invoice with payments cannot be voided; refund them first.",
    }
