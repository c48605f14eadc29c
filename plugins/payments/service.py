"""Writes of the payments module, inside the caller's transaction. Every check that needs no
database runs first; amounts that other requests may change at the same moment (an invoice's
paid amount, a payment's refunds) are changed by conditional UPDATEs, so two requests can
never overpay an invoice or refund a payment twice, on SQLite or PostgreSQL. A refused change
raises `InvalidInput` / `NotFound`, and the transaction writes nothing."""

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, keyset, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, NotFound, Problem
from core.models import Customer, Tenant, UTCDateTime, utcnow
from plugins.payments.models import (
    BalanceEntry,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentCounter,
    PaymentIdempotencyKey,
    PaymentMethod,
    PaymentRefund,
)
from plugins.payments.queries import INVOICES, today_in
from schema.ids import to_global_id
from schema.money import CURRENCY_RE, MAX_AMOUNT, check_money

MANAGE = "payments.manage"
REFUND = "payments.refund"
METHOD_KINDS = ("CARD", "BANK_TRANSFER", "DIRECT_DEBIT", "CASH", "CHECK", "WALLET", "OTHER")
MAX_LINES = 100
MAX_QUANTITY = 1_000_000
MAX_METHODS = 20
MAX_OVERDUE_PER_CHECK = 500
CLOCK_SKEW = timedelta(minutes=5)
LAST4_RE = re.compile(r"^[0-9]{4}$")


@dataclass(frozen=True)
class Amount:
    amount: int
    currency: str


@dataclass(frozen=True)
class LineIn:
    description: str
    quantity: int
    unit_price: Amount


@dataclass(frozen=True)
class PaymentIn:
    customer_id: int
    amount: Amount
    idempotency_key: str
    invoice_id: int | None = None
    method_id: int | None = None
    method_kind: str | None = None
    note: str | None = None
    received_at: datetime | None = None


# --- shared -------------------------------------------------------------------------------


async def next_number(session: AsyncSession, tenant_id: int, name: str) -> int:
    """The tenant's next number of a kind. The UPDATE holds the counter row until commit, so
    concurrent writers queue behind it and no number is used twice."""
    await session.execute(
        records.upsert(session, PaymentCounter)
        .values(tenant_id=tenant_id, name=name, last=0)
        .on_conflict_do_nothing(index_elements=["tenant_id", "name"])
    )
    return await session.scalar(
        update(PaymentCounter)
        .where(PaymentCounter.tenant_id == tenant_id, PaymentCounter.name == name)
        .values(last=PaymentCounter.last + 1)
        .returning(PaymentCounter.last)
    )


async def _lock_customer(session: AsyncSession, customer_id: int) -> None:
    """A write on the customer's row: PostgreSQL locks the row, SQLite takes its write lock
    before the reads that follow, so checks like "is there a default method?" hold until
    commit."""
    await session.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(kind=Customer.kind)
        .execution_options(synchronize_session=False)
    )


def _money(value: Amount, path: tuple[str, ...], problems: list[Problem]) -> Amount:
    amount, currency = check_money(value, path, problems)
    return Amount(amount, currency)


async def _editable(session: AsyncSession, principal: Principal, model, pk: int, what: str):
    """The row of a customer the principal may change: unknown and invisible are NOT_FOUND,
    visible but not editable is FORBIDDEN (core's rule for customers). Not
    `records.for_update`: that locks this row before the customer, and `record_payment` and
    `add_payment_method` lock the customer before the invoice or methods they change; the
    customer first everywhere keeps two such writes from deadlocking."""
    row = await records.visible_row(session, principal, model, pk, what)
    await get_customer(session, principal, row.customer_id)
    return row


async def tenant_today(session: AsyncSession, tenant_id: int) -> date:
    return today_in(await session.scalar(select(Tenant.time_zone).where(Tenant.id == tenant_id)))


# --- invoices -----------------------------------------------------------------------------


