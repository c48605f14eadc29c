"""The `purchases` field on Customer, the categories, the report and the mutations."""

import strawberry
from sqlalchemy import select
from strawberry import UNSET

from core import access
from core.errors import InvalidInput
from plugins.purchases import categories, report_cache
from plugins.purchases import queries as q
from plugins.purchases.models import PurchaseCategory as CategoryRow
from plugins.purchases.types import (
    AcquisitionMonth,
    ChurnRisk,
    CustomerPurchases,
    CustomerRevenue,
    PlaceFigures,
    PurchaseCategory,
    PurchaseReport,
    Retention,
)
from schema import kit
from schema.compiled.customers import ModuleField
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.money import Money
from schema.overview import selected
from schema.payloads import UserError, mutate, payload

VIEW = "purchases.view"


async def customer_purchases(root: Customer, info: Info) -> CustomerPurchases:
    """One statement for every customer of the page (the loader batches the page)."""
    access.require(info.context.principal, VIEW)
    figures = await info.context.loaders.custom("purchases.figures", q.figures).load(root.pk)
    return CustomerPurchases(figures=figures)


def compiled_purchases(principal, names: tuple[str, ...]) -> ModuleField | None:
    """The integer and text figures in the compiled path (`schema/compiled`)."""
    if not access.can(principal, VIEW) or not set(names) <= q.COMPILED_FIELDS.keys():
        return None
    return ModuleField(q.compiled_query, q.COMPILED_FIELDS)


async def purchase_categories(info: Info) -> list[PurchaseCategory]:
    principal = info.context.principal
    access.require(principal, VIEW)
    async with info.context.read() as conn:
        rows = await conn.execute(
            select(CategoryRow.__table__)
            .where(CategoryRow.tenant_id == principal.tenant_id)
            .order_by(CategoryRow.position, CategoryRow.id)
        )
        return [PurchaseCategory.from_row(dict(row._mapping)) for row in rows]


def _bounded(value: int, low: int, high: int, name: str) -> int:
    if not low <= value <= high:
        raise InvalidInput.one((name,), f"Between {low} and {high}.", "INVALID")
    return value


# The report's fields and the part of `queries.report` each needs: only those are read.
REPORT_PARTS = {
    "topCustomers": "top",
    "acquisition": "acquisition",
    "retention": "retention",
    "churnRiskCount": "risk_count",
    "churnRisk": "risk",
    "byPlace": "places",
    "byCountry": "places",
}


async def purchase_report(
    info: Info,
    top: int = 10,
    retention_days: int = 90,
    churn_factor: int = 3,
) -> PurchaseReport:
    principal = info.context.principal
    access.require(principal, VIEW)
    top = _bounded(top, 1, 100, "top")
    retention_days = _bounded(retention_days, 1, 3650, "retentionDays")
    churn_factor = _bounded(churn_factor, 1, 100, "churnFactor")
    parts = frozenset({REPORT_PARTS.get(field.name) for field in selected(info)} & q.PARTS)
    # `db`: a process (tests) may serve two databases whose tenants share ids
    where = id(info.context.db)
    key = (principal.tenant_id, where, principal.everything(), top, retention_days, churn_factor)
    key += (parts,)
    kept = report_cache.get(key)
    if kept is None:
        async with info.context.read() as conn:
            found = await q.report(conn, principal, top, retention_days, churn_factor, parts)
        made = report_cache.put(key, found)
    else:
        made, found = kept
    currency = found["currency"]
    buyers, returned = found.get("retention", (0, 0))
    return PurchaseReport(
        generated_at=made,
        reporting_currency=currency,
        top_customers=[
            CustomerRevenue(customer_id=pk, total_spent=Money(amount=spent, currency=currency))
            for pk, spent in found.get("top", ())
        ],
        acquisition=[
            AcquisitionMonth(month=m, customers=n) for m, n in found.get("acquisition", ())
        ],
        retention=Retention(
            days=retention_days,
            customers=buyers,
            returned=returned,
            rate=round(returned / buyers, 4) if buyers else None,
        ),
        churn_risk_count=found.get("risk_count", 0),
        churn_risk=[
            ChurnRisk(
                customer_id=pk, last_purchase_at=last, usual_interval_days=round(gap / 86400, 2)
            )
            for pk, last, gap in found.get("risk", ())
        ],
        by_place=[
            PlaceFigures(country=country, city=city, customers=n, total_spent=spent)
            for country, city, n, spent in found.get("places", ())
        ],
        by_country=[
            PlaceFigures(country=country, city=None, customers=n, total_spent=spent)
            for country, n, spent in found.get("countries", ())
        ],
    )


