"""Catalog writes: the tenant's products and services. Owner, admin and manager keep the
catalog (`orders.catalog`); every worker who sees orders reads it. Products are never
deleted, only deactivated: order lines point at them, and an inactive product just cannot
be put on a new line. A SKU is unique per tenant whatever its case, held by a unique index
on the lower-cased SKU, so two creates racing for one SKU give one product and one TAKEN."""

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.errors import InvalidInput, NotFound, Problem
from core.models import utcnow
from plugins.orders.models import Product
from plugins.orders.totals import BASIS
from schema.money import CURRENCY_RE, MAX_AMOUNT

CATALOG = "orders.catalog"
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


@dataclass(frozen=True)
class Price:
    amount: int
    currency: str


def check_rate(value, path: tuple, problems: list[Problem]) -> int:
    """A rate in basis points: 0 to 10,000 (100 %)."""
    if value is None or not 0 <= value <= BASIS:
        problems.append(Problem(path, "A rate in basis points, from 0 to 10000.", "INVALID"))
        return 0
    return value


def check_currency(value, path: tuple, problems: list[Problem]) -> str:
    currency = (value or "").strip().upper()
    if not CURRENCY_RE.match(currency):
        problems.append(Problem(path, "Use an ISO-4217 code like EUR.", "INVALID"))
    return currency


def _price(value: Price, problems: list[Problem]) -> Price:
    if not 0 <= value.amount <= MAX_AMOUNT:
        problems.append(Problem(("input", "price", "amount"), "From 0 in minor units.", "INVALID"))
    return Price(
        value.amount, check_currency(value.currency, ("input", "price", "currency"), problems)
    )


def _sku(value, problems: list[Problem]) -> str | None:
    sku = records.clean_text(value, ("input", "sku"), 64, problems, required=True)
    if sku is not None and not SKU_RE.match(sku):
        problems.append(
            Problem(
                ("input", "sku"),
                "Letters, digits and . _ / - (starting with a letter or digit).",
                "INVALID",
            )
        )
    return sku


def _fields(changes: dict, problems: list[Problem]) -> dict:
    """The checked values of the keys present in `changes`."""
    values = {}
    if "name" in changes:
        values["name"] = records.clean_text(
            changes["name"], ("input", "name"), 200, problems, required=True
        )
    if "sku" in changes:
        values["sku"] = _sku(changes["sku"], problems)
        values["sku_key"] = (values["sku"] or "").lower()
    if "description" in changes:
        values["description"] = records.clean_text(
            changes["description"], ("input", "description"), 5000, problems
        )
    if "price" in changes:
        if changes["price"] is None:
            problems.append(Problem(("input", "price"), "Give a price.", "REQUIRED"))
        else:
            price = _price(changes["price"], problems)
            values.update(price_amount=price.amount, currency=price.currency)
    if "tax_rate" in changes:
        values["tax_rate"] = check_rate(changes["tax_rate"], ("input", "taxRate"), problems)
    if "category" in changes:
        values["category"] = records.clean_text(
            changes["category"], ("input", "category"), 100, problems
        )
    if "active" in changes:
        if changes["active"] is None:
            problems.append(Problem(("input", "active"), "Give true or false.", "REQUIRED"))
        values["active"] = changes["active"]
    return values


def _taken(sku: str) -> InvalidInput:
    return InvalidInput.one(
        ("input", "sku"), f"Another product already has the SKU {sku}.", "TAKEN"
    )


async def create_product(session: AsyncSession, principal: Principal, data: dict) -> Product:
    access.require(principal, CATALOG)
    problems: list[Problem] = []
    values = _fields({"tax_rate": 0, "active": True, **data}, problems)
    records.fail_if(problems)
    now = utcnow()
    made = await session.scalar(
        records.upsert(session, Product.__table__)
        .values(tenant_id=principal.tenant_id, created_at=now, updated_at=now, **values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "sku_key"])
        .returning(Product.id)
    )
    if made is None:
        raise _taken(values["sku"])
    return await _product(session, principal, made)


async def _product(session: AsyncSession, principal: Principal, product_id: int) -> Product:
    product = await session.scalar(
        select(Product)
        .where(Product.tenant_id == principal.tenant_id, Product.id == product_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if product is None:
        raise NotFound("Product")
    return product


async def update_product(
    session: AsyncSession, principal: Principal, product_id: int, changes: dict
) -> Product:
    """Only the keys of `changes` change. Lines already written keep their copied prices."""
    access.require(principal, CATALOG)
    problems: list[Problem] = []
    values = _fields(changes, problems)
    records.fail_if(problems)
    product = await _product(session, principal, product_id)
    if "sku_key" in values and values["sku_key"] != product.sku_key:
        other = await session.scalar(
            select(Product.id).where(
                Product.tenant_id == principal.tenant_id,
                Product.sku_key == values["sku_key"],
                Product.id != product.id,
            )
        )
        if other is not None:
            raise _taken(values["sku"])
    changed = [k for k, v in values.items() if getattr(product, k) != v]
    for key in changed:
        setattr(product, key, values[key])
    if changed:
        product.updated_at = utcnow()
        await session.flush()
    return product
