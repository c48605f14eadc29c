"""Tables of the subscriptions module. Money is integer minor units plus a currency; a
subscription keeps the plan's price as it was when the customer subscribed (a plan's price
never changes: a new price is a new plan), so a period is billed at what was agreed.

Periods: period k of a subscription runs from `shift(anchor, k)` to `shift(anchor, k + 1)`
(`periods.shift`), the anchor being the first paid day (the start date, after any trial).
`periods_billed` counts the periods billed since the anchor, so the next to bill is period
`periods_billed`, due on its first day (`next_billing_date`)."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, UTCDateTime, utcnow
from core.records import Transitions

TRIALING, ACTIVE, PAUSED, CANCELLED, ENDED = "TRIALING", "ACTIVE", "PAUSED", "CANCELLED", "ENDED"
STATUSES = (TRIALING, ACTIVE, PAUSED, CANCELLED, ENDED)
LIVE = (TRIALING, ACTIVE)  # billed by the run; the tab's badge
INTERVALS = ("WEEK", "MONTH", "YEAR")

# What a worker may do (the billing run also moves TRIALING -> ACTIVE and -> ENDED).
MOVES = Transitions(
    "A subscription",
    {
        TRIALING: frozenset({CANCELLED}),
        ACTIVE: frozenset({PAUSED, CANCELLED}),
        PAUSED: frozenset({ACTIVE, CANCELLED}),
        CANCELLED: frozenset(),
        ENDED: frozenset(),
    },
)


def _tenant() -> Mapped[int]:
    return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


def _customer() -> Mapped[int]:
    return mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))


class SubscriptionPlan(Base):
    __tablename__ = "subscription_plans"
    __table_args__ = (Index(None, "tenant_id", "active", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    name: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    interval: Mapped[str] = mapped_column(String(8))
    interval_count: Mapped[int] = mapped_column(Integer)
    trial_days: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        Index(None, "tenant_id", "customer_id", "id"),
        Index(None, "tenant_id", "status", "next_billing_date"),
        Index(None, "tenant_id", "idempotency_key", unique=True),
        Index(None, "plan_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    customer_id: Mapped[int] = _customer()
    plan_id: Mapped[int] = mapped_column(ForeignKey("subscription_plans.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    trial_end: Mapped[date | None] = mapped_column(Date)
    anchor_date: Mapped[date] = mapped_column(Date)
    periods_billed: Mapped[int] = mapped_column(Integer, default=0)
    current_period_start: Mapped[date] = mapped_column(Date)
    current_period_end: Mapped[date] = mapped_column(Date)
    # The day the billing run next acts: a period to bill, a trial's end, a cancellation.
    next_billing_date: Mapped[date | None] = mapped_column(Date)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SubscriptionPeriod(Base):
    """A billed period: written once, in the transaction that advanced its subscription and
    emitted `subscription.period_billed`; the unique (subscription, period start) is the last
    line of defence against billing a period twice."""

    __tablename__ = "subscription_periods"
    __table_args__ = (
        Index(None, "subscription_id", "period_start", unique=True),
        Index(None, "tenant_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    customer_id: Mapped[int] = _customer()
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(100))
    billed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


TABLES = [SubscriptionPlan.__table__, Subscription.__table__, SubscriptionPeriod.__table__]
