"""Tables of the purchases module.

`purchase_facts` is the ledger: one row per thing counted (a payment, a refund, an order
that reached ORDERED, a won deal), unique per tenant by its `source` ("payment:<id>",
"order:<id>", …), so a replayed event inserts nothing and counts nothing twice. The other
per-customer tables are derived from a customer's facts by `service.refresh` whenever a
fact is added: what requests, filters and the report read, never recomputed per request.
Derived tables have no `id` column: a merge moves facts (which `undoMerge` can give back)
and rebuilds both customers' figures."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, UTCDateTime, utcnow

JSONType = JSON().with_variant(JSONB(), "postgresql")
MONTHS = 24  # monthly totals shown


def _tenant() -> Mapped[int]:
    return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


def _customer(primary: bool = False) -> Mapped[int]:
    return mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=primary)


class PurchaseSettings(Base):
    """Per tenant: the reporting currency (set from the first money seen unless chosen)."""

    __tablename__ = "purchase_settings"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    reporting_currency: Mapped[str | None] = mapped_column(String(3))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PurchaseCategory(Base):
    """A tenant's category. Rules (all given must hold) are in the reporting currency;
    the first category by `position` whose rules hold is a customer's, unless one was set
    by hand. A category without rules is only ever set by hand."""

    __tablename__ = "purchase_categories"
    __table_args__ = (UniqueConstraint("tenant_id", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    name: Mapped[str] = mapped_column(String(60))
    name_key: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer, default=0)
    min_total_spent: Mapped[int | None] = mapped_column(BigInteger)
    min_purchases: Mapped[int | None] = mapped_column(Integer)
    first_purchase_within_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PurchaseFact(Base):
    __tablename__ = "purchase_facts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source"),
        Index(None, "tenant_id", "customer_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    customer_id: Mapped[int] = _customer()
    source: Mapped[str] = mapped_column(String(160))
    # payment, refund, order, deal (counted); accepted, reached (an order on its way); lost
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str | None] = mapped_column(String(3))
    method: Mapped[str | None] = mapped_column(String(40))
    purchase: Mapped[bool] = mapped_column(Boolean, default=False)  # a purchase time
    products: Mapped[list | None] = mapped_column(JSONType)  # [[name, quantity], ...]
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PurchaseStats(Base):
    """One row per customer with facts: the figures filters and sorts read (index-backed:
    `core.filter_fields.Summary.of_column`), in the reporting currency."""

    __tablename__ = "purchase_stats"
    __table_args__ = (
        Index(None, "tenant_id", "total_spent", "customer_id"),
        Index(None, "tenant_id", "lifetime_value", "customer_id"),
        Index(None, "tenant_id", "last_purchase_at", "customer_id"),
        Index(None, "tenant_id", "first_purchase_at", "customer_id"),
        Index(None, "tenant_id", "category_key", "customer_id"),
    )

    customer_id: Mapped[int] = _customer(primary=True)
    tenant_id: Mapped[int] = _tenant()
    currency: Mapped[str | None] = mapped_column(String(3))
    total_spent: Mapped[int] = mapped_column(BigInteger, default=0)
    lifetime_value: Mapped[int] = mapped_column(BigInteger, default=0)
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    purchase_count: Mapped[int] = mapped_column(Integer, default=0)
    first_purchase_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_purchase_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_month: Mapped[str | None] = mapped_column(String(7))  # acquisition, "2026-11"
    repeat_days: Mapped[int | None] = mapped_column(Integer)  # first to second purchase
    interval_seconds: Mapped[int | None] = mapped_column(BigInteger)  # mean between purchases
    products: Mapped[list | None] = mapped_column(JSONType)  # top 3: [[name, quantity]]
    methods: Mapped[list | None] = mapped_column(JSONType)  # ["CARD", ...]
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_categories.id", ondelete="SET NULL")
    )
    category_key: Mapped[str | None] = mapped_column(String(60))  # its name lower-cased
    manual_category_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_categories.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PurchaseTotal(Base):
    """Money per customer and currency."""

    __tablename__ = "purchase_totals"

    customer_id: Mapped[int] = _customer(primary=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    spent: Mapped[int] = mapped_column(BigInteger, default=0)  # payments less refunds
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    order_total: Mapped[int] = mapped_column(BigInteger, default=0)
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    deals_won: Mapped[int] = mapped_column(BigInteger, default=0)
    lifetime_value: Mapped[int] = mapped_column(BigInteger, default=0)


class PurchaseMonth(Base):
    """Net payments per customer, month ("2026-11") and currency."""

    __tablename__ = "purchase_months"

    customer_id: Mapped[int] = _customer(primary=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    amount: Mapped[int] = mapped_column(BigInteger, default=0)


TABLES = [
    PurchaseSettings.__table__,
    PurchaseCategory.__table__,
    PurchaseFact.__table__,
    PurchaseStats.__table__,
    PurchaseTotal.__table__,
    PurchaseMonth.__table__,
]