def _lines(lines: list[LineIn], problems: list[Problem]) -> tuple[str | None, int]:
    """(currency, total) of valid lines; every problem goes to `problems`."""
    if not lines:
        problems.append(Problem(("input", "lines"), "Give at least one line.", "REQUIRED"))
        return None, 0
    if len(lines) > MAX_LINES:
        problems.append(Problem(("input", "lines"), f"At most {MAX_LINES} lines.", "TOO_MANY"))
        return None, 0
    currency, total = None, 0
    for index, line in enumerate(lines):
        path = ("input", "lines", str(index))
        records.clean_text(line.description, (*path, "description"), 500, problems, required=True)
        if not 1 <= line.quantity <= MAX_QUANTITY:
            problems.append(Problem((*path, "quantity"), f"From 1 to {MAX_QUANTITY}.", "INVALID"))
        price = _money(line.unit_price, (*path, "unitPrice"), problems)
        if not CURRENCY_RE.match(price.currency):
            continue
        currency = currency or price.currency
        if price.currency != currency:
            problems.append(
                Problem(
                    (*path, "unitPrice", "currency"),
                    f"All lines of an invoice are in one currency ({currency}).",
                    "MIXED_CURRENCY",
                )
            )
        total += max(line.quantity, 0) * max(price.amount, 0)
    if total > MAX_AMOUNT:
        problems.append(Problem(("input", "lines"), "The total is too large.", "INVALID"))
    return currency, total


def _line_rows(tenant_id: int, lines: list[LineIn]) -> list[InvoiceLine]:
    return [
        InvoiceLine(
            tenant_id=tenant_id,
            position=i,
            description=line.description.strip(),
            quantity=line.quantity,
            unit_amount=line.unit_price.amount,
        )
        for i, line in enumerate(lines)
    ]


async def create_invoice(
    session: AsyncSession,
    principal: Principal,
    customer_id: int,
    lines: list[LineIn],
    due_date: date | None = None,
    note: str | None = None,
) -> int:
    """A DRAFT. It gets its number now: invoices are never deleted (only voided), so the
    tenant's numbers stay gapless."""
    access.require(principal, MANAGE)
    customer = await get_customer(session, principal, customer_id)
    problems: list[Problem] = []
    currency, total = _lines(lines, problems)
    note = records.clean_text(note, ("input", "note"), 2000, problems)
    records.fail_if(problems)
    number = await next_number(session, principal.tenant_id, "invoice")
    invoice = Invoice(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        number=f"INV-{number:06d}",
        status="DRAFT",
        currency=currency,
        total_amount=total,
        paid_amount=0,
        due_date=due_date,
        note=note,
    )
    session.add(invoice)
    await session.flush()
    for line in _line_rows(principal.tenant_id, lines):
        line.invoice_id = invoice.id
        session.add(line)
    await session.flush()
    return invoice.id


async def _invoice(session: AsyncSession, principal: Principal, invoice_id: int) -> Invoice:
    return await _editable(session, principal, Invoice, invoice_id, "Invoice")


def _not_in(invoice: Invoice, status: str, action: str) -> InvalidInput:
    return InvalidInput.one(
        ("input", "id"),
        f"Invoice {invoice.number} is {invoice.status}; only a {status} invoice can be {action}.",
        "INVOICE_NOT_DRAFT" if status == "DRAFT" else "INVOICE_NOT_OPEN",
    )


async def update_invoice(
    session: AsyncSession, principal: Principal, invoice_id: int, changes: dict
) -> int:
    """Only a DRAFT changes: what was issued stays as the customer received it."""
    access.require(principal, MANAGE)
    invoice = await _invoice(session, principal, invoice_id)
    problems: list[Problem] = []
    lines = changes.get("lines")
    if lines is not None:
        currency, total = _lines(lines, problems)
    if "note" in changes:
        changes["note"] = records.clean_text(changes["note"], ("input", "note"), 2000, problems)
    records.fail_if(problems)
    if invoice.status != "DRAFT":
        raise _not_in(invoice, "DRAFT", "edited")
    values: dict = {"updated_at": utcnow()}
    if lines is not None:
        values.update(currency=currency, total_amount=total)
    for key in ("due_date", "note"):
        if key in changes:
            values[key] = changes[key]
    done = await session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id, Invoice.status == "DRAFT")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise _not_in(invoice, "DRAFT", "edited")
    if lines is not None:
        await session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
        for line in _line_rows(principal.tenant_id, lines):
            line.invoice_id = invoice.id
            session.add(line)
        await session.flush()
    return invoice.id


