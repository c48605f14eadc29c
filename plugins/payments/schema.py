"""The payments module's root fields: the cross-customer invoice list and the mutations.
Each mutation takes its own `<VerbNoun>Input`, runs in one transaction through
`schema.payloads.mutate`, and answers with the object as written (read back after the
commit through the same loaders as any other read)."""

from datetime import date, datetime

import strawberry
from sqlalchemy import func
from strawberry import UNSET

from core import access, records
from core.pagination import PageRequest, fetch_page
from plugins.payments import queries as q
from plugins.payments import service as svc
from plugins.payments import types as t
from plugins.payments.types import (
    Invoice,
    InvoiceFilterInput,
    Payment,
    PaymentMethod,
    PaymentMethodKind,
    PaymentRefund,
    tenant_today,
)
from schema.context import Info
from schema.ids import from_global_id
from schema.money import MoneyInput
from schema.payloads import DeletePayload, UserError, deleted, mutate, payload
from schema.relay import Connection, connection

# --- inputs -------------------------------------------------------------------------------


@strawberry.input(description="One line of an invoice.")
class InvoiceLineInput:
    description: str
    quantity: int = 1
    unit_price: MoneyInput = strawberry.field(description="Positive; every line in one currency.")


def _lines(lines: list[InvoiceLineInput]) -> list[svc.LineIn]:
    return [
        svc.LineIn(
            description=line.description,
            quantity=line.quantity,
            unit_price=svc.Amount(line.unit_price.amount, line.unit_price.currency),
        )
        for line in lines
    ]


def _amount(value: MoneyInput) -> svc.Amount:
    return svc.Amount(value.amount, value.currency)


@strawberry.input
class CreateInvoiceInput:
    customer_id: strawberry.ID
    lines: list[InvoiceLineInput]
    due_date: date | None = None
    note: str | None = None


@strawberry.input(description="Changes to a DRAFT invoice; what is left out stays.")
class UpdateInvoiceInput:
    id: strawberry.ID
    lines: list[InvoiceLineInput] | None = strawberry.field(
        default=UNSET, description="Replace all lines."
    )
    due_date: date | None = strawberry.field(default=UNSET, description="Null clears it.")
    note: str | None = UNSET


@strawberry.input
class IssueInvoiceInput:
    id: strawberry.ID
    due_date: date | None = strawberry.field(
        default=None, description="Sets the due date; left out, the draft's stays."
    )


@strawberry.input
class VoidInvoiceInput:
    id: strawberry.ID
    reason: str | None = None


@strawberry.input
class RecordPaymentInput:
    customer_id: strawberry.ID
    amount: MoneyInput = strawberry.field(description="Positive, in minor units.")
    idempotency_key: str = strawberry.field(
        description="Unique per payment (e.g. a UUID made when the form opens). Sending the "
        "same key again records nothing new and answers with the first payment; the same key "
        "with other arguments is refused (IDEMPOTENCY_KEY_REUSED)."
    )
    invoice_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The OPEN invoice it pays (at most what is due; the invoice becomes PAID "
        "when its total is paid). Without one the payment is credit on the account.",
    )
    method_id: strawberry.ID | None = strawberry.field(
        default=None, description="A saved method of the customer."
    )
    method_kind: PaymentMethodKind | None = strawberry.field(
        default=None, description="Without a saved method: how it was paid (default OTHER)."
    )
    note: str | None = None
    received_at: datetime | None = strawberry.field(default=None, description="Default: now.")


@strawberry.input
class RefundPaymentInput:
    payment_id: strawberry.ID
    amount: MoneyInput | None = strawberry.field(
        default=None,
        description="At most the payment less its earlier refunds; left out: all of that.",
    )
    reason: str | None = None


@strawberry.input
class AddPaymentMethodInput:
    customer_id: strawberry.ID
    kind: PaymentMethodKind
    label: str
    last4: str | None = None
    make_default: bool = strawberry.field(
        default=False, description="The customer's first method is the default anyway."
    )


@strawberry.input
class SetDefaultPaymentMethodInput:
    id: strawberry.ID


