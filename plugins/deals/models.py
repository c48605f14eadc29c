"""The tenant's pipeline stages and the deals in them. Money is integer minor units plus a
currency. A deal keeps its status (the kind of its stage) on its own row, so the open deals
of a page of customers are one index range, and a `version` that every change bumps: a move
names the version it was decided on and is refused when someone moved the deal since."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow

KINDS = ("OPEN", "WON", "LOST")
# name, probability %, kind: what a tenant starts with
DEFAULT_STAGES = (
    ("Lead", 10, "OPEN"),
    ("Qualified", 25, "OPEN"),
    ("Proposal", 50, "OPEN"),
    ("Negotiation", 75, "OPEN"),
    ("Won", 100, "WON"),
    ("Lost", 0, "LOST"),
)


class DealStage(Base):
    __tablename__ = "deal_stages"
    __table_args__ = (Index(None, "tenant_id", "position"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    probability: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Deal(Base):
    __tablename__ = "deals"
    __table_args__ = (
        Index(None, "tenant_id", "customer_id", "status", "created_at"),
        Index(None, "tenant_id", "customer_id", "created_at", "id"),
        # dealPipeline's sums read this index alone (deals_0002)
        Index(
            "ix_deals_pipeline",
            "tenant_id",
            "stage_id",
            "currency",
            "owner_id",
            "customer_id",
            "amount",
        ),
        Index(None, "owner_id"),
        # a createDeal retried with its key finds the deal instead of making a second
        Index(None, "tenant_id", "idempotency_key", unique=True),
        NEVER_REUSE_IDS,  # events name deals by id, also once deleted
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # no cascade: a stage with deals is not deleted (checked at the end of the statement, so
    # a tenant's deletion, which removes both, passes)
    stage_id: Mapped[int] = mapped_column(ForeignKey("deal_stages.id"))
    name: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(8))
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    lost_reason: Mapped[str | None] = mapped_column(Text)
    won_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lost_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


TABLES = [DealStage.__table__, Deal.__table__]
