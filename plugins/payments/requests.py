"""Invoice requests: another module's event asks for an invoice (the contract is in
`plugins/payments/__init__.py`). Runs in the event handler's own transaction, after the
requesting write committed.

Exactly one invoice per (tenant, source), however often or however concurrently the event
arrives: the customer's row is locked first (the lock order of every payments write), so
twins for one customer queue; the first makes the invoice, the others find it. The insert
itself is an insert-or-ignore on the unique `(tenant_id, source)` index, the last word if
anything slipped past the lock; then this transaction is rolled back, so its invoice
number goes back too and numbers stay gapless."""

import logging
from datetime import date

from sqlalchemy import select

from core import events, records
from core.events import Event
from core.models import Customer, utcnow
from plugins.payments.models import Invoice, InvoiceLine
from plugins.payments.service import MAX_LINES, MAX_QUANTITY, _lock_customer, next_number
from schema.ids import to_global_id
from schema.money import CURRENCY_RE, MAX_AMOUNT

log = logging.getLogger(__name__)
BASIS = 10_000


class Rejected(ValueError):
    """A request this module cannot honour; logged, never retried."""


class Replayed(RuntimeError):
    """The source's invoice appeared under our feet: roll back, the other one stands."""


def _int(value, low: int, high: int, what: str) -> int:
    if type(value) is not int or not low <= value <= high:
        raise Rejected(f"{what} must be an integer from {low} to {high}")
    return value


def lines_of(request: dict) -> tuple[str, list[tuple[str, int, int]]]:
    """(currency, [(description, quantity, unit amount)]) with the per-rate tax lines after
    the request's own lines; Rejected for anything malformed."""
    currency = request.get("currency")
    if not isinstance(currency, str) or not CURRENCY_RE.match(currency):
        raise Rejected("currency must be an ISO-4217 code")
    given = request.get("lines")
    if not isinstance(given, list) or not 1 <= len(given) <= MAX_LINES - 10:
        raise Rejected("lines must be a list of 1 to 90 lines")
    made, taxed = [], {}
    for line in given:
        if not isinstance(line, dict):
            raise Rejected("a line must be an object")
        text = line.get("description")
        if not isinstance(text, str) or not text.strip():
            raise Rejected("a line needs a description")
        quantity = _int(line.get("quantity"), 1, MAX_QUANTITY, "quantity")
        amount = _int(line.get("unitAmount"), 0, MAX_AMOUNT, "unitAmount")
        rate = _int(line.get("taxRate", 0) or 0, 0, BASIS, "taxRate")
        made.append((text.strip()[:500], quantity, amount))
        if rate:
            taxed[rate] = taxed.get(rate, 0) + quantity * amount
    for rate, net in sorted(taxed.items()):
        tax = (net * rate * 2 + BASIS) // (2 * BASIS)
        if tax:
            made.append((f"Tax {rate / 100:g} %", 1, tax))
    total = sum(q * a for _, q, a in made)
    if not 0 < total <= MAX_AMOUNT:
        raise Rejected("the total must be above zero and at most 10^12")
    return currency, made


async def handle(session, event: Event) -> None:
    request = (event.data or {}).get("invoice_request")
    if request is None or event.customer_id is None:
        return
    try:
        source, currency, lines, due = _checked(request)
    except Rejected as exc:
        log.warning("invoice request of event %s skipped: %s", event.id, exc)
        return
    tenant_id = event.tenant_id
    customer = await session.scalar(
        select(Customer.id).where(Customer.tenant_id == tenant_id, Customer.id == event.customer_id)
    )
    if customer is None:
        return
    await _lock_customer(session, customer)
    had = await session.scalar(
        select(Invoice.id).where(Invoice.tenant_id == tenant_id, Invoice.source == source)
    )
    if had is not None:
        return
    issue = request.get("issue") is True
    now = utcnow()
    number = f"INV-{await next_number(session, tenant_id, 'invoice'):06d}"
    note = request.get("note")
    invoice_id = await session.scalar(
        records.upsert(session, Invoice.__table__)
        .values(
            tenant_id=tenant_id,
            customer_id=customer,
            number=number,
            source=source,
            status="OPEN" if issue else "DRAFT",
            currency=currency,
            total_amount=sum(q * a for _, q, a in lines),
            paid_amount=0,
            due_date=due,
            note=note.strip()[:2000] if isinstance(note, str) and note.strip() else None,
            issued_at=now if issue else None,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "source"])
        .returning(Invoice.id)
    )
    if invoice_id is None:
        raise Replayed(source)
    for position, (text, quantity, amount) in enumerate(lines):
        session.add(
            InvoiceLine(
                tenant_id=tenant_id,
                invoice_id=invoice_id,
                position=position,
                description=text,
                quantity=quantity,
                unit_amount=amount,
            )
        )
    await session.flush()
    if issue:
        data = {
            "invoiceId": to_global_id("Invoice", invoice_id),
            "number": number,
            "amount": sum(q * a for _, q, a in lines),
            "currency": currency,
            "dueDate": due.isoformat() if due else None,
            "source": source,
        }
        await events.emit(
            session, Event("invoice.issued", tenant_id, customer, data, event.actor_id)
        )


def _checked(request) -> tuple[str, str, list, date | None]:
    if not isinstance(request, dict):
        raise Rejected("invoice_request must be an object")
    source = request.get("source")
    if not isinstance(source, str) or not source.strip() or len(source) > 200:
        raise Rejected("source must be text of 1 to 200 characters")
    currency, lines = lines_of(request)
    due = request.get("dueDate")
    try:
        due = date.fromisoformat(due) if due is not None else None
    except (TypeError, ValueError) as exc:
        raise Rejected("dueDate must be an ISO date") from exc
    return source, currency, lines, due
