"""Demo rows: about a third of the demo customers get saved methods, invoices in every status
(some overdue, some part-paid), payments with receipts, a refund or two and some credit.
Deterministic for a seed; written in a few bulk statements."""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from plugins.payments.models import (
    Invoice,
    InvoiceLine,
    Payment,
    PaymentCounter,
    PaymentMethod,
    PaymentRefund,
)

ITEMS = (
    ("Consultation", 8_000),
    ("Follow-up visit", 4_500),
    ("Monthly subscription", 2_900),
    ("Setup fee", 15_000),
    ("Training session (hour)", 6_000),
    ("Materials", 1_250),
    ("Annual maintenance", 48_000),
)
METHODS = (("CARD", "Visa"), ("CARD", "Mastercard"), ("BANK_TRANSFER", "Business account"))
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


async def seed(session, tenant_id: int, customer_ids: list[int], seed: int) -> None:
    rng = random.Random(f"payments-{seed}")
    chosen = sorted(rng.sample(customer_ids, k=len(customer_ids) * 3 // 10))
    methods, invoices, lines, payments, refunds = [], [], [], [], []
    invoice_no = receipt_no = 0

    def pay(customer_id, amount, currency, when, invoice=None):
        nonlocal receipt_no
        receipt_no += 1
        kind, label = rng.choice((*METHODS, ("CASH", None)))
        payments.append(
            {
                "tenant_id": tenant_id,
                "customer_id": customer_id,
                "invoice": invoice,
                "method_kind": kind,
                "method_label": label,
                "amount": amount,
                "currency": currency,
                "refunded_amount": 0,
                "receipt_number": f"RCP-{receipt_no:06d}",
                "received_at": when,
                "created_at": when,
            }
        )
        return payments[-1]

    for customer_id in chosen:
        currency = "EUR" if rng.random() < 0.85 else "USD"
        for n in range(rng.randint(0, 2)):
            kind, label = rng.choice(METHODS)
            methods.append(
                {
                    "tenant_id": tenant_id,
                    "customer_id": customer_id,
                    "kind": kind,
                    "label": label,
                    "last4": f"{rng.randrange(10_000):04d}",
                    "is_default": n == 0,
                    "created_at": NOW - timedelta(days=rng.randint(30, 400)),
                }
            )
        for _ in range(rng.randint(1, 4)):
            invoice_no += 1
            created = NOW - timedelta(days=rng.randint(1, 300))
            picked = [(*rng.choice(ITEMS), rng.randint(1, 3)) for _ in range(rng.randint(1, 3))]
            total = sum(price * quantity for _, price, quantity in picked)
            status = rng.choices(("DRAFT", "OPEN", "PAID", "VOID"), (1, 3, 5, 1))[0]
            invoice = {
                "tenant_id": tenant_id,
                "customer_id": customer_id,
                "number": f"INV-{invoice_no:06d}",
                "status": status,
                "currency": currency,
                "total_amount": total,
                "paid_amount": 0,
                "due_date": (created + timedelta(days=30)).date(),
                "issued_at": None if status == "DRAFT" else created,
                "voided_at": created + timedelta(days=2) if status == "VOID" else None,
                "created_at": created,
                "updated_at": created,
            }
            invoices.append(invoice)
            lines.extend(
                {"invoice": invoice, "position": i, "description": d, "quantity": n, "price": p}
                for i, (d, p, n) in enumerate(picked)
            )
            if status == "PAID":
                when = created + timedelta(days=rng.randint(0, 25))
                invoice.update(paid_amount=total, paid_at=when)
                pay(customer_id, total, currency, when, invoice)
            elif status == "OPEN" and rng.random() < 0.3:
                part = total // 2
                invoice["paid_amount"] = part
                pay(customer_id, part, currency, created + timedelta(days=3), invoice)
        if rng.random() < 0.2:
            pay(customer_id, rng.randrange(1_000, 20_000, 500), currency, NOW - timedelta(days=5))
        if payments and payments[-1]["customer_id"] == customer_id and rng.random() < 0.15:
            payment = payments[-1]
            refund = payment["amount"] // 4 or payment["amount"]
            payment["refunded_amount"] = refund
            if payment["invoice"] is not None:
                payment["invoice"]["paid_amount"] -= refund
            refunds.append((payment, refund))

    if methods:
        await session.execute(insert(PaymentMethod), methods)
    await _insert_with_ids(session, Invoice, invoices)
    if lines:
        await session.execute(
            insert(InvoiceLine),
            [
                {
                    "tenant_id": tenant_id,
                    "invoice_id": line["invoice"]["id"],
                    "position": line["position"],
                    "description": line["description"],
                    "quantity": line["quantity"],
                    "unit_amount": line["price"],
                }
                for line in lines
            ],
        )
    for payment in payments:
        invoice = payment.pop("invoice")
        payment["invoice_id"] = invoice["id"] if invoice else None
    await _insert_with_ids(session, Payment, payments)
    if refunds:
        await session.execute(
            insert(PaymentRefund),
            [
                {
                    "tenant_id": tenant_id,
                    "customer_id": p["customer_id"],
                    "payment_id": p["id"],
                    "amount": amount,
                    "currency": p["currency"],
                    "reason": "Goodwill",
                    "created_at": p["received_at"] + timedelta(days=1),
                }
                for p, amount in refunds
            ],
        )
    counters = [("invoice", invoice_no), ("receipt", receipt_no)]
    await session.execute(
        insert(PaymentCounter),
        [{"tenant_id": tenant_id, "name": name, "last": last} for name, last in counters],
    )


async def _insert_with_ids(session, model, rows: list[dict]) -> None:
    """Insert in order and write each new id back into its dict (they are numbered by a
    unique per-tenant column, so the ids are read back by it)."""
    if not rows:
        return
    key = "number" if model is Invoice else "receipt_number"
    columns = {c.key for c in model.__table__.columns}
    await session.execute(
        insert(model), [{k: v for k, v in r.items() if k in columns} for r in rows]
    )
    tenant_id = rows[0]["tenant_id"]
    column = getattr(model, key)
    found = dict(
        (await session.execute(select(column, model.id).where(model.tenant_id == tenant_id))).all()
    )
    for row in rows:
        row["id"] = found[row[key]]
