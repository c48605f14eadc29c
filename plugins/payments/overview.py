"""The `payments` field on Customer: what its selection shows (sums, first pages of invoices
and payments with their counts, saved methods) is read in one statement with the tenant's
time zone, into the loaders `CustomerPayments` reads through (`schema.overview`).

The tenant's day decides what is overdue, and it is known only once that statement has
read the time zone: the sums count overdue invoices for each day it may be (UTC's, the one
before and the one after), and the answer takes the right one."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from core import access, keyset, multiread
from core.models import Tenant, utcnow
from plugins.payments import queries as q
from plugins.payments import types as t
from schema import overview
from schema.context import Info
from schema.customers.types import Customer

SUMS = frozenset(
    {
        "balance",
        "totalPaid",
        "totalRefunded",
        "lifetimeValue",
        "averageOrderValue",
        "unpaidInvoiceCount",
        "overdueInvoiceCount",
    }
)


@dataclass(frozen=True)
class Overview:
    """First pages of invoices `(page, statuses, counted)` and payments `(page, counted)`."""

    sums: bool = False
    invoices: frozenset = frozenset()
    payments: frozenset = frozenset()
    methods: bool = False


def _statuses(field) -> tuple[str, ...] | None:
    """The statuses of an invoice filter without `overdue` (its query needs the day)."""
    f = overview.argument(field, "filter") or {}
    if set(f) - {"status", "overdue"} or f.get("overdue") is not None:
        return None
    return tuple(sorted(set(f.get("status") or ())))


def _overview(fields) -> Overview:
    sums, methods, invoices, payments = False, False, set(), set()
    for field in fields:
        sums |= field.name in SUMS
        methods |= field.name == "methods"
        page = overview.first_page(field)
        if page is None:
            continue
        counted = overview.selects(field, "totalCount")
        if field.name == "invoices" and (statuses := _statuses(field)) is not None:
            invoices.add((page, statuses, counted))
        elif field.name == "payments":
            payments.add((page, counted))
    return Overview(sums, frozenset(invoices), frozenset(payments), methods)


async def _read(conn, ctx, customer_ids: list[int], want: Overview) -> None:
    """All of `want` for these customers in one statement, into the loaders' caches."""
    principal, loaders = ctx.principal, ctx.loaders
    utc_day = utcnow().date()
    days = [utc_day + timedelta(days=n) for n in (-1, 0, 1)]
    parts = {"tenant": select(Tenant.__table__).where(Tenant.id == principal.tenant_id)}
    if want.sums:
        sums = q.summary_queries(principal, customer_ids, days)
        parts["invoice_sums"], parts["payment_sums"], parts["entry_sums"] = sums
    for page, statuses, counted in want.invoices:
        where = q.InvoiceFilter(statuses=statuses)
        parts["invoices", page, statuses] = q.invoice_pages_query(
            principal, customer_ids, where, page
        )
        if counted:
            parts["invoice_count", statuses] = q.invoice_counts_query(
                principal, customer_ids, where
            )
    for page, counted in want.payments:
        parts["payments", page] = q.payment_pages_query(principal, customer_ids, page)
        if counted:
            parts["payment_count"] = q.payment_counts_query(principal, customer_ids)
    if want.methods:
        parts["methods"] = q.methods_query(principal, customer_ids)
    found = dict(zip(parts, await multiread.read(conn, list(parts.values())), strict=True))

    tenant = found["tenant"][0] if found["tenant"] else None
    loaders.tenant.prime(principal.tenant_id, tenant)
    today = q.today_in(tenant["time_zone"] if tenant else None)

    if want.sums and today in days:
        rows = found["invoice_sums"] + found["payment_sums"] + found["entry_sums"]
        sums = q.summaries_of(rows, customer_ids, days.index(today))
        loader = loaders.custom("payments.summary", t.summaries)
        for customer_id in customer_ids:
            loader.prime((customer_id, today), sums[customer_id])
    pages = loaders.custom("payments.invoice_pages", t.invoice_pages)
    totals = loaders.custom("payments.invoice_counts", t.invoice_counts)
    for page, statuses, counted in want.invoices:
        where = q.InvoiceFilter(statuses=statuses, today=today)
        rows = found["invoices", page, statuses]
        made = keyset.pages_of(rows, "customer_id", customer_ids, q.NEWEST_INVOICES, page)
        counts = overview.by_customer(found["invoice_count", statuses]) if counted else {}
        for customer_id, made_page in zip(customer_ids, made, strict=True):
            pages.prime((customer_id, page, where), made_page)
            if counted:
                totals.prime((customer_id, where), counts.get(customer_id, 0))
    pages = loaders.custom("payments.payment_pages", t.payment_pages)
    totals = loaders.custom("payments.payment_counts", t.payment_counts)
    for page, counted in want.payments:
        rows = found["payments", page]
        made = keyset.pages_of(rows, "customer_id", customer_ids, q.NEWEST_PAYMENTS, page)
        counts = overview.by_customer(found["payment_count"]) if counted else {}
        for customer_id, made_page in zip(customer_ids, made, strict=True):
            pages.prime((customer_id, page), made_page)
            if counted:
                totals.prime(customer_id, counts.get(customer_id, 0))
    if want.methods:
        methods = loaders.custom("payments.methods", t.methods)
        grouped = overview.grouped(found["methods"])
        for customer_id in customer_ids:
            methods.prime(customer_id, grouped.get(customer_id, []))


async def payments(root: Customer, info: Info) -> t.CustomerPayments:
    access.require(info.context.principal, "payments.view")
    want = overview.plan(info, "payments", _overview)
    await overview.read_once(info, "payments", root.pk, want, _read)
    return t.CustomerPayments(customer_id=root.pk, today=await t.tenant_today(info))
