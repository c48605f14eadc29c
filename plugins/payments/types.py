"""GraphQL types of the payments module. Every related row comes through a per-request
DataLoader (`payments.<what>`), so a page of 50 customers costs what a page of 5 does."""

from collections import defaultdict
from datetime import date, datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import Private

from core import keyset
from plugins.payments import queries as q
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.money import Money
from schema.relay import Connection, Node, connection


@strawberry.enum(description="Where an invoice is in its life.")
class InvoiceStatus(Enum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    PAID = "PAID"
    VOID = "VOID"


@strawberry.enum(description="How a customer pays.")
class PaymentMethodKind(Enum):
    CARD = "CARD"
    BANK_TRANSFER = "BANK_TRANSFER"
    DIRECT_DEBIT = "DIRECT_DEBIT"
    CASH = "CASH"
    CHECK = "CHECK"
    WALLET = "WALLET"
    OTHER = "OTHER"


# --- loaders ------------------------------------------------------------------------------


def _grouped(fetch):
    async def batch(conn, principal, ids):
        found = await fetch(conn, principal, ids)
        return [found.get(i, []) for i in ids]

    return batch


async def tenant_today(info: Info) -> date:
    ctx = info.context
    tenant = await ctx.loaders.tenant.load(ctx.principal.tenant_id)
    return q.today_in(tenant["time_zone"] if tenant else None)


async def summaries(conn, principal, keys):
    by_day = defaultdict(list)
    for customer_id, today in keys:
        by_day[today].append(customer_id)
    found = {}
    for today, ids in by_day.items():
        for customer_id, sums in (await q.summaries(conn, principal, ids, today)).items():
            found[(customer_id, today)] = sums
    return [found[k] for k in keys]


async def invoice_pages(conn, principal, keys):
    groups = defaultdict(list)
    for customer_id, page, where in keys:
        groups[(page, where)].append(customer_id)
    found = {}
    for (page, where), ids in groups.items():
        query = q.invoice_pages_query(principal, ids, where, page)
        rows = (await conn.execute(query)).mappings()
        pages = keyset.pages_of(rows, "customer_id", ids, q.NEWEST_INVOICES, page)
        found.update({(i, page, where): p for i, p in zip(ids, pages, strict=True)})
    return [found[k] for k in keys]


async def invoice_counts(conn, principal, keys):
    groups = defaultdict(list)
    for customer_id, where in keys:
        groups[where].append(customer_id)
    found = {}
    for where, ids in groups.items():
        counted = await conn.execute(q.invoice_counts_query(principal, ids, where))
        found.update({(i, where): n for i, n in counted})
    return [found.get(k, 0) for k in keys]


async def payment_pages(conn, principal, keys):
    groups = defaultdict(list)
    for customer_id, page in keys:
        groups[page].append(customer_id)
    found = {}
    for page, ids in groups.items():
        query = q.payment_pages_query(principal, ids, page)
        rows = (await conn.execute(query)).mappings()
        made = keyset.pages_of(rows, "customer_id", ids, q.NEWEST_PAYMENTS, page)
        found.update({(i, page): p for i, p in zip(ids, made, strict=True)})
    return [found[k] for k in keys]


async def payment_counts(conn, principal, customer_ids):
    return await keyset.counts(conn, q.PAYMENTS, "customer_id", principal.tenant_id, customer_ids)


methods = _grouped(q.methods_of)


# --- types --------------------------------------------------------------------------------


def _money(amount: int, currency: str) -> Money:
    return Money(amount=amount, currency=currency)


@strawberry.type(description="One line of an invoice.")
class InvoiceLine:
    description: str
    quantity: int
    unit_price: Money
    amount: Money = strawberry.field(description="Quantity times unit price.")

    @classmethod
    def from_row(cls, row, currency: str) -> "InvoiceLine":
        return kit.from_row(
            cls,
            row,
            unit_price=_money(row["unit_amount"], currency),
            amount=_money(row["unit_amount"] * row["quantity"], currency),
        )


@strawberry.type(
    description="A bill to a customer, numbered per tenant (`INV-000123`). DRAFT is editable; "
    "issuing makes it OPEN; paying its total makes it PAID; VOID cancels it."
)
class Invoice(Node):
    number: str
    status: InvoiceStatus
    currency: str
    total: Money = strawberry.field(description="Sum of the lines.")
    amount_paid: Money = strawberry.field(description="Payments applied, less their refunds.")
    due_date: date | None
    note: str | None
    issued_at: datetime | None
    paid_at: datetime | None
    voided_at: datetime | None
    created_at: datetime
    customer_id: Private[int]

    @classmethod
    def from_row(cls, row) -> "Invoice":
        currency = row["currency"]
        return kit.from_row(
            cls,
            row,
            total=_money(row["total_amount"], currency),
            amount_paid=_money(row["paid_amount"], currency),
        )

    @strawberry.field(description="What is still owed: total less paid while OPEN, else 0.")
    def amount_due(self) -> Money:
        due = (
            self.total.amount - self.amount_paid.amount if self.status == InvoiceStatus.OPEN else 0
        )
        return _money(due, self.currency)

    @strawberry.field(
        description="OPEN and its due date is over in the tenant's time zone (computed on "
        "read; `checkOverdueInvoices` sends `invoice.overdue`)."
    )
    async def overdue(self, info: Info) -> bool:
        if self.status != InvoiceStatus.OPEN or self.due_date is None:
            return False
        return self.due_date < await tenant_today(info)

    @strawberry.field
    async def lines(self, info: Info) -> list[InvoiceLine]:
        rows = await info.context.loaders.custom("payments.lines", _grouped(q.lines_of)).load(
            self.pk
        )
        return [InvoiceLine.from_row(r, self.currency) for r in rows]

    @strawberry.field(description="Payments applied to this invoice, oldest first.")
    async def payments(self, info: Info) -> list[Annotated["Payment", strawberry.lazy(__name__)]]:
        loader = info.context.loaders.custom(
            "payments.of_invoice", _grouped(q.payments_of_invoices)
        )
        return [Payment.from_row(r) for r in await loader.load(self.pk)]

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)


