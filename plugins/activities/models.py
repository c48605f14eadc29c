"""One table: a customer's logged activities. Kinds and outcomes are stored by name.
`search_text` is the case-folded title and description, written with them, so a search is
one `LIKE` on both databases that treats non-ASCII letters alike (SQLite's own `LIKE`
folds ASCII only, PostgreSQL's none)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow

KINDS = ("CALL", "EMAIL", "MEETING", "NOTE", "TASK", "DEAL_UPDATE")
OUTCOMES = ("POSITIVE", "NEGATIVE", "NEUTRAL")


def search_text(title: str, description: str | None) -> str:
    return f"{title}\n{description or ''}".casefold()


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        # newest first is a backward walk of this one (occurred_at, id both descending)
        Index(None, "tenant_id", "customer_id", "occurred_at", "id"),
        Index(None, "tenant_id", "customer_id", "kind", "occurred_at"),
        Index(None, "worker_id"),
        Index(None, "created_by_id"),
        # one entry per event that asked for it (`service.log_from_event`), however often
        # the event is delivered
        Index(None, "tenant_id", "source_event_id", unique=True),
        NEVER_REUSE_IDS,  # events name activities by id, also once deleted
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(16))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source_event_id: Mapped[int | None] = mapped_column(Integer)  # what logged it, if an event