@strawberry.input
class RemovePaymentMethodInput:
    id: strawberry.ID


@strawberry.input
class CheckOverdueInvoicesInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this customer's invoices; left out: all you may see."
    )


# --- payloads -----------------------------------------------------------------------------


InvoicePayload = payload(Invoice, "invoice")


@strawberry.type(description="The payment as recorded (or first recorded), or why not.")
class RecordPaymentPayload:
    payment: Payment | None
    user_errors: list[UserError]


@strawberry.type(description="The refund as written, or why nothing was refunded.")
class RefundPaymentPayload:
    refund: PaymentRefund | None
    user_errors: list[UserError]


@strawberry.type(description="The payment method as written, or why nothing was written.")
class PaymentMethodPayload:
    payment_method: PaymentMethod | None
    user_errors: list[UserError]


@strawberry.type(description="Invoices found overdue for the first time by this check.")
class CheckOverdueInvoicesPayload:
    invoices: list[Invoice]
    has_more: bool = strawberry.field(description="More are waiting: check again.")
    user_errors: list[UserError]


# --- resolvers ----------------------------------------------------------------------------


def _pk(value: strawberry.ID | None, type_name: str) -> int | None:
    return None if value is None else from_global_id(value, type_name)


async def _read(info: Info, load, pk: int | None):
    return await load(info, pk) if pk is not None else None


async def _invoice_payload(info: Info, work) -> InvoicePayload:
    pk, errors = await mutate(info, work)
    return InvoicePayload(invoice=await _read(info, t.load_invoice, pk), user_errors=errors)


async def create_invoice(info: Info, input: CreateInvoiceInput) -> InvoicePayload:
    async def work(session, principal):
        return await svc.create_invoice(
            session,
            principal,
            from_global_id(input.customer_id, "Customer"),
            _lines(input.lines),
            input.due_date,
            input.note,
        )

    pk, errors = await mutate(info, work, "customerId")
    return InvoicePayload(invoice=await _read(info, t.load_invoice, pk), user_errors=errors)


async def update_invoice(info: Info, input: UpdateInvoiceInput) -> InvoicePayload:
    changes: dict = {}
    if input.lines is not UNSET and input.lines is not None:
        changes["lines"] = _lines(input.lines)
    if input.due_date is not UNSET:
        changes["due_date"] = input.due_date
    if input.note is not UNSET:
        changes["note"] = input.note
    pk = from_global_id(input.id, "Invoice")
    return await _invoice_payload(info, lambda s, p: svc.update_invoice(s, p, pk, changes))


async def issue_invoice(info: Info, input: IssueInvoiceInput) -> InvoicePayload:
    pk = from_global_id(input.id, "Invoice")
    return await _invoice_payload(info, lambda s, p: svc.issue_invoice(s, p, pk, input.due_date))


async def void_invoice(info: Info, input: VoidInvoiceInput) -> InvoicePayload:
    pk = from_global_id(input.id, "Invoice")
    return await _invoice_payload(info, lambda s, p: svc.void_invoice(s, p, pk, input.reason))


async def record_payment(info: Info, input: RecordPaymentInput) -> RecordPaymentPayload:
    data = svc.PaymentIn(
        customer_id=from_global_id(input.customer_id, "Customer"),
        amount=_amount(input.amount),
        idempotency_key=input.idempotency_key,
        invoice_id=_pk(input.invoice_id, "Invoice"),
        method_id=_pk(input.method_id, "PaymentMethod"),
        method_kind=input.method_kind.value if input.method_kind else None,
        note=input.note,
        received_at=records.utc(input.received_at),
    )

    async def work(session, principal):
        pk, _replayed = await svc.record_payment(session, principal, data)
        return pk

    pk, errors = await mutate(info, work, "customerId")
    payment = await _read(info, t.load_payment, pk)
    return RecordPaymentPayload(payment=payment, user_errors=errors)


