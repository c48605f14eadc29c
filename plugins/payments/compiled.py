"""The `payments` field in the compiled path (`schema/compiled`): the sums per currency and
the counts the look-ahead read makes (`queries.summary_queries`) grouped once more per
customer, and the invoices, payments and saved methods (`schema.compiled.module_lists`).

The tenant's day decides what is overdue; here it is SQL (`core.tenants.today_of`: its time
zone, the time the statement runs), so a kept select stays right across midnight."""

from sqlalchemy import BigInteger, and_, case, cast, func, select, union_all

from core import access
from core.tenants import today_of
from plugins.payments import queries as q
from plugins.payments.types import InvoiceStatus, PaymentMethodKind
from schema.compiled.customers import ModuleField
from schema.compiled.module_json import json_list, json_object
from schema.compiled.module_lists import ModuleList, money
from schema.compiled.objects import Scope, column, gid, obj
from schema.compiled.selection import Field

VIEW = "payments.view"
INV, P, M = q.INVOICES.c, q.PAYMENTS.c, q.METHODS.c

INVOICE = {
    "id": gid("Invoice"),
    "number": column("number"),
    "status": column("status", enum=InvoiceStatus),
    "currency": column("currency"),
    "total": money("total_amount", "currency"),
    "amountPaid": money("paid_amount", "currency"),
    "amountDue": money("due__", "currency"),
    "dueDate": column("due_date", "date"),
    "note": column("note"),
    "issuedAt": column("issued_at", "ts"),
    "paidAt": column("paid_at", "ts"),
    "voidedAt": column("voided_at", "ts"),
    "createdAt": column("created_at", "ts"),
    "overdue": column("overdue__", "bool"),
}


def _receipt(scope: Scope, f: Field, row: str) -> str:
    fields = {
        "number": column("receipt_number"),
        "amount": money("amount", "currency"),
        "issuedAt": column("created_at", "ts"),
    }
    return obj(scope, "PaymentReceipt", fields, f, row)


PAYMENT = {
    "id": gid("Payment"),
    "amount": money("amount", "currency"),
    "refundedAmount": money("refunded_amount", "currency"),
    "refundableAmount": money("refundable__", "currency"),
    "methodKind": column("method_kind", enum=PaymentMethodKind),
    "methodLabel": column("method_label"),
    "note": column("note"),
    "receivedAt": column("received_at", "ts"),
    "createdAt": column("created_at", "ts"),
    "receipt": _receipt,
}
METHOD = {
    "id": gid("PaymentMethod"),
    "kind": column("kind", enum=PaymentMethodKind),
    "label": column("label"),
    "last4": column("last4"),
    "isDefault": column("is_default", "bool"),
    "createdAt": column("created_at", "ts"),
}


def _invoice_columns(principal) -> dict:
    """`amountDue` and `overdue` as `Invoice` works them out (the tenant's day)."""
    open_ = INV.status == "OPEN"
    late = and_(open_, INV.due_date.is_not(None), INV.due_date < today_of(principal.tenant_id))
    return {"due__": case((open_, INV.total_amount - INV.paid_amount), else_=0), "overdue__": late}


def _tenant(table):
    return lambda principal: [table.c.tenant_id == principal.tenant_id]


LISTS = {
    "invoices": ModuleList(
        q.INVOICES, _tenant(q.INVOICES), INVOICE, order=q.NEWEST_INVOICES,
        columns=_invoice_columns, counted=True,
    ),
    "payments": ModuleList(
        q.PAYMENTS, _tenant(q.PAYMENTS), PAYMENT, order=q.NEWEST_PAYMENTS,
        columns=lambda p: {"refundable__": P.amount - P.refunded_amount}, counted=True,
    ),
    "methods": ModuleList(
        q.METHODS, _tenant(q.METHODS), METHOD, "list",
        sort=lambda: [M.is_default.desc(), M.id],
    ),
}  # fmt: skip

# The sums: (column, kind, default or the key a money list is ordered by).
SUMS = {
    "balance": ("balance", "json[]", "currency"),
    "totalPaid": ("total_paid", "json[]", "currency"),
    "totalRefunded": ("total_refunded", "json[]", "currency"),
    "lifetimeValue": ("lifetime_value", "json[]", "currency"),
    "unpaidInvoiceCount": ("unpaid", "int", "0"),
    "overdueInvoiceCount": ("overdue", "int", "0"),
}


SUMMED = ("due", "unapplied", "entries", "paid", "refunded", "billed_count", "entry_count")
SUMMED += ("open_count", "overdue_0")


def summaries(principal, customer_ids):
    """(customer id, a column per `SUMS`): the look-ahead read's sums per currency for the
    tenant's day, as `CustomerPayments` adds them up (a currency shows in a money list when
    the resolver's `keep` holds)."""
    parts = q.summary_queries(principal, customer_ids, [today_of(principal.tenant_id)])
    rows = union_all(*parts).subquery()
    total = {name: cast(func.sum(rows.c[name]), BigInteger).label(name) for name in SUMMED}
    per = (
        select(rows.c.customer_id, rows.c.currency, *total.values())
        .group_by(rows.c.customer_id, rows.c.currency)
        .subquery()
    )
    s = per.c

    def moneys(amount, keep):
        return json_list(json_object(amount=amount, currency=s.currency)).filter(keep)

    return select(
        s.customer_id,
        moneys(
            s.due - s.unapplied + s.entries, (s.billed_count + s.paid + s.entry_count) != 0
        ).label("balance"),
        moneys(s.paid, s.paid != 0).label("total_paid"),
        moneys(s.refunded, s.refunded != 0).label("total_refunded"),
        moneys(s.paid - s.refunded, s.paid != 0).label("lifetime_value"),
        func.sum(s.open_count).label("unpaid"),
        func.sum(s.overdue_0).label("overdue"),
    ).group_by(s.customer_id)


def compiled_payments(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`payments { balance totalPaid totalRefunded lifetimeValue unpaidInvoiceCount
    overdueInvoiceCount invoices payments methods }` in the compiled path, per page; not
    `averageOrderValue`, nor a list's `filter`."""
    if not access.can(principal, VIEW) or not set(names) <= {*SUMS, *LISTS}:
        return None
    sums = any(name in SUMS for name in names)
    lists = {name: LISTS[name] for name in names if name in LISTS}
    return ModuleField(summaries if sums else None, SUMS, lists)
