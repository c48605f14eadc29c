"""Batched reads for the loaders: Core selects of plain rows, one statement per batch, always
scoped to the principal's tenant (and, for rows fetched by id, to customers they may see)."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, and_, case, func, literal, not_, select, union_all

from core import keyset
from core.auth import Principal
from core.keyset import Order
from core.models import Customer
from core.tenants import zone_of
from plugins.payments.models import (
    BalanceEntry,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentMethod,
    PaymentRefund,
)

INVOICES = Invoice.__table__
LINES = InvoiceLine.__table__
PAYMENTS = Payment.__table__
METHODS = PaymentMethod.__table__
REFUNDS = PaymentRefund.__table__
ENTRIES = BalanceEntry.__table__
BILLED = ("OPEN", "PAID")


def today_in(time_zone: str | None, now: datetime | None = None) -> date:
    """The tenant's calendar day: an invoice due on the 3rd is overdue on the 4th there."""
    zone = zone_of(time_zone)
    return (now or datetime.now(zone)).astimezone(zone).date()


@dataclass(frozen=True)
class InvoiceFilter:
    statuses: tuple[str, ...] = ()
    overdue: bool | None = None
    today: date | None = None

    def conditions(self) -> list:
        found = []
        if self.statuses:
            found.append(INVOICES.c.status.in_(self.statuses))
        if self.overdue is not None:
            late = and_(
                INVOICES.c.status == "OPEN",
                INVOICES.c.due_date.is_not(None),
                INVOICES.c.due_date < self.today,
            )
            found.append(late if self.overdue else not_(late))
        return found


# --- per customer -------------------------------------------------------------------------


def summary_queries(principal: Principal, customer_ids, days: Sequence[date]):
    """Sums per customer and currency of invoices, of payments and of balance entries (the
    same columns, to add up row by row in `summaries_of`); `overdue_<n>` counts the OPEN
    invoices due before `days[n]` (a caller that does not know the tenant's day yet asks for
    each it may be)."""
    zero = literal(0)
    tenant = principal.tenant_id
    open_ = INVOICES.c.status == "OPEN"
    billed = INVOICES.c.status.in_(BILLED)

    def when(condition, value):
        return func.sum(case((condition, value), else_=0))

    def zeros(*names):
        return [zero.label(name) for name in names]

    invoice_sums = ("due", "billed", "billed_count", "open_count")
    overdue = [f"overdue_{n}" for n in range(len(days))]
    payment_sums = ("paid", "refunded", "unapplied")
    entry_sums = ("entries", "entry_count")
    invoices = (
        select(
            INVOICES.c.customer_id,
            INVOICES.c.currency,
            when(open_, INVOICES.c.total_amount - INVOICES.c.paid_amount).label("due"),
            when(billed, INVOICES.c.total_amount).label("billed"),
            when(billed, 1).label("billed_count"),
            when(open_, 1).label("open_count"),
            *(
                when(and_(open_, INVOICES.c.due_date < day), 1).label(name)
                for name, day in zip(overdue, days, strict=True)
            ),
            *zeros(*payment_sums, *entry_sums),
        )
        .where(INVOICES.c.tenant_id == tenant, INVOICES.c.customer_id.in_(customer_ids))
        .group_by(INVOICES.c.customer_id, INVOICES.c.currency)
    )
    net = PAYMENTS.c.amount - PAYMENTS.c.refunded_amount
    payments = (
        select(
            PAYMENTS.c.customer_id,
            PAYMENTS.c.currency,
            *zeros(*invoice_sums, *overdue),
            func.sum(PAYMENTS.c.amount).label("paid"),
            func.sum(PAYMENTS.c.refunded_amount).label("refunded"),
            when(PAYMENTS.c.invoice_id.is_(None), net).label("unapplied"),
            *zeros(*entry_sums),
        )
        .where(PAYMENTS.c.tenant_id == tenant, PAYMENTS.c.customer_id.in_(customer_ids))
        .group_by(PAYMENTS.c.customer_id, PAYMENTS.c.currency)
    )
    entries = (
        select(
            ENTRIES.c.customer_id,
            ENTRIES.c.currency,
            *zeros(*invoice_sums, *overdue, *payment_sums),
            func.sum(ENTRIES.c.amount).label("entries"),
            func.count().label("entry_count"),
        )
        .where(ENTRIES.c.tenant_id == tenant, ENTRIES.c.customer_id.in_(customer_ids))
        .group_by(ENTRIES.c.customer_id, ENTRIES.c.currency)
    )
    return invoices, payments, entries


def summaries_of(rows, customer_ids: Sequence[int], day: int = 0) -> dict:
    """`{customer_id: {currency: sums}}` from `summary_query`'s rows, overdue before
    `days[day]`."""
    found: dict[int, dict[str, dict[str, int]]] = {i: {} for i in customer_ids}
    overdue = f"overdue_{day}"
    for row in rows:
        sums = found[row["customer_id"]].setdefault(row["currency"], defaultdict(int))
        for key, value in row.items():
            if key == overdue:
                sums["overdue_count"] += int(value or 0)
            elif key not in ("customer_id", "currency") and not key.startswith("overdue_"):
                sums[key] += int(value or 0)
    return found


async def summaries(conn, principal: Principal, customer_ids: Sequence[int], today: date):
    """`{customer_id: {currency: sums}}` of invoices and payments, in one statement."""
    rows = await conn.execute(union_all(*summary_queries(principal, customer_ids, [today])))
    return summaries_of(rows.mappings(), customer_ids)


# Newest first. The id is the only key: the cursor names the order and carries the id.
NEWEST_INVOICES = Order("id:desc", ((INVOICES.c.id, True, False),), INVOICES.c.id)
NEWEST_PAYMENTS = Order("id:desc", ((PAYMENTS.c.id, True, False),), PAYMENTS.c.id)


