"""GraphQL types of the purchases module. `CustomerPurchases` is built from one loaded
record (`queries.Figures`): every sub-field reads what the page's one statement brought."""

from datetime import datetime

import strawberry
from strawberry import Private

from plugins.purchases.queries import Figures
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.money import Money
from schema.relay import Node


@strawberry.type(
    description="A customer category of the business. Rules (all given must hold; amounts "
    "in the reporting currency) pick the first category by position for each customer; a "
    "category without rules is only set by hand, and a hand-set category wins until cleared."
)
class PurchaseCategory(Node):
    name: str
    position: int
    min_total_spent: int | None = strawberry.field(
        description="Total spent at least this (minor units of the reporting currency)."
    )
    min_purchases: int | None = strawberry.field(description="At least this many purchases.")
    first_purchase_within_days: int | None = strawberry.field(
        description="The first purchase at most this many days ago."
    )

    @classmethod
    def from_row(cls, row) -> "PurchaseCategory":
        return kit.from_row(cls, row)


@strawberry.type(description="A product and how many of it the customer ordered.")
class FavouriteProduct:
    name: str
    quantity: int


@strawberry.type(description="A customer's money in one currency (no conversion).")
class PurchaseTotals:
    currency: str
    spent: int = strawberry.field(description="Payments less refunds, minor units.")
    refunded: int
    order_total: int = strawberry.field(description="Orders that reached ORDERED/FULFILLED.")
    order_count: int
    average_order_value: int | None
    deals_won: int
    lifetime_value: int = strawberry.field(
        description="Paid or ordered, whichever is more, plus won deals."
    )


@strawberry.type(description='Net payments of one month ("2026-11") in one currency.')
class MonthlyTotal:
    month: str
    amount: Money


def _money(amount: int | None, currency: str | None) -> Money | None:
    if amount is None or currency is None:
        return None
    return Money(amount=amount, currency=currency)


