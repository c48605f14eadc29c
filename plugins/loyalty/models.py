"""The loyalty program of a tenant, its tiers and rewards, and per customer an append-only
ledger with an account row that keeps its totals.

Why an account row beside the ledger: the balance is read on every list page (the badge) and
checked by every redemption under concurrency; a conditional UPDATE of one row is both the
cheap read and the race-safe check. It changes only in the transaction that appends the
entry (`service.post`), so balance == sum(entries) always holds."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow

KINDS = ("EARN", "ADJUST", "REDEEM", "EXPIRE", "BIRTHDAY", "ANNIVERSARY", "REVERSAL")
# Spending and expiring lower the balance but not what the customer has earned in all (the
# tiers' measure); everything else, reversals and manual corrections included, counts there.
NOT_LIFETIME = frozenset({"REDEEM", "EXPIRE"})


class LoyaltyProgram(Base):
    """One row per tenant. Earning: `earn_points` for every `earn_per` whole units of the
    currency paid (minor units scaled by the currency's ISO-4217 exponent), rounded down
    per payment; `currency` null: payments in any currency earn at that rate."""

    __tablename__ = "loyalty_programs"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    earn_points: Mapped[int] = mapped_column(Integer, default=1)
    earn_per: Mapped[int] = mapped_column(Integer, default=1)
    currency: Mapped[str | None] = mapped_column(String(3))
    birthday_points: Mapped[int] = mapped_column(Integer, default=0)
    anniversary_points: Mapped[int] = mapped_column(Integer, default=0)
    expiry_months: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoyaltyTier(Base):
    __tablename__ = "loyalty_tiers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "threshold"),
        UniqueConstraint("tenant_id", "name"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    threshold: Mapped[int] = mapped_column(Integer)
    benefits: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoyaltyReward(Base):
    __tablename__ = "loyalty_rewards"
    __table_args__ = (Index(None, "tenant_id", "name", "id"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    points_cost: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int | None] = mapped_column(Integer)  # null: unlimited
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    redeemed_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoyaltyAccount(Base):
    """A customer's totals; no `id` column on purpose: an undone merge moves entries back by
    `customer_id` and the accounts are then recomputed from them (`service.recompute`)."""

    __tablename__ = "loyalty_accounts"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    balance: Mapped[int] = mapped_column(Integer, default=0)
    lifetime_points: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoyaltyEntry(Base):
    """Append-only. `source_key` is unique per tenant: `payment:<id>`, `refund:<id>`,
    `birthday:<customer>:<year>`, `anniversary:<customer>:<year>`,
    `expire:<customer>:<date>`, `adjust:<client key>`, `redeem:<client key>`."""

    __tablename__ = "loyalty_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source_key"),
        Index(None, "customer_id", "id"),
        Index(None, "tenant_id", "payment_ref"),
        Index(None, "reward_id"),
        Index(None, "actor_id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    balance_after: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(String(500))
    source_key: Mapped[str] = mapped_column(String(220))
    reward_id: Mapped[int | None] = mapped_column(
        ForeignKey("loyalty_rewards.id", ondelete="SET NULL")
    )
    payment_ref: Mapped[int | None] = mapped_column(Integer)  # payments' id, no foreign key
    amount: Mapped[int | None] = mapped_column(Integer)  # minor units paid or refunded
    currency: Mapped[str | None] = mapped_column(String(3))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


TABLES = [
    LoyaltyProgram.__table__,
    LoyaltyTier.__table__,
    LoyaltyReward.__table__,
    LoyaltyAccount.__table__,
    LoyaltyEntry.__table__,
]
