"""Products, orders and their lines as GraphQL types. What hangs off an order (its lines,
customer, creator, the products of its lines) loads through per-request loaders, so a page
of orders costs the same statements whatever its length."""

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry import Private

from plugins.orders import queries as q
from plugins.orders.models import CLOSED_STATUSES, reference
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.money import Money
from schema.relay import Node
from schema.team.types import Worker


@strawberry.enum(description="What an order is to the customer; each kind is numbered apart.")
class OrderKind(Enum):
    QUOTE = "QUOTE"
    PROPOSAL = "PROPOSAL"
    PURCHASE_ORDER = "PURCHASE_ORDER"


@strawberry.enum(
    description="DRAFT → SENT → ACCEPTED or REJECTED; ACCEPTED → ORDERED → FULFILLED; "
    "CANCELLED from DRAFT, SENT, ACCEPTED or ORDERED. REJECTED, FULFILLED and CANCELLED are "
    "final; the others count as open (the tab's badge)."
)
class OrderStatus(Enum):
    DRAFT = "DRAFT"
    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    ORDERED = "ORDERED"
    FULFILLED = "FULFILLED"
    CANCELLED = "CANCELLED"


LINES = "orders.lines"  # the lines loader's key, which the history's look-ahead primes


def loader(info: Info, key: str, batch):
    return kit.loader(info, f"orders.{key}", batch)


@strawberry.type(description="A product or service of the business's catalog.")
class Product(Node):
    name: str
    sku: str = strawberry.field(description="Unique in the business, whatever its case.")
    description: str | None
    tax_rate: int = strawberry.field(description="Default tax rate in basis points (1900 = 19%).")
    active: bool = strawberry.field(description="Only active products go on new lines.")
    category: str | None
    created_at: datetime
    updated_at: datetime
    price_amount: Private[int]
    currency: Private[str]

    @classmethod
    def from_row(cls, row) -> "Product":
        return kit.from_row(cls, row)

    @strawberry.field(description="List price per unit.")
    def price(self) -> Money:
        return Money(amount=self.price_amount, currency=self.currency)


@strawberry.type(description="A line of an order, priced when it was written.")
class OrderLine:
    position: int
    description: str
    quantity: int
    discount_rate: int = strawberry.field(description="Basis points off the line's gross.")
    tax_rate: int = strawberry.field(description="Basis points (1900 = 19%).")
    currency: Private[str]
    product_id: Private[int | None]
    unit_amount: Private[int]
    gross_amount: Private[int]
    discount_amount: Private[int]
    net_amount: Private[int]

    @classmethod
    def from_row(cls, row, currency: str) -> "OrderLine":
        return kit.from_row(cls, row, currency=currency)

    def _money(self, amount: int) -> Money:
        return Money(amount=amount, currency=self.currency)

    @strawberry.field
    def unit_price(self) -> Money:
        return self._money(self.unit_amount)

    @strawberry.field(description="Quantity x unit price.")
    def gross(self) -> Money:
        return self._money(self.gross_amount)

    @strawberry.field(description="Gross x discount rate, rounded half up.")
    def discount(self) -> Money:
        return self._money(self.discount_amount)

    @strawberry.field(description="Gross - discount; tax is added per rate on the order.")
    def net(self) -> Money:
        return self._money(self.net_amount)

    @strawberry.field(description="The catalog product; null for a free-text line.")
    async def product(self, info: Info) -> Product | None:
        if self.product_id is None:
            return None
        row = await loader(info, "product", q.products_by_ids).load(self.product_id)
        return Product.from_row(row) if row else None


@strawberry.type(
    description="A quote, proposal or purchase order of a customer. Totals are computed by "
    "the server: per line, discount = gross x rate rounded half up; tax per tax rate on the "
    "sum of the nets at that rate, rounded half up; total = subtotal - discount + tax."
)
class Order(Node):
    kind: OrderKind
    number: int = strawberry.field(description="Per business and kind, from 1, gapless.")
    status: OrderStatus
    currency: str
    notes: str | None
    valid_until: date | None
    created_at: datetime
    updated_at: datetime
    status_changed_at: datetime
    customer_id: Private[int]
    created_by_id: Private[int | None]
    subtotal_amount: Private[int]
    discount_amount: Private[int]
    tax_amount: Private[int]
    total_amount: Private[int]
    invoice_ref: Private[str | None]

    @classmethod
    def from_row(cls, row) -> "Order":
        return kit.from_row(cls, row)

    def _money(self, amount: int) -> Money:
        return Money(amount=amount, currency=self.currency)

    @strawberry.field(description='What people quote: "Q-0001", "P-0001", "PO-0001".')
    def reference(self) -> str:
        return reference(self.kind.value, self.number)

    @strawberry.field(description="Not yet fulfilled, rejected or cancelled.")
    def open(self) -> bool:
        return self.status.value not in CLOSED_STATUSES

    @strawberry.field(description="Σ line gross.")
    def subtotal(self) -> Money:
        return self._money(self.subtotal_amount)

    @strawberry.field(description="Σ line discounts.")
    def discount(self) -> Money:
        return self._money(self.discount_amount)

    @strawberry.field(description="Σ per-rate taxes.")
    def tax(self) -> Money:
        return self._money(self.tax_amount)

    @strawberry.field(description="Subtotal - discount + tax.")
    def total(self) -> Money:
        return self._money(self.total_amount)

    @strawberry.field(
        description="The global id of the invoice made for it when it was accepted (payments "
        "module on); null before, or without payments."
    )
    def invoice_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.invoice_ref) if self.invoice_ref else None

    @strawberry.field(description="The lines in order (at most 100).")
    async def lines(self, info: Info) -> list[OrderLine]:
        rows = await kit.loader(info, LINES, q.lines).load(self.pk)
        return [OrderLine.from_row(r, self.currency) for r in rows]

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)

    @strawberry.field(description="Who wrote it; null once that worker is removed.")
    async def created_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.created_by_id)


load_order = kit.node_loader(q.ORD, Order)
load_product = kit.tenant_node_loader(q.P, Product)
