"""Tables of the orders module. Money is integer minor units plus the order's currency; the
totals are stored on the order (computed by `totals.py` whenever lines change) so a history
page needs no sums. Rates are basis points (1900 = 19 %)."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, UTCDateTime, utcnow
from core.records import Transitions

KINDS = ("QUOTE", "PROPOSAL", "PURCHASE_ORDER")
PREFIXES = {"QUOTE": "Q", "PROPOSAL": "P", "PURCHASE_ORDER": "PO"}
STATUSES = ("DRAFT", "SENT", "ACCEPTED", "REJECTED", "ORDERED", "FULFILLED", "CANCELLED")
# The badge and "open": everything not yet at an end.
CLOSED_STATUSES = ("FULFILLED", "REJECTED", "CANCELLED")
OPEN_STATUSES = tuple(s for s in STATUSES if s not in CLOSED_STATUSES)

TRANSITIONS = Transitions(
    "An order",
    {
        "DRAFT": frozenset({"SENT", "CANCELLED"}),
        "SENT": frozenset({"ACCEPTED", "REJECTED", "CANCELLED"}),
        "ACCEPTED": frozenset({"ORDERED", "CANCELLED"}),
        "ORDERED": frozenset({"FULFILLED", "CANCELLED"}),
        "REJECTED": frozenset(),
        "FULFILLED": frozenset(),
        "CANCELLED": frozenset(),
    },
)


def reference(kind: str, number: int) -> str:
    """What people quote: "Q-0007", "PO-0120"; one gapless sequence per kind and tenant."""
    return f"{PREFIXES[kind]}-{number:04d}"


def _tenant() -> Mapped[int]:
    return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


class Product(Base):
    """A product or service of the tenant's catalog. `sku_key` is the SKU lower-cased: the
    unique index on it makes SKUs unique per tenant whatever their case."""

    __tablename__ = "order_products"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sku_key"),
        Index(None, "tenant_id", "name", "id"),
        Index(None, "tenant_id", "category"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    name: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str] = mapped_column(String(64))
    sku_key: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    price_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    tax_rate: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    category: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "number"),
        Index(None, "tenant_id", "customer_id", "created_at", "id"),
        Index(None, "tenant_id", "customer_id", "status"),
        Index(None, "created_by_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="DRAFT")
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    total_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    valid_until: Mapped[date | None] = mapped_column(Date)
    # The global id of the invoice payments made for it (told by `invoice.issued`).
    invoice_ref: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderLine(Base):
    """A line as priced when written: a product's name, price and rate are copied, so a later
    catalog change never rewrites an order the customer has seen."""

    __tablename__ = "order_lines"
    __table_args__ = (Index(None, "order_id", "position"), Index(None, "product_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = _tenant()
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("order_products.id", ondelete="SET NULL")
    )
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_amount: Mapped[int] = mapped_column(BigInteger)
    discount_rate: Mapped[int] = mapped_column(Integer, default=0)
    tax_rate: Mapped[int] = mapped_column(Integer, default=0)
    gross_amount: Mapped[int] = mapped_column(BigInteger)
    discount_amount: Mapped[int] = mapped_column(BigInteger)
    net_amount: Mapped[int] = mapped_column(BigInteger)


class OrderCounter(Base):
    """The last number handed out per tenant and kind (`records.next_number`)."""

    __tablename__ = "order_counters"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class OrderIdempotencyKey(Base):
    """A `createOrder` key, claimed first thing in the transaction (INSERT … ON CONFLICT DO
    NOTHING): a retry waits for the first request's commit, then replays its order."""

    __tablename__ = "order_idempotency_keys"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


TABLES = [
    Product.__table__,
    Order.__table__,
    OrderLine.__table__,
    OrderCounter.__table__,
    OrderIdempotencyKey.__table__,
]