async def refund_payment(info: Info, input: RefundPaymentInput) -> RefundPaymentPayload:
    pk = from_global_id(input.payment_id, "Payment")
    amount = _amount(input.amount) if input.amount else None
    refund_pk, errors = await mutate(
        info, lambda s, p: svc.refund_payment(s, p, pk, amount, input.reason), "paymentId"
    )
    refund = await _read(info, t.load_refund, refund_pk)
    return RefundPaymentPayload(refund=refund, user_errors=errors)


async def _method_payload(info: Info, work, target: str = "id") -> PaymentMethodPayload:
    pk, errors = await mutate(info, work, target)
    method = await _read(info, t.load_method, pk)
    return PaymentMethodPayload(payment_method=method, user_errors=errors)


async def add_payment_method(info: Info, input: AddPaymentMethodInput) -> PaymentMethodPayload:
    customer_id = from_global_id(input.customer_id, "Customer")
    return await _method_payload(
        info,
        lambda s, p: svc.add_payment_method(
            s, p, customer_id, input.kind.value, input.label, input.last4, input.make_default
        ),
        "customerId",
    )


async def set_default_payment_method(
    info: Info, input: SetDefaultPaymentMethodInput
) -> PaymentMethodPayload:
    pk = from_global_id(input.id, "PaymentMethod")
    return await _method_payload(info, lambda s, p: svc.set_default_payment_method(s, p, pk))


async def remove_payment_method(info: Info, input: RemovePaymentMethodInput) -> DeletePayload:
    pk = from_global_id(input.id, "PaymentMethod")
    return await deleted(info, input.id, lambda s, p: svc.remove_payment_method(s, p, pk))


async def check_overdue_invoices(
    info: Info, input: CheckOverdueInvoicesInput
) -> CheckOverdueInvoicesPayload:
    customer_id = _pk(input.customer_id, "Customer")
    result, errors = await mutate(
        info, lambda s, p: svc.check_overdue_invoices(s, p, customer_id), "customerId"
    )
    ids, more = result or ([], False)
    invoices = [await _read(info, t.load_invoice, pk) for pk in ids]
    return CheckOverdueInvoicesPayload(
        invoices=[i for i in invoices if i], has_more=more, user_errors=errors
    )


async def invoices(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: InvoiceFilterInput | None = None,
    customer_id: strawberry.ID | None = None,
) -> Connection[Invoice]:
    """Across the customers you may see: e.g. every overdue invoice of the business."""
    ctx = info.context
    access.require(ctx.principal, "payments.view")
    where = (filter or InvoiceFilterInput()).to_query(await tenant_today(info))
    query = q.visible_invoices(ctx.principal, where, _pk(customer_id, "Customer"))
    async with ctx.read() as conn:
        page = await fetch_page(
            conn,
            query,
            PageRequest(first=first, after=after),
            q.INVOICES.c.id,
            q.INVOICES.c.id,
            descending=True,
        )

    async def count() -> int:
        async with ctx.read() as conn:
            return await conn.scalar(
                query.with_only_columns(func.count(q.INVOICES.c.id)).order_by(None)
            )

    return connection(page, [Invoice.from_row(r) for r in page.rows], count)


MUTATIONS = [
    (create_invoice, "Create a DRAFT invoice (it gets the tenant's next number)."),
    (update_invoice, "Change a DRAFT invoice."),
    (issue_invoice, "Issue a DRAFT invoice: it becomes OPEN and can be paid."),
    (void_invoice, "Cancel a DRAFT, or an OPEN invoice nothing is paid on."),
    (record_payment, "Record a payment, for an invoice or as credit; idempotent by key."),
    (refund_payment, "Refund all or part of a payment (needs payments.refund)."),
    (add_payment_method, "Save a payment method for a customer."),
    (set_default_payment_method, "Make a method its customer's default."),
    (remove_payment_method, "Remove a saved method; payments made with it keep its name."),
    (
        check_overdue_invoices,
        "Find OPEN invoices newly past their due date and send `invoice.overdue` once each.",
    ),
]


def mutation_fields() -> list:
    return [strawberry.mutation(resolver=fn, description=text) for fn, text in MUTATIONS]


def query_fields() -> list:
    return [
        strawberry.field(
            resolver=invoices,
            description="Invoices across the customers you may see, newest first.",
        )
    ]
