"""Tickets and their comment threads. Priority is stored as its rank (LOW 0 … URGENT 3) so
the support queue sorts on it directly; statuses are stored by name."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, UTCDateTime, utcnow
from core.records import Transitions

STATUSES = ("OPEN", "PENDING", "RESOLVED", "CLOSED")
OPEN_STATUSES = ("OPEN", "PENDING")
PRIORITIES = ("LOW", "NORMAL", "HIGH", "URGENT")
FIRST_NUMBER = 1001

# from -> the statuses it may move to; CLOSED is final.
TRANSITIONS = Transitions(
    "A ticket",
    {
        "OPEN": frozenset({"PENDING", "RESOLVED"}),
        "PENDING": frozenset({"OPEN", "RESOLVED"}),
        "RESOLVED": frozenset({"OPEN", "CLOSED"}),
        "CLOSED": frozenset(),
    },
)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index(None, "tenant_id", "customer_id", "status"),
        Index(None, "tenant_id", "status", "priority", "due_at"),
        Index(None, "assignee_id"),
        Index(None, "opened_by_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="OPEN")
    priority: Mapped[int] = mapped_column(Integer, default=1)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TicketComment(Base):
    __tablename__ = "ticket_comments"
    __table_args__ = (Index(None, "ticket_id", "created_at"), Index(None, "author_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketCounter(Base):
    """The last ticket number a tenant handed out: bumped in place, so two tickets opened at
    once never share a number."""

    __tablename__ = "ticket_counters"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    last_number: Mapped[int] = mapped_column(Integer)
