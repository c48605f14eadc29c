"""Time entries and work sessions. A running timer is an entry without `ended_at`, an open
clock a session without one: a unique partial index allows one of each per worker, so two
requests starting at once cannot both win (the database decides, not a check before).

`work_date` is the business's calendar day the entry counts for (the day of `started_at`
in the tenant's time zone when it was written): totals group and filter on it in plain SQL
on both databases, and a later change of the tenant's time zone does not move logged time
between days (as timesheets behave)."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, UTCDateTime, utcnow

OPEN = text("ended_at IS NULL")


class TimeEntry(Base):
    __tablename__ = "time_entries"
    __table_args__ = (
        Index(None, "tenant_id", "customer_id", "started_at"),
        Index(None, "tenant_id", "work_date"),
        Index(None, "worker_id", "work_date"),
        Index(
            "ix_time_entries_running_worker",
            "tenant_id",
            "worker_id",
            unique=True,
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        ),
        Index(
            "ix_time_entries_running_customer",
            "tenant_id",
            "customer_id",
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    work_date: Mapped[date] = mapped_column(Date)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    billable: Mapped[bool] = mapped_column(Boolean, default=True)
    rate_minor: Mapped[int | None] = mapped_column(Integer)  # per hour
    currency: Mapped[str | None] = mapped_column(String(3))
    amount_minor: Mapped[int | None] = mapped_column(Integer)  # billable, rated, stopped
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkSession(Base):
    """A worker clocked in ("at work") from `started_at` until `ended_at`."""

    __tablename__ = "work_sessions"
    __table_args__ = (
        Index(None, "worker_id", "started_at"),
        Index(
            "ix_work_sessions_open_worker",
            "tenant_id",
            "worker_id",
            unique=True,
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
