"""Batched reads: Core selects of plain rows, one statement per batch, always filtered by
the principal's tenant. A list page showing `loyalty` costs three statements whatever its
length: the accounts of its customers, the tenant's tiers, and (when selected) the first
page of entries of every customer at once."""

from datetime import date, datetime

from sqlalchemy import func, select

from core.keyset import Order, by_ids
from core.models import Customer
from plugins.loyalty.ledger import A, E
from plugins.loyalty.models import LoyaltyProgram, LoyaltyReward, LoyaltyTier
from schema.compiled.module_json import global_id, json_object

P = LoyaltyProgram.__table__
T = LoyaltyTier.__table__
R = LoyaltyReward.__table__

NEWEST = Order("newest", (), E.c.id, descending=True)
REWARDS = Order("name", ((R.c.name, False, False),), R.c.id)
DEFAULTS = {
    "earn_points": 1,
    "earn_per": 1,
    "currency": None,
    "birthday_points": 0,
    "anniversary_points": 0,
    "expiry_months": None,
    "updated_at": None,
}


def accounts_query(tenant_id: int, customer_ids):
    return select(A.c.customer_id, A.c.balance, A.c.lifetime_points).where(
        A.c.tenant_id == tenant_id, A.c.customer_id.in_(customer_ids)
    )


def compiled_tiers(principal, customer_ids):
    """Every customer of the page with their account's numbers and tier (the highest
    threshold the lifetime points reach, as `CustomerLoyalty.tier` picks it) as JSON."""
    page = customer_ids.subquery()
    key = page.c[0]
    lifetime = func.coalesce(A.c.lifetime_points, 0)
    tier = (
        select(
            json_object(
                id=global_id("LoyaltyTier", T.c.id),
                name=T.c.name,
                threshold=T.c.threshold,
                benefits=T.c.benefits,
            )
        )
        .where(T.c.tenant_id == principal.tenant_id, T.c.threshold <= lifetime)
        .order_by(T.c.threshold.desc())
        .limit(1)
        .scalar_subquery()
    )
    return select(
        key.label("customer_id"),
        A.c.balance,
        A.c.lifetime_points,
        tier.label("tier"),
    ).select_from(
        page.outerjoin(A, (A.c.customer_id == key) & (A.c.tenant_id == principal.tenant_id))
    )


async def accounts(conn, principal, customer_ids) -> list[dict]:
    """`{"balance", "lifetime_points"}` per customer; zeros without an account."""
    rows = await conn.execute(accounts_query(principal.tenant_id, customer_ids))
    found = {
        r.customer_id: {"balance": r.balance, "lifetime_points": r.lifetime_points} for r in rows
    }
    zero = {"balance": 0, "lifetime_points": 0}
    return [found.get(i, zero) for i in customer_ids]


def balances(tenant_id: int, customer_ids):
    """(customer id, balance) of positive balances: the tab's badge."""
    return select(A.c.customer_id, A.c.balance).where(
        A.c.tenant_id == tenant_id, A.c.customer_id.in_(customer_ids), A.c.balance > 0
    )


def _of_customer(column):
    def expression(tenant_id: int):
        """The account's `column` for the customer a list row is on (0 without one), by
        the accounts' primary key: the `loyalty.*` filter and sort fields."""
        value = select(column).where(A.c.tenant_id == tenant_id, A.c.customer_id == Customer.id)
        return func.coalesce(value.correlate(Customer).scalar_subquery(), 0)

    return expression


balance_of_customer = _of_customer(A.c.balance)
lifetime_of_customer = _of_customer(A.c.lifetime_points)


def tiers_query(tenant_id: int):
    return select(*T.c).where(T.c.tenant_id == tenant_id).order_by(T.c.threshold)


async def tiers(conn, principal, keys) -> list[list[dict]]:
    """The tenant's tiers by threshold, for the one key a request asks with (its tenant)."""
    rows = [dict(r) for r in (await conn.execute(tiers_query(principal.tenant_id))).mappings()]
    return [rows for _ in keys]


async def program(conn, principal, keys) -> list[dict]:
    row = (
        (await conn.execute(select(*P.c).where(P.c.tenant_id == principal.tenant_id)))
        .mappings()
        .first()
    )
    return [dict(row) if row else {"tenant_id": principal.tenant_id, **DEFAULTS} for _ in keys]


def rewards_query(principal, active: bool | None):
    query = select(*R.c).where(R.c.tenant_id == principal.tenant_id)
    return query if active is None else query.where(R.c.active == active)


async def rewards_by_ids(conn, principal, ids) -> list:
    return await by_ids(conn, rewards_query(principal, None).where(R.c.id.in_(ids)), ids)


def _jsonable(row) -> dict:
    return {
        k: v.isoformat() if isinstance(v, datetime | date) else v
        for k, v in dict(row).items()
        if k != "tenant_id"
    }


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"loyalty": {"account": ..., "entries": [...]}}` for a customer's data export."""
    account = (
        (
            await conn.execute(
                select(A.c.balance, A.c.lifetime_points).where(
                    A.c.tenant_id == tenant_id, A.c.customer_id == customer_id
                )
            )
        )
        .mappings()
        .first()
    )
    entries = await conn.execute(
        select(*E.c)
        .where(E.c.tenant_id == tenant_id, E.c.customer_id == customer_id)
        .order_by(E.c.id)
    )
    return {
        "loyalty": {
            "account": dict(account) if account else {"balance": 0, "lifetime_points": 0},
            "entries": [_jsonable(r) for r in entries.mappings()],
        }
    }
