"""Writes of the business's categories and settings: a category set by hand, categories
and their rules, the reporting currency."""

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, NotFound, Problem
from core.models import utcnow
from plugins.purchases import report_cache
from plugins.purchases.models import (
    PurchaseCategory,
    PurchaseSettings,
    PurchaseStats,
    PurchaseTotal,
)
from plugins.purchases.rules import evaluate
from plugins.purchases.service import CURRENCY, MANAGE, MAX_AMOUNT, ensure_settings, refresh


async def _category(session: AsyncSession, tenant_id: int, category_id: int) -> PurchaseCategory:
    found = await session.scalar(
        select(PurchaseCategory).where(
            PurchaseCategory.tenant_id == tenant_id, PurchaseCategory.id == category_id
        )
    )
    if found is None:
        raise NotFound("PurchaseCategory")
    return found


async def set_category(
    session: AsyncSession, principal: Principal, customer_id: int, category_id: int | None
) -> int:
    """By hand: the category wins over the rules until cleared (None)."""
    access.require(principal, MANAGE)
    customer = await get_customer(session, principal, customer_id)
    await ensure_settings(session, principal.tenant_id)
    if category_id is not None:
        try:
            await _category(session, principal.tenant_id, category_id)
        except NotFound:
            raise InvalidInput.one(
                ("input", "categoryId"), "No such category.", "NOT_FOUND"
            ) from None
    S = PurchaseStats
    exists = await session.scalar(select(S.customer_id).where(S.customer_id == customer.id))
    if exists is None:
        await refresh(session, principal.tenant_id, customer.id)
    await session.execute(
        update(S)
        .where(S.tenant_id == principal.tenant_id, S.customer_id == customer.id)
        .values(manual_category_id=category_id)
    )
    await evaluate(session, principal.tenant_id, [customer.id], principal.worker_id)
    return customer.id


def _check_category(data: dict, problems: list[Problem]) -> dict:
    values = {}
    if "name" in data:
        name = records.clean_text(data["name"], ("input", "name"), 60, problems)
        if not name:
            problems.append(Problem(("input", "name"), "Give the category a name.", "REQUIRED"))
        values["name"], values["name_key"] = name, (name or "").lower()
    for key, field, high in (
        ("min_total_spent", "minTotalSpent", MAX_AMOUNT),
        ("min_purchases", "minPurchases", 1_000_000),
        ("first_purchase_within_days", "firstPurchaseWithinDays", 36_500),
        ("position", "position", 1_000_000),
    ):
        if key in data:
            value = data[key]
            if value is not None and not 0 <= value <= high:
                problems.append(Problem(("input", field), f"Between 0 and {high}.", "INVALID"))
            values[key] = value
    return values


async def save_category(
    session: AsyncSession, principal: Principal, category_id: int | None, data: dict
) -> PurchaseCategory:
    """Create (no id) or change a category; its rules apply to every customer at once."""
    access.require(principal, MANAGE)
    tenant_id = principal.tenant_id
    await ensure_settings(session, tenant_id)
    problems: list[Problem] = []
    if category_id is None and "name" not in data:
        problems.append(Problem(("input", "name"), "Give the category a name.", "REQUIRED"))
    values = _check_category(data, problems)
    records.fail_if(problems)
    category = await _category(session, tenant_id, category_id) if category_id is not None else None
    if "name_key" in values:
        clash = await session.scalar(
            select(PurchaseCategory.id).where(
                PurchaseCategory.tenant_id == tenant_id,
                PurchaseCategory.name_key == values["name_key"],
                PurchaseCategory.id != (category_id or 0),
            )
        )
        if clash is not None:
            raise InvalidInput.one(
                ("input", "name"), "A category of that name exists.", "PURCHASE_CATEGORY_EXISTS"
            )
    if category is None:
        values.setdefault("position", 100)
        category = PurchaseCategory(tenant_id=tenant_id, **values)
        session.add(category)
    else:
        for key, value in values.items():
            setattr(category, key, value)
    await session.flush()
    await evaluate(session, tenant_id, None)
    return category


async def delete_category(session: AsyncSession, principal: Principal, category_id: int) -> int:
    access.require(principal, MANAGE)
    category = await _category(session, principal.tenant_id, category_id)
    await session.delete(category)
    await session.flush()
    await evaluate(session, principal.tenant_id, None)
    return category_id


async def set_reporting_currency(session: AsyncSession, principal: Principal, currency: str) -> str:
    """Another reporting currency: every customer's reporting figures are re-read from
    their per-currency totals (one UPDATE), then the categories re-evaluated."""
    access.require(principal, MANAGE)
    currency = (currency or "").strip().upper()
    if not CURRENCY.match(currency):
        raise InvalidInput.one(
            ("input", "reportingCurrency"), "Use an ISO-4217 code like EUR.", "INVALID"
        )
    tenant_id = principal.tenant_id
    await ensure_settings(session, tenant_id)
    await session.execute(
        update(PurchaseSettings)
        .where(PurchaseSettings.tenant_id == tenant_id)
        .values(reporting_currency=currency, updated_at=utcnow())
    )
    S, T = PurchaseStats, PurchaseTotal

    def total(column):
        return func.coalesce(
            select(column)
            .where(T.customer_id == S.customer_id, T.currency == currency)
            .scalar_subquery(),
            0,
        )

    await session.execute(
        update(S)
        .where(S.tenant_id == tenant_id)
        .values(
            currency=currency,
            total_spent=total(T.spent),
            lifetime_value=total(T.lifetime_value),
        )
        .execution_options(synchronize_session=False)
    )
    await evaluate(session, tenant_id, None)
    report_cache.forget(tenant_id)
    return currency
