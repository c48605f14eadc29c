"""Missions and their assignees. Priority is stored as its rank (LOW 0 … URGENT 3), status
by name. `due_at` is the instant a mission becomes overdue, computed when it is written from
its due day (and time) in the tenant's time zone, so lists order and count on one indexed
column; a due day without a time is due at the end of that day."""

from datetime import date, datetime, time

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, UTCDateTime, utcnow
from core.records import Transitions

STATUSES = ("OPEN", "IN_PROGRESS", "DONE", "CANCELLED")
OPEN_STATUSES = ("OPEN", "IN_PROGRESS")
PRIORITIES = ("LOW", "NORMAL", "HIGH", "URGENT")

TRANSITIONS = Transitions(
    "A mission",
    {
        "OPEN": frozenset({"IN_PROGRESS", "DONE", "CANCELLED"}),
        "IN_PROGRESS": frozenset({"OPEN", "DONE", "CANCELLED"}),
        "DONE": frozenset({"OPEN"}),
        "CANCELLED": frozenset({"OPEN"}),
    },
)


class Mission(Base):
    __tablename__ = "missions"
    __table_args__ = (
        Index(None, "tenant_id", "customer_id", "status", "due_at"),
        Index(None, "tenant_id", "status", "due_at"),
        Index(None, "created_by_id"),
        Index(None, "completed_by_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="OPEN")
    due_on: Mapped[date | None] = mapped_column(Date)
    due_time: Mapped[time | None] = mapped_column(Time)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    completed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("workers.id", ondelete="SET NULL")
    )
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MissionAssignee(Base):
    """One worker on a mission; the key makes a worker's second assignment impossible."""

    __tablename__ = "mission_assignees"
    __table_args__ = (Index(None, "tenant_id", "worker_id", "mission_id"),)

    mission_id: Mapped[int] = mapped_column(
        ForeignKey("missions.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


class MissionRequest(Base):
    """A `mission_request` key (docs/plugins.md) and the mission it made: one per key."""

    __tablename__ = "mission_requests"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("missions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