@strawberry.type(description="A way a customer pays; one of a customer's methods is the default.")
class PaymentMethod(Node):
    kind: PaymentMethodKind
    label: str = strawberry.field(description="E.g. `Visa`, `Business account`.")
    last4: str | None = strawberry.field(description="Last four digits of a card or account.")
    is_default: bool
    created_at: datetime

    @classmethod
    def from_row(cls, row) -> "PaymentMethod":
        return kit.from_row(cls, row)


@strawberry.type(description="The receipt of a recorded payment.")
class PaymentReceipt:
    number: str = strawberry.field(description="Sequential per tenant, e.g. `RCP-000042`.")
    amount: Money
    issued_at: datetime


@strawberry.type(description="Money given back from a payment.")
class PaymentRefund(Node):
    amount: Money
    reason: str | None
    created_at: datetime
    payment_id: Private[int]

    @classmethod
    def from_row(cls, row) -> "PaymentRefund":
        return kit.from_row(cls, row, amount=_money(row["amount"], row["currency"]))

    @strawberry.field
    async def payment(self, info: Info) -> Annotated["Payment", strawberry.lazy(__name__)] | None:
        return await load_payment(info, self.payment_id)


@strawberry.type(
    description="Money received from a customer, for an invoice or as credit on the account."
)
class Payment(Node):
    amount: Money
    refunded_amount: Money = strawberry.field(description="Refunded so far.")
    method_kind: PaymentMethodKind = strawberry.field(description="How it was paid.")
    method_label: str | None = strawberry.field(
        description="The saved method as it was when paying (it may be removed since)."
    )
    note: str | None
    received_at: datetime
    created_at: datetime
    receipt: PaymentReceipt
    customer_id: Private[int]
    invoice_id: Private[int | None]
    method_id: Private[int | None]

    @classmethod
    def from_row(cls, row) -> "Payment":
        amount = _money(row["amount"], row["currency"])
        return kit.from_row(
            cls,
            row,
            amount=amount,
            refunded_amount=_money(row["refunded_amount"], row["currency"]),
            receipt=PaymentReceipt(
                number=row["receipt_number"], amount=amount, issued_at=row["created_at"]
            ),
        )

    @strawberry.field(description="What can still be refunded: amount less refunds.")
    def refundable_amount(self) -> Money:
        return _money(self.amount.amount - self.refunded_amount.amount, self.amount.currency)

    @strawberry.field(description="The invoice it paid; null for credit on the account.")
    async def invoice(self, info: Info) -> Invoice | None:
        if self.invoice_id is None:
            return None
        return await load_invoice(info, self.invoice_id)

    @strawberry.field(description="The saved method paid with; null if none or removed.")
    async def method(self, info: Info) -> PaymentMethod | None:
        if self.method_id is None:
            return None
        return await load_method(info, self.method_id)

    @strawberry.field(description="Refunds of this payment, oldest first.")
    async def refunds(self, info: Info) -> list[PaymentRefund]:
        loader = info.context.loaders.custom("payments.refunds", _grouped(q.refunds_of))
        return [PaymentRefund.from_row(r) for r in await loader.load(self.pk)]

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)


