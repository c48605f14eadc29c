"""Tables of the payments module. Money is integer minor units plus a currency; running sums
(`paid_amount`, `refunded_amount`) are kept on the rows so a page of customers is summed in
one statement and a conditional UPDATE can refuse an overpayment or an over-refund without a
race."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, UTCDateTime, utcnow


def _tenant() -> Mapped[int]:
    return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


def _customer() -> Mapped[int]:
    return mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))


class PaymentCounter(Base):
    """The tenant's last invoice or receipt number: bumped with UPDATE … RETURNING inside the
    writing transaction, so numbers are sequential and never handed out twice."""

    __tablename__ = "payment_counters"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class PaymentMethod(Base):
    __tablename__ = "payment_methods"
    __table_args__ = (
        Index(None, "tenant_id", "customer_id", "id"),
        # At most one default per customer, whatever runs concurrently.
        Index(
            "uq_payment_methods_default",
            "customer_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    customer_id: Mapped[int] = _customer()
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(100))
    last4: Mapped[str | None] = mapped_column(String(4))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        Index(None, "tenant_id", "number", unique=True),
        Index(None, "tenant_id", "customer_id", "id"),
        Index(None, "tenant_id", "status", "due_date"),
        # One invoice per invoice request (`plugins/payments/__init__.py`).
        Index(None, "tenant_id", "source", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    customer_id: Mapped[int] = _customer()
    number: Mapped[str] = mapped_column(String(32))
    # What asked for it through an invoice request ("orders:42"); null: made by hand.
    source: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(3))
    total_amount: Mapped[int] = mapped_column(BigInteger)
    # Payments applied to it, net of their refunds.
    paid_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    due_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set once `invoice.overdue` went out for it, so it goes out once.
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (Index(None, "invoice_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_amount: Mapped[int] = mapped_column(BigInteger)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        Index(None, "tenant_id", "receipt_number", unique=True),
        Index(None, "tenant_id", "customer_id", "id"),
        Index(None, "invoice_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    customer_id: Mapped[int] = _customer()
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))
    method_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment_methods.id", ondelete="SET NULL")
    )
    # Kept as paid with, even after the method is removed.
    method_kind: Mapped[str] = mapped_column(String(16))
    method_label: Mapped[str | None] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    receipt_number: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("workers.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentRefund(Base):
    __tablename__ = "payment_refunds"
    __table_args__ = (
        Index(None, "payment_id", "id"),
        Index(None, "tenant_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    customer_id: Mapped[int] = _customer()
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(String(500))
    refunded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("workers.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentIdempotencyKey(Base):
    """A `recordPayment` key, claimed first thing in the transaction (INSERT … ON CONFLICT DO
    NOTHING): a twin request waits for it, then finds the claim and replays its payment."""

    __tablename__ = "payment_idempotency_keys"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BalanceEntry(Base):
    """An amount another module put on the customer's balance through a `balance_entry` in
    one of its events (`plugins/payments/balance.py`): one row per (tenant, source), so a
    replayed event adds nothing. Positive raises what the customer owes."""

    __tablename__ = "payment_balance_entries"
    __table_args__ = (
        Index(None, "tenant_id", "source", unique=True),
        Index(None, "tenant_id", "customer_id", "currency"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    customer_id: Mapped[int] = _customer()
    source: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    event_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


TABLES = [
    PaymentCounter.__table__,
    PaymentMethod.__table__,
    Invoice.__table__,
    InvoiceLine.__table__,
    Payment.__table__,
    PaymentRefund.__table__,
    PaymentIdempotencyKey.__table__,
    BalanceEntry.__table__,
]