@strawberry.type(
    description="A customer's purchase figures, kept current from payments, orders and deals "
    "events. Figures named in the reporting currency count only money in that currency."
)
class CustomerPurchases:
    figures: Private[Figures]

    @property
    def _stats(self) -> dict:
        return self.figures.stats or {}

    @strawberry.field(description="The currency of the reporting figures; null: none yet.")
    def reporting_currency(self) -> str | None:
        return self._stats.get("currency")

    @strawberry.field(description="Payments less refunds in the reporting currency.")
    def total_spent(self) -> Money | None:
        return _money(self._stats.get("total_spent"), self._stats.get("currency"))

    @strawberry.field(description="`totalSpent.amount`, 0 without purchases.")
    def total_spent_amount(self) -> int:
        return self._stats.get("total_spent") or 0

    @strawberry.field(
        description="Paid or ordered (whichever is more) plus won deals, reporting currency."
    )
    def lifetime_value(self) -> Money | None:
        return _money(self._stats.get("lifetime_value"), self._stats.get("currency"))

    @strawberry.field(description="`lifetimeValue.amount`, 0 without purchases.")
    def lifetime_value_amount(self) -> int:
        return self._stats.get("lifetime_value") or 0

    @strawberry.field(description="Orders that reached ORDERED or FULFILLED, counted once.")
    def order_count(self) -> int:
        return self._stats.get("order_count") or 0

    @strawberry.field(
        description="Purchases: counted orders, won deals and payments not on an invoice."
    )
    def purchase_count(self) -> int:
        return self._stats.get("purchase_count") or 0

    @strawberry.field(description="Order total / orders in the reporting currency.")
    def average_order_value(self) -> Money | None:
        currency = self._stats.get("currency")
        for row in self.figures.totals:
            if row["currency"] == currency and row["order_count"]:
                return Money(amount=row["order_total"] // row["order_count"], currency=currency)
        return None

    @strawberry.field
    def first_purchase_at(self) -> datetime | None:
        return self._stats.get("first_purchase_at")

    @strawberry.field
    def last_purchase_at(self) -> datetime | None:
        return self._stats.get("last_purchase_at")

    @strawberry.field(description="Mean days between purchases; null with fewer than two.")
    def purchase_frequency_days(self) -> float | None:
        seconds = self._stats.get("interval_seconds")
        return None if seconds is None else round(seconds / 86400, 2)

    @strawberry.field(description="The top 3 products by quantity ordered.")
    def favourite_products(self) -> list[FavouriteProduct]:
        items = self._stats.get("products") or []
        return [FavouriteProduct(name=name, quantity=quantity) for name, quantity in items]

    @strawberry.field(description="Payment methods used, in the order first used.")
    def payment_methods(self) -> list[str]:
        return list(self._stats.get("methods") or [])

    @strawberry.field(description="Money per currency.")
    def totals(self) -> list[PurchaseTotals]:
        return [
            PurchaseTotals(
                currency=row["currency"],
                spent=row["spent"],
                refunded=row["refunded"],
                order_total=row["order_total"],
                order_count=row["order_count"],
                average_order_value=row["order_total"] // row["order_count"]
                if row["order_count"]
                else None,
                deals_won=row["deals_won"],
                lifetime_value=row["lifetime_value"],
            )
            for row in self.figures.totals
        ]

    @strawberry.field(description="Net payments per month of the last 24, oldest first.")
    def monthly(self) -> list[MonthlyTotal]:
        return [
            MonthlyTotal(
                month=row["month"], amount=Money(amount=row["amount"], currency=row["currency"])
            )
            for row in self.figures.months
        ]

    @strawberry.field(description="The customer's category, by hand or by rule.")
    def category(self) -> PurchaseCategory | None:
        row = self.figures.category
        return PurchaseCategory.from_row(row) if row else None

    @strawberry.field(description="`category.name`.")
    def category_name(self) -> str | None:
        row = self.figures.category
        return row["name"] if row else None

    @strawberry.field(description="True: set by hand, the rules do not apply until cleared.")
    def category_set_by_hand(self) -> bool:
        return self._stats.get("manual_category_id") is not None


@strawberry.type(description="A customer and their total spent (reporting currency).")
class CustomerRevenue:
    customer_id: Private[int]
    total_spent: Money

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)


@strawberry.type(description="Customers whose first purchase fell in a month.")
class AcquisitionMonth:
    month: str
    customers: int


@strawberry.type(description="Customers who bought again within the window.")
class Retention:
    days: int
    customers: int = strawberry.field(
        description="Customers whose first purchase is at least `days` old."
    )
    returned: int = strawberry.field(description="Of those, who bought again within `days`.")
    rate: float | None


@strawberry.type(description="A customer silent for longer than their usual interval allows.")
class ChurnRisk:
    customer_id: Private[int]
    last_purchase_at: datetime
    usual_interval_days: float

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)


@strawberry.type(description="Customers with purchases in one place (billing country, city).")
class PlaceFigures:
    country: str | None
    city: str | None
    customers: int
    total_spent: int = strawberry.field(description="Minor units, reporting currency.")


@strawberry.type(description="The business's purchase figures over the customers you see.")
class PurchaseReport:
    generated_at: datetime = strawberry.field(
        description="When these figures were read: a report is kept a minute for the same "
        "viewer and arguments (a purchase recorded in another server process may show up to a "
        "minute later)."
    )
    reporting_currency: str | None
    top_customers: list[CustomerRevenue]
    acquisition: list[AcquisitionMonth] = strawberry.field(
        description="First purchases per month, the last 24 months."
    )
    retention: Retention
    churn_risk_count: int = strawberry.field(
        description="Customers with no purchase for longer than `churnFactor` times their "
        "mean interval between purchases (two purchases at least)."
    )
    churn_risk: list[ChurnRisk] = strawberry.field(description="The longest silent first.")
    by_place: list[PlaceFigures] = strawberry.field(
        description="Billing country and city, most customers first (at most 200)."
    )
    by_country: list[PlaceFigures] = strawberry.field(
        description="Billing country, most customers first (at most 200), counted over every city."
    )