@strawberry.input(description="Which invoices to list.")
class InvoiceFilterInput:
    status: list[InvoiceStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    overdue: bool | None = strawberry.field(
        default=None, description="Only overdue ones (true) or only the others (false)."
    )

    def to_query(self, today: date) -> q.InvoiceFilter:
        statuses = tuple(sorted({s.value for s in self.status or []}))
        return q.InvoiceFilter(statuses=statuses, overdue=self.overdue, today=today)


def _per_currency(sums: dict, value, keep) -> list[Money]:
    return [_money(value(s), currency) for currency, s in sorted(sums.items()) if keep(s)]


@strawberry.type(
    description="A customer's payments tab: balance and totals per currency (a customer may "
    "pay in several), invoices, payments, saved methods and the unpaid-invoice badge."
)
class CustomerPayments:
    customer_id: Private[int]
    today: Private[date]

    async def _sums(self, info: Info) -> dict:
        loader = info.context.loaders.custom("payments.summary", summaries)
        return await loader.load((self.customer_id, self.today))

    @strawberry.field(
        description="What the customer owes per currency: the amount due on OPEN invoices "
        "less credit (payments not applied to an invoice, net of refunds), plus the balance "
        "entries other modules' events made (a payout sent to the customer adds its amount). "
        "Negative: the customer is in credit. One entry per currency with issued invoices, "
        "payments or balance entries."
    )
    async def balance(self, info: Info) -> list[Money]:
        return _per_currency(
            await self._sums(info),
            lambda s: s["due"] - s["unapplied"] + s["entries"],
            lambda s: s["billed_count"] or s["paid"] or s["entry_count"],
        )

    @strawberry.field(description="Everything received, before refunds, per currency.")
    async def total_paid(self, info: Info) -> list[Money]:
        return _per_currency(await self._sums(info), lambda s: s["paid"], lambda s: s["paid"])

    @strawberry.field(description="Everything refunded, per currency.")
    async def total_refunded(self, info: Info) -> list[Money]:
        return _per_currency(
            await self._sums(info), lambda s: s["refunded"], lambda s: s["refunded"]
        )

    @strawberry.field(description="Net revenue from the customer: received less refunded.")
    async def lifetime_value(self, info: Info) -> list[Money]:
        return _per_currency(
            await self._sums(info), lambda s: s["paid"] - s["refunded"], lambda s: s["paid"]
        )

    @strawberry.field(
        description="Mean total of the customer's issued (OPEN or PAID) invoices, rounded "
        "half up to a minor unit, per currency."
    )
    async def average_order_value(self, info: Info) -> list[Money]:
        return _per_currency(
            await self._sums(info),
            lambda s: (2 * s["billed"] + s["billed_count"]) // (2 * s["billed_count"]),
            lambda s: s["billed_count"],
        )

    @strawberry.field(description="OPEN invoices: the tab's badge.")
    async def unpaid_invoice_count(self, info: Info) -> int:
        return sum(s["open_count"] for s in (await self._sums(info)).values())

    @strawberry.field(description="OPEN invoices past their due date.")
    async def overdue_invoice_count(self, info: Info) -> int:
        return sum(s["overdue_count"] for s in (await self._sums(info)).values())

    @strawberry.field(description="The customer's invoices, newest first.")
    async def invoices(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: InvoiceFilterInput | None = None,
    ) -> Connection[Invoice]:
        page = q.NEWEST_INVOICES.request(first, after)
        where = (filter or InvoiceFilterInput()).to_query(self.today)
        loaders = info.context.loaders
        found = await loaders.custom("payments.invoice_pages", invoice_pages).load(
            (self.customer_id, page, where)
        )

        def count():
            loader = loaders.custom("payments.invoice_counts", invoice_counts)
            return loader.load((self.customer_id, where))

        return connection(found, [Invoice.from_row(r) for r in found.rows], count)

    @strawberry.field(description="The customer's payments, newest first.")
    async def payments(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Payment]:
        page = q.NEWEST_PAYMENTS.request(first, after)
        loaders = info.context.loaders
        found = await loaders.custom("payments.payment_pages", payment_pages).load(
            (self.customer_id, page)
        )

        def count():
            return loaders.custom("payments.payment_counts", payment_counts).load(self.customer_id)

        return connection(found, [Payment.from_row(r) for r in found.rows], count)

    @strawberry.field(description="Saved payment methods, the default first.")
    async def methods(self, info: Info) -> list[PaymentMethod]:
        loader = info.context.loaders.custom("payments.methods", methods)
        return [PaymentMethod.from_row(r) for r in await loader.load(self.customer_id)]


load_invoice = kit.node_loader(q.INVOICES, Invoice)
load_payment = kit.node_loader(q.PAYMENTS, Payment)
load_method = kit.node_loader(q.METHODS, PaymentMethod)
load_refund = kit.node_loader(q.REFUNDS, PaymentRefund)

NODE_RESOLVERS = {
    "Invoice": load_invoice,
    "Payment": load_payment,
    "PaymentMethod": load_method,
    "PaymentRefund": load_refund,
}