async def issue_invoice(
    session: AsyncSession, principal: Principal, invoice_id: int, due_date: date | None
) -> int:
    access.require(principal, MANAGE)
    invoice = await _invoice(session, principal, invoice_id)
    now = utcnow()
    values = {"status": "OPEN", "issued_at": now, "updated_at": now}
    if due_date is not None:
        values["due_date"] = due_date
    done = await session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id, Invoice.status == "DRAFT")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise _not_in(invoice, "DRAFT", "issued")
    due = due_date or invoice.due_date
    await records.emit(
        session,
        principal,
        "invoice.issued",
        invoice.customer_id,
        invoiceId=to_global_id("Invoice", invoice.id),
        number=invoice.number,
        amount=invoice.total_amount,
        currency=invoice.currency,
        dueDate=due.isoformat() if due else None,
    )
    return invoice.id


async def void_invoice(
    session: AsyncSession, principal: Principal, invoice_id: int, reason: str | None
) -> int:
    """A DRAFT, or an OPEN invoice nothing was paid on (refund its payments first)."""
    access.require(principal, MANAGE)
    invoice = await _invoice(session, principal, invoice_id)
    problems: list[Problem] = []
    note = records.clean_text(reason, ("input", "reason"), 2000, problems)
    records.fail_if(problems)
    now = utcnow()
    values = {"status": "VOID", "voided_at": now, "updated_at": now}
    if note:
        values["note"] = f"{invoice.note}\n\nVoided: {note}" if invoice.note else f"Voided: {note}"
    done = await session.execute(
        update(Invoice)
        .where(
            Invoice.id == invoice.id,
            Invoice.status.in_(("DRAFT", "OPEN")),
            Invoice.paid_amount == 0,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        current = await session.scalar(select(Invoice.paid_amount).where(Invoice.id == invoice.id))
        if invoice.status in ("DRAFT", "OPEN") and current:
            raise InvalidInput.one(
                ("input", "id"),
                f"Invoice {invoice.number} has payments; refund them before voiding it.",
                "INVOICE_HAS_PAYMENTS",
            )
        raise InvalidInput.one(
            ("input", "id"),
            f"Invoice {invoice.number} is {invoice.status} and cannot be voided.",
            "INVOICE_NOT_VOIDABLE",
        )
    await records.emit(
        session,
        principal,
        "invoice.voided",
        invoice.customer_id,
        invoiceId=to_global_id("Invoice", invoice.id),
        number=invoice.number,
    )
    return invoice.id


async def check_overdue_invoices(
    session: AsyncSession, principal: Principal, customer_id: int | None
) -> tuple[list[int], bool]:
    """Emits `invoice.overdue` once per invoice: the first check that finds it OPEN past its
    due date (in the tenant's time zone) marks it, later checks skip it. Returns the newly
    overdue invoices (at most 500 a call) and whether more are waiting."""
    access.require(principal, MANAGE)
    if customer_id is not None:
        await get_customer(session, principal, customer_id)
    today = await tenant_today(session, principal.tenant_id)
    candidates = (
        keyset.visible(
            INVOICES,
            principal,
            INVOICES.c.status == "OPEN",
            INVOICES.c.due_date < today,
            INVOICES.c.overdue_notified_at.is_(None),
        )
        .with_only_columns(INVOICES.c.id)
        .order_by(INVOICES.c.id)
        .limit(MAX_OVERDUE_PER_CHECK + 1)
    )
    if customer_id is not None:
        candidates = candidates.where(INVOICES.c.customer_id == customer_id)
    ids = list(await session.scalars(candidates))
    more = len(ids) > MAX_OVERDUE_PER_CHECK
    ids = ids[:MAX_OVERDUE_PER_CHECK]
    if not ids:
        return [], False
    # Conditional on the mark still being empty: a concurrent check takes each row once.
    rows = await session.execute(
        update(Invoice)
        .where(
            Invoice.id.in_(ids),
            Invoice.status == "OPEN",
            Invoice.overdue_notified_at.is_(None),
        )
        .values(overdue_notified_at=utcnow())
        .returning(
            Invoice.id,
            Invoice.customer_id,
            Invoice.number,
            Invoice.due_date,
            Invoice.total_amount - Invoice.paid_amount,
            Invoice.currency,
        )
        .execution_options(synchronize_session=False)
    )
    marked = sorted(rows.all())
    for pk, owner, number, due, amount_due, currency in marked:
        await records.emit(
            session,
            principal,
            "invoice.overdue",
            owner,
            invoiceId=to_global_id("Invoice", pk),
            number=number,
            dueDate=due.isoformat(),
            amountDue=amount_due,
            currency=currency,
        )
    return [row[0] for row in marked], more


# --- payments -----------------------------------------------------------------------------


def _fingerprint(data: PaymentIn) -> str:
    facts = asdict(data)
    facts.pop("idempotency_key")
    if data.received_at is not None:
        facts["received_at"] = data.received_at.isoformat()
    return records.fingerprint(facts)


def _check_payment(data: PaymentIn) -> PaymentIn:
    problems: list[Problem] = []
    key = records.clean_text(
        data.idempotency_key, ("input", "idempotencyKey"), 200, problems, required=True
    )
    amount = _money(data.amount, ("input", "amount"), problems)
    note = records.clean_text(data.note, ("input", "note"), 500, problems)
    if data.method_id is not None and data.method_kind is not None:
        problems.append(
            Problem(
                ("input", "methodKind"),
                "Give a saved method (methodId) or a kind, not both.",
                "INVALID",
            )
        )
    if data.received_at is not None and data.received_at > utcnow() + CLOCK_SKEW:
        problems.append(
            Problem(("input", "receivedAt"), "A payment cannot be received later.", "INVALID")
        )
    records.fail_if(problems)
    return PaymentIn(
        customer_id=data.customer_id,
        amount=amount,
        idempotency_key=key,
        invoice_id=data.invoice_id,
        method_id=data.method_id,
        method_kind=data.method_kind,
        note=note,
        received_at=data.received_at,
    )


async def _apply_to_invoice(session, principal, customer_id: int, data: PaymentIn) -> Invoice:
    """Adds the payment to the invoice's paid amount, marking it PAID when that reaches the
    total; refused (with the reason) unless the invoice is this customer's, OPEN, in the
    payment's currency and still owes at least the amount."""
    amount = data.amount.amount
    reaches = Invoice.paid_amount + amount == Invoice.total_amount
    now = utcnow()
    done = await session.execute(
        update(Invoice)
        .where(
            Invoice.id == data.invoice_id,
            Invoice.tenant_id == principal.tenant_id,
            Invoice.customer_id == customer_id,
            Invoice.status == "OPEN",
            Invoice.currency == data.amount.currency,
            Invoice.paid_amount + amount <= Invoice.total_amount,
        )
        .values(
            paid_amount=Invoice.paid_amount + amount,
            status=case((reaches, "PAID"), else_=Invoice.status),
            paid_at=case((reaches, literal(now, UTCDateTime)), else_=Invoice.paid_at),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    invoice = await session.scalar(
        select(Invoice)
        .where(Invoice.id == data.invoice_id, Invoice.tenant_id == principal.tenant_id)
        .execution_options(populate_existing=True)
    )
    if done.rowcount == 1:
        return invoice
    try:
        await records.visible_row(session, principal, Invoice, data.invoice_id, "Invoice")
    except NotFound as exc:
        raise InvalidInput.one(("input", "invoiceId"), "Invoice not found.", "NOT_FOUND") from exc
    if invoice.customer_id != customer_id:
        raise InvalidInput.one(
            ("input", "invoiceId"), "The invoice is another customer's.", "WRONG_CUSTOMER"
        )
    if invoice.status != "OPEN":
        raise InvalidInput.one(
            ("input", "invoiceId"),
            f"Invoice {invoice.number} is {invoice.status}; only an OPEN invoice takes payments.",
            "INVOICE_NOT_OPEN",
        )
    if invoice.currency != data.amount.currency:
        raise InvalidInput.one(
            ("input", "amount", "currency"),
            f"Invoice {invoice.number} is in {invoice.currency}.",
            "CURRENCY_MISMATCH",
        )
    due = invoice.total_amount - invoice.paid_amount
    raise InvalidInput.one(
        ("input", "amount", "amount"),
        f"Invoice {invoice.number} has {due} {invoice.currency} (minor units) left to pay; "
        "record at most that (without an invoice, a payment is credit on the account).",
        "OVERPAYMENT",
    )


async def record_payment(
    session: AsyncSession, principal: Principal, data: PaymentIn
) -> tuple[int, bool]:
    """(payment id, replayed). The same idempotency key with the same arguments records one
    payment and answers with it again; with other arguments it is refused. A payment without
    an invoice is credit on the customer's account (it lowers the balance)."""
    access.require(principal, MANAGE)
    data = _check_payment(data)
    customer = await get_customer(session, principal, data.customer_id)
    first = await records.claim_key(
        session,
        PaymentIdempotencyKey,
        principal.tenant_id,
        data.idempotency_key,
        _fingerprint(data),
        PaymentIdempotencyKey.payment_id,
        "payment",
    )
    if first is not None:
        return first, True
    kind, label = data.method_kind or "OTHER", None
    if data.method_id is not None:
        method = await session.scalar(
            select(PaymentMethod).where(
                PaymentMethod.id == data.method_id,
                PaymentMethod.tenant_id == principal.tenant_id,
                PaymentMethod.customer_id == customer.id,
            )
        )
        if method is None:
            raise InvalidInput.one(("input", "methodId"), "Payment method not found.", "NOT_FOUND")
        kind = method.kind
        label = method.label + (f" ····{method.last4}" if method.last4 else "")
    invoice = None
    if data.invoice_id is not None:
        invoice = await _apply_to_invoice(session, principal, customer.id, data)
    receipt = await next_number(session, principal.tenant_id, "receipt")
    payment = Payment(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        invoice_id=invoice.id if invoice else None,
        method_id=data.method_id,
        method_kind=kind,
        method_label=label,
        amount=data.amount.amount,
        currency=data.amount.currency,
        refunded_amount=0,
        receipt_number=f"RCP-{receipt:06d}",
        note=data.note,
        received_at=data.received_at or utcnow(),
        recorded_by_id=principal.worker_id,
    )
    session.add(payment)
    await session.flush()
    await session.execute(
        update(PaymentIdempotencyKey)
        .where(
            PaymentIdempotencyKey.tenant_id == principal.tenant_id,
            PaymentIdempotencyKey.key == data.idempotency_key,
        )
        .values(payment_id=payment.id)
    )
    await records.emit(
        session,
        principal,
        "payment.received",
        customer.id,
        paymentId=to_global_id("Payment", payment.id),
        invoiceId=to_global_id("Invoice", invoice.id) if invoice else None,
        amount=payment.amount,
        currency=payment.currency,
        receiptNumber=payment.receipt_number,
        methodKind=payment.method_kind,
    )
    if invoice is not None and invoice.status == "PAID":
        await records.emit(
            session,
            principal,
            "invoice.paid",
            customer.id,
            invoiceId=to_global_id("Invoice", invoice.id),
            number=invoice.number,
        )
    return payment.id, False


async def refund_payment(
    session: AsyncSession,
    principal: Principal,
    payment_id: int,
    amount: Amount | None,
    reason: str | None,
) -> int:
    """Partial or full (no amount: what is left). Never more than the payment less its
    earlier refunds. A refund on an invoice's payment lowers the invoice's paid amount; a PAID
    invoice stays PAID (the refund is a concession, not a new debt)."""
    access.require(principal, REFUND)
    payment = await _editable(session, principal, Payment, payment_id, "Payment")
    problems: list[Problem] = []
    reason = records.clean_text(reason, ("input", "reason"), 500, problems)
    if amount is not None:
        amount = _money(amount, ("input", "amount"), problems)
        if not problems and amount.currency != payment.currency:
            problems.append(
                Problem(
                    ("input", "amount", "currency"),
                    f"The payment is in {payment.currency}.",
                    "CURRENCY_MISMATCH",
                )
            )
    records.fail_if(problems)
    value = amount.amount if amount else payment.amount - payment.refunded_amount
    done = await session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.refunded_amount + value <= Payment.amount)
        .values(refunded_amount=Payment.refunded_amount + value)
        .execution_options(synchronize_session=False)
    )
    if value <= 0 or done.rowcount != 1:
        left = await session.scalar(
            select(Payment.amount - Payment.refunded_amount).where(Payment.id == payment.id)
        )
        raise InvalidInput.one(
            ("input", "amount", "amount") if amount else ("input", "paymentId"),
            f"At most {left} {payment.currency} (minor units) of payment "
            f"{payment.receipt_number} can still be refunded.",
            "REFUND_EXCEEDS_PAYMENT",
        )
    if payment.invoice_id is not None:
        await session.execute(
            update(Invoice)
            .where(Invoice.id == payment.invoice_id)
            .values(paid_amount=Invoice.paid_amount - value, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    refund = PaymentRefund(
        tenant_id=principal.tenant_id,
        customer_id=payment.customer_id,
        payment_id=payment.id,
        amount=value,
        currency=payment.currency,
        reason=reason,
        refunded_by_id=principal.worker_id,
    )
    session.add(refund)
    await session.flush()
    await records.emit(
        session,
        principal,
        "payment.refunded",
        payment.customer_id,
        paymentId=to_global_id("Payment", payment.id),
        refundId=to_global_id("PaymentRefund", refund.id),
        amount=value,
        currency=payment.currency,
    )
    return refund.id


# --- payment methods ----------------------------------------------------------------------


async def add_payment_method(
    session: AsyncSession,
    principal: Principal,
    customer_id: int,
    kind: str,
    label: str,
    last4: str | None,
    make_default: bool,
) -> int:
    """The customer's first method becomes the default whatever `make_default` says."""
    access.require(principal, MANAGE)
    customer = await get_customer(session, principal, customer_id)
    problems: list[Problem] = []
    label = records.clean_text(label, ("input", "label"), 100, problems, required=True)
    if kind not in METHOD_KINDS:
        problems.append(Problem(("input", "kind"), "Unknown kind.", "INVALID"))
    last4 = (last4 or "").strip() or None
    if last4 is not None and not LAST4_RE.match(last4):
        problems.append(Problem(("input", "last4"), "Exactly four digits.", "INVALID"))
    records.fail_if(problems)
    await _lock_customer(session, customer.id)
    existing = await session.scalar(
        select(func.count()).where(
            PaymentMethod.tenant_id == principal.tenant_id,
            PaymentMethod.customer_id == customer.id,
        )
    )
    if existing >= MAX_METHODS:
        raise InvalidInput.one(
            ("input", "customerId"), f"At most {MAX_METHODS} payment methods.", "TOO_MANY"
        )
    default = make_default or existing == 0
    if default:
        await _clear_default(session, customer.id)
    method = PaymentMethod(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        kind=kind,
        label=label,
        last4=last4,
        is_default=default,
    )
    session.add(method)
    await session.flush()
    return method.id


async def _clear_default(session: AsyncSession, customer_id: int) -> None:
    await session.execute(
        update(PaymentMethod)
        .where(PaymentMethod.customer_id == customer_id, PaymentMethod.is_default)
        .values(is_default=False)
        .execution_options(synchronize_session=False)
    )


async def _method(session: AsyncSession, principal: Principal, method_id: int) -> PaymentMethod:
    return await _editable(session, principal, PaymentMethod, method_id, "Payment method")


async def set_default_payment_method(
    session: AsyncSession, principal: Principal, method_id: int
) -> int:
    access.require(principal, MANAGE)
    method = await _method(session, principal, method_id)
    await _lock_customer(session, method.customer_id)
    await _clear_default(session, method.customer_id)
    await session.execute(
        update(PaymentMethod)
        .where(PaymentMethod.id == method.id)
        .values(is_default=True)
        .execution_options(synchronize_session=False)
    )
    return method.id


async def remove_payment_method(session: AsyncSession, principal: Principal, method_id: int) -> int:
    """Payments made with it keep its kind and label. Removing the default makes the oldest
    remaining method the default."""
    access.require(principal, MANAGE)
    method = await _method(session, principal, method_id)
    await _lock_customer(session, method.customer_id)
    was_default = await session.scalar(
        select(PaymentMethod.is_default).where(PaymentMethod.id == method.id)
    )
    await session.execute(delete(PaymentMethod).where(PaymentMethod.id == method.id))
    if was_default:
        oldest = (
            select(func.min(PaymentMethod.id))
            .where(PaymentMethod.customer_id == method.customer_id)
            .scalar_subquery()
        )
        await session.execute(
            update(PaymentMethod)
            .where(PaymentMethod.id == oldest)
            .values(is_default=True)
            .execution_options(synchronize_session=False)
        )
    return method.id


# --- a customer's life --------------------------------------------------------------------


async def move_customer_rows(
    session: AsyncSession, tenant_id: int, source_id: int, target_id: int
) -> None:
    """Everything of the source goes to the target; the target's default method stays the
    default."""
    target_default = await session.scalar(
        select(func.count()).where(
            PaymentMethod.tenant_id == tenant_id,
            PaymentMethod.customer_id == target_id,
            PaymentMethod.is_default,
        )
    )
    if target_default:
        await _clear_default(session, source_id)
    models = (PaymentMethod, Invoice, Payment, PaymentRefund, BalanceEntry)
    await records.move_to_customer(session, tenant_id, source_id, target_id, *models)