def invoice_pages_query(principal: Principal, customer_ids, where: InvoiceFilter, page):
    """Each customer's page of invoices, newest first, in one statement."""
    conditions = [INVOICES.c.tenant_id == principal.tenant_id, *where.conditions()]
    return keyset.grouped_pages_query(
        INVOICES, "customer_id", customer_ids, conditions, NEWEST_INVOICES, page
    )


def payment_pages_query(principal: Principal, customer_ids, page):
    conditions = [PAYMENTS.c.tenant_id == principal.tenant_id]
    return keyset.grouped_pages_query(
        PAYMENTS, "customer_id", customer_ids, conditions, NEWEST_PAYMENTS, page
    )


def invoice_counts_query(principal: Principal, customer_ids, where: InvoiceFilter):
    """(customer id, invoices matching `where`)."""
    return keyset.counts_query(
        INVOICES, "customer_id", principal.tenant_id, customer_ids, *where.conditions()
    )


def payment_counts_query(principal: Principal, customer_ids):
    return keyset.counts_query(PAYMENTS, "customer_id", principal.tenant_id, customer_ids)


def methods_query(principal: Principal, customer_ids) -> Select:
    return (
        select(METHODS)
        .where(METHODS.c.tenant_id == principal.tenant_id, METHODS.c.customer_id.in_(customer_ids))
        .order_by(METHODS.c.is_default.desc(), METHODS.c.id)
    )


async def methods_of(conn, principal: Principal, customer_ids: Sequence[int]) -> dict:
    return _grouped(await conn.execute(methods_query(principal, customer_ids)), "customer_id")


def open_invoices_of_customer(tenant_id: int):
    """OPEN invoices of the customer a list row is on (`(tenant_id, customer_id, id)`
    index): the `payments.openInvoices` filter and sort."""
    return keyset.count_of_customer(INVOICES, tenant_id, INVOICES.c.status == "OPEN")


def last_payment_of_customer(tenant_id: int):
    """When the customer's newest payment was received: `payments.lastPaymentAt`."""
    return (
        select(func.max(PAYMENTS.c.received_at))
        .where(PAYMENTS.c.tenant_id == tenant_id, PAYMENTS.c.customer_id == Customer.id)
        .correlate(Customer)
        .scalar_subquery()
    )


def open_invoice_counts(tenant_id: int, customer_ids) -> Select:
    """(customer id, OPEN invoices): the tab's badge."""
    return keyset.counts_query(
        INVOICES, "customer_id", tenant_id, customer_ids, INVOICES.c.status == "OPEN"
    )


# --- per invoice or payment ----------------------------------------------------------------


def _grouped(rows, key: str) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = defaultdict(list)
    for row in rows.mappings():
        found[row[key]].append(dict(row))
    return found


async def lines_of(conn, principal: Principal, invoice_ids: Sequence[int]) -> dict:
    rows = await conn.execute(
        select(LINES)
        .where(LINES.c.tenant_id == principal.tenant_id, LINES.c.invoice_id.in_(invoice_ids))
        .order_by(LINES.c.invoice_id, LINES.c.position)
    )
    return _grouped(rows, "invoice_id")


async def payments_of_invoices(conn, principal: Principal, invoice_ids: Sequence[int]) -> dict:
    rows = await conn.execute(
        select(PAYMENTS)
        .where(PAYMENTS.c.tenant_id == principal.tenant_id, PAYMENTS.c.invoice_id.in_(invoice_ids))
        .order_by(PAYMENTS.c.id)
    )
    return _grouped(rows, "invoice_id")


async def refunds_of(conn, principal: Principal, payment_ids: Sequence[int]) -> dict:
    rows = await conn.execute(
        select(REFUNDS)
        .where(REFUNDS.c.tenant_id == principal.tenant_id, REFUNDS.c.payment_id.in_(payment_ids))
        .order_by(REFUNDS.c.id)
    )
    return _grouped(rows, "payment_id")


def visible_invoices(principal: Principal, where: InvoiceFilter, customer_id: int | None):
    """Invoices across the customers this principal may see, for the root `invoices` list."""
    conditions = where.conditions()
    if customer_id is not None:
        conditions.append(INVOICES.c.customer_id == customer_id)
    return keyset.visible(INVOICES, principal, *conditions)


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """All of one customer's payment data, JSON-able, for a data request."""

    def plain(row) -> dict:
        return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in row.items()}

    async def rows(table, *where) -> list[dict]:
        found = await conn.execute(
            select(table).where(table.c.tenant_id == tenant_id, *where).order_by(table.c.id)
        )
        return [plain(r) for r in found.mappings()]

    invoices = await rows(INVOICES, INVOICES.c.customer_id == customer_id)
    lines = await rows(
        LINES,
        LINES.c.invoice_id.in_(select(INVOICES.c.id).where(INVOICES.c.customer_id == customer_id)),
    )
    for invoice in invoices:
        invoice["lines"] = [line for line in lines if line["invoice_id"] == invoice["id"]]
    payments = await rows(PAYMENTS, PAYMENTS.c.customer_id == customer_id)
    refunds = await rows(REFUNDS, REFUNDS.c.customer_id == customer_id)
    for payment in payments:
        payment["refunds"] = [r for r in refunds if r["payment_id"] == payment["id"]]
    methods = await rows(METHODS, METHODS.c.customer_id == customer_id)
    entries = await rows(ENTRIES, ENTRIES.c.customer_id == customer_id)
    return {
        "payments": {
            "invoices": invoices,
            "payments": payments,
            "methods": methods,
            "balanceEntries": entries,
        }
    }
