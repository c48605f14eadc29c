"""Tables of the insurance module. Money is minor units plus a currency; periods are dates.

A policy stores ACTIVE or CANCELLED only: EXPIRED is derived from `end_date` against today's
UTC date when read, so no job has to flip it at midnight. Customer ids are unique across tenants, so
the per-customer indexes lead with `customer_id`: they serve the loaders (which also filter
on the tenant) and the cascades from `customers` alike."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, UTCDateTime, utcnow


class InsuranceProvider(Base):
    __tablename__ = "insurance_providers"
    __table_args__ = (Index(None, "tenant_id", "name", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InsurancePolicy(Base):
    __tablename__ = "insurance_policies"
    __table_args__ = (
        UniqueConstraint("tenant_id", "provider_id", "number"),
        CheckConstraint("end_date >= start_date", name="period"),
        Index(None, "customer_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("insurance_providers.id"))
    number: Mapped[str] = mapped_column(String(64))
    coverage_description: Mapped[str] = mapped_column(String(2000))
    coverage_amount: Mapped[int] = mapped_column(BigInteger)
    coverage_currency: Mapped[str] = mapped_column(String(3))
    premium_amount: Mapped[int] = mapped_column(BigInteger)
    premium_currency: Mapped[str] = mapped_column(String(3))
    premium_period: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InsuranceClaim(Base):
    __tablename__ = "insurance_claims"
    __table_args__ = (
        Index(None, "customer_id", "submitted_at", "id"),
        Index(None, "tenant_id", "status", "submitted_at", "id"),
        Index(None, "policy_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    policy_id: Mapped[int] = mapped_column(ForeignKey("insurance_policies.id", ondelete="CASCADE"))
    incident_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(2000))
    # Both amounts are in `currency`, the policy's coverage currency.
    currency: Mapped[str] = mapped_column(String(3))
    claimed_amount: Mapped[int] = mapped_column(BigInteger)
    approved_amount: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="SUBMITTED")
    note: Mapped[str | None] = mapped_column(String(2000))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
