"""Payouts and their idempotency keys. Money is integer minor units plus a currency;
statuses are stored by name. Who created, approved, sent and settled a payout is kept on the
row: the four-eyes rule compares the creator with the approver."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, UTCDateTime, utcnow
from core.records import Transitions

STATUSES = ("PENDING", "APPROVED", "SENT", "FAILED", "CANCELLED")
WAITING = ("PENDING", "APPROVED")  # the tab's badge: still to be decided or paid out
KINDS = ("REFUND", "COMMISSION", "REBATE", "OTHER")
METHODS = ("BANK_TRANSFER", "CASH", "CHECK", "CARD", "OTHER")

# from -> the statuses it may move to; FAILED and CANCELLED are final.
TRANSITIONS = Transitions(
    "A payout",
    {
        "PENDING": frozenset({"APPROVED", "CANCELLED"}),
        "APPROVED": frozenset({"SENT", "FAILED", "CANCELLED"}),
        "SENT": frozenset({"FAILED"}),
        "FAILED": frozenset(),
        "CANCELLED": frozenset(),
    },
)


def _worker() -> Mapped[int | None]:
    return mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))


class Payout(Base):
    __tablename__ = "payouts"
    __table_args__ = (
        Index(None, "tenant_id", "customer_id", "status"),
        Index(None, "tenant_id", "customer_id", "id"),
        Index(None, "tenant_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    reference: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(500))  # why it failed or was cancelled
    created_by_id: Mapped[int | None] = _worker()
    approved_by_id: Mapped[int | None] = _worker()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PayoutIdempotencyKey(Base):
    """A `createPayout` key, claimed first thing in the transaction (INSERT … ON CONFLICT DO
    NOTHING): a retry waits for the first request's commit, then answers its payout."""

    __tablename__ = "payout_idempotency_keys"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


TABLES = [Payout.__table__, PayoutIdempotencyKey.__table__]