# --- mutations -------------------------------------------------------------------------------

PurchaseCategoryPayload = payload(PurchaseCategory, "category")


@strawberry.type(description="The customer's figures with the category as set, or why not.")
class SetCustomerCategoryPayload:
    customer: Customer | None
    user_errors: list[UserError]


@strawberry.input(description="Set a customer's category by hand; null clears it (rules apply).")
class SetCustomerCategoryInput:
    customer_id: strawberry.ID
    category_id: strawberry.ID | None = None


@strawberry.input(description="A new category (no id) or changes to one; rules null: none.")
class SavePurchaseCategoryInput:
    id: strawberry.ID | None = None
    name: str | None = UNSET
    position: int | None = UNSET
    min_total_spent: int | None = UNSET
    min_purchases: int | None = UNSET
    first_purchase_within_days: int | None = UNSET


@strawberry.input
class DeletePurchaseCategoryInput:
    id: strawberry.ID


@strawberry.type
class DeletePurchaseCategoryPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.input(description="The currency list filters, sorts and categories use.")
class SetPurchaseReportingCurrencyInput:
    reporting_currency: str


@strawberry.type
class SetPurchaseReportingCurrencyPayload:
    reporting_currency: str | None
    user_errors: list[UserError]


def _category_id(value) -> int | None:
    return None if value is None else from_global_id(value, "PurchaseCategory")


async def set_customer_category(
    info: Info, input: SetCustomerCategoryInput
) -> SetCustomerCategoryPayload:
    customer_id = from_global_id(input.customer_id, "Customer")
    category_id = _category_id(input.category_id)

    def work(session, principal):
        return categories.set_category(session, principal, customer_id, category_id)

    result, errors = await mutate(info, work, "customerId")
    customer = await kit.customer(info, result) if result else None
    return SetCustomerCategoryPayload(customer=customer, user_errors=errors)


async def save_purchase_category(
    info: Info, input: SavePurchaseCategoryInput
) -> PurchaseCategoryPayload:
    category_id = _category_id(input.id)
    data = {
        key: getattr(input, key)
        for key in (
            "name",
            "position",
            "min_total_spent",
            "min_purchases",
            "first_purchase_within_days",
        )
        if getattr(input, key) is not UNSET
    }

    def work(session, principal):
        return categories.save_category(session, principal, category_id, data)

    return await kit.save(info, PurchaseCategoryPayload, "category", PurchaseCategory, work)


async def delete_purchase_category(
    info: Info, input: DeletePurchaseCategoryInput
) -> DeletePurchaseCategoryPayload:
    category_id = _category_id(input.id)
    result, errors = await mutate(info, lambda s, p: categories.delete_category(s, p, category_id))
    return DeletePurchaseCategoryPayload(
        deleted_id=input.id if result else None, user_errors=errors
    )


async def set_purchase_reporting_currency(
    info: Info, input: SetPurchaseReportingCurrencyInput
) -> SetPurchaseReportingCurrencyPayload:
    currency = input.reporting_currency
    result, errors = await mutate(
        info, lambda s, p: categories.set_reporting_currency(s, p, currency), "reportingCurrency"
    )
    return SetPurchaseReportingCurrencyPayload(reporting_currency=result, user_errors=errors)


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_purchases,
        name="purchases",
        description="Purchases module: the customer's purchase figures and category.",
    )
]
QUERY_FIELDS = [
    strawberry.field(
        resolver=purchase_categories,
        name="purchaseCategories",
        description="The business's customer categories, by position.",
    ),
    strawberry.field(
        resolver=purchase_report,
        name="purchaseReport",
        description="Top customers by revenue, acquisition per month, retention, churn risk "
        "and customers by place, over the customers you see.",
    ),
]
MUTATION_FIELDS = [
    strawberry.mutation(
        resolver=set_customer_category,
        description="Set a customer's category by hand (null: back to the rules).",
    ),
    strawberry.mutation(
        resolver=save_purchase_category,
        description="Create or change a customer category and its rules.",
    ),
    strawberry.mutation(
        resolver=delete_purchase_category,
        description="Delete a category; its customers fall back to the rules.",
    ),
    strawberry.mutation(
        resolver=set_purchase_reporting_currency,
        description="Choose the reporting currency (default: the first currency seen).",
    ),
]
