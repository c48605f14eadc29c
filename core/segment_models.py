"""The tables of segments (`core/segments.py`): a segment of the tenant's customers, and the
members of a static one. A dynamic segment keeps no members: its filter is evaluated when
read."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import NEVER_REUSE_IDS, Base, JSONType, UTCDateTime, utcnow

STATIC, DYNAMIC = "STATIC", "DYNAMIC"
KINDS = (STATIC, DYNAMIC)


class Segment(Base):
    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("tenant_id", "name"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10))
    filter: Mapped[dict | None] = mapped_column(JSONType)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SegmentMember(Base):
    """A customer in a static segment. `(tenant_id, customer_id)` serves the profile and the
    filter's `EXISTS` probe per customer."""

    __tablename__ = "segment_members"
    __table_args__ = (Index(None, "tenant_id", "customer_id", "segment_id"),)

    segment_id: Mapped[int] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
