"""Writes: facts from other modules' events, the per-customer figures derived from them,
categories (by hand and by rule) and the tenant's settings.

Why facts and a rebuild: delivery is at least once, so every counted thing is a row unique
by its source (`purchase_facts`); a replay inserts nothing and changes nothing. The figures
of a customer are then rebuilt from their facts (a few hundred rows at most) in the
handler's transaction, under the customer's row lock, so two handlers of one customer never
interleave and the figures always equal their facts: a merge or a settings change rebuilds
the same way."""

import re
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, events, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, NotFound, Problem
from core.models import Customer, now_param, utcnow
from plugins.purchases.models import (
    PurchaseCategory,
    PurchaseFact,
    PurchaseMonth,
    PurchaseSettings,
    PurchaseStats,
    PurchaseTotal,
)

MANAGE = "purchases.manage"
COUNTED = ("payment", "refund", "order", "deal")
REACHED = ("ORDERED", "FULFILLED")
SEEDS = (  # name, position, min total spent (minor units), min purchases, within days
    ("VIP", 10, 100_000, None, None),
    ("New", 20, None, None, 30),
    ("Regular", 30, None, 2, None),
    ("Business", 40, None, None, None),
)
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_DISCOUNTED = re.compile(r"^(?P<name>.*) \((?P<quantity>\d+) x \d+, -[\d.]+ %\)$")
MAX_AMOUNT = 10**12


# --- facts from events ------------------------------------------------------------------------


def _money(data: dict) -> tuple[int, str | None]:
    """(amount, currency) wherever a module put them: `amount`/`currency`, `total`, or a
    `value` object (deals); anything malformed counts as no money."""
    value = data.get("value")
    if isinstance(value, dict):
        amount, currency = value.get("amount"), value.get("currency")
    else:
        amount = data.get("amount", data.get("total", data.get("valueAmount")))
        currency = data.get("currency", data.get("valueCurrency"))
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int)
        or not 0 <= amount <= MAX_AMOUNT
        or not isinstance(currency, str)
        or not _CURRENCY.match(currency)
    ):
        return 0, None
    return amount, currency


def _products(request) -> list | None:
    """[[name, quantity]] from an order's invoice request (discounted lines travel as one
    line "Name (2 x 1250, -10 %)": the name and quantity are read back)."""
    if not isinstance(request, dict) or not isinstance(request.get("lines"), list):
        return None
    found = []
    for line in request["lines"]:
        if not isinstance(line, dict) or not isinstance(line.get("description"), str):
            continue
        name, quantity = line["description"], line.get("quantity")
        match = _DISCOUNTED.match(name)
        if match:
            name, quantity = match["name"], int(match["quantity"])
        if isinstance(quantity, int) and not isinstance(quantity, bool) and quantity > 0:
            found.append([name[:200], quantity])
    return found


def facts_of(event) -> list[dict]:
    """The facts an event brings (none for events this module does not count)."""
    data = event.data if isinstance(event.data, dict) else {}
    base = {"occurred_at": event.occurred_at or utcnow()}
    name = event.name
    if name == "payment.received":
        amount, currency = _money(data)
        method = data.get("method") or data.get("methodKind")
        return [
            {
                **base,
                "source": f"payment:{data.get('paymentId') or event.id}",
                "kind": "payment",
                "amount": amount,
                "currency": currency,
                "method": str(method)[:40] if method else None,
                # paying an invoice settles an earlier purchase (an order, a service)
                "purchase": not data.get("invoiceId"),
            }
        ]
    if name == "payment.refunded":
        amount, currency = _money(data)
        return [
            {
                **base,
                "source": f"refund:{data.get('refundId') or event.id}",
                "kind": "refund",
                "amount": amount,
                "currency": currency,
            }
        ]
    order = data.get("orderId")
    if name == "order.accepted" and order:
        amount, currency = _money(data)
        products = _products(data.get("invoice_request"))
        return [
            {
                **base,
                "source": f"accepted:{order}",
                "kind": "accepted",
                "amount": amount,
                "currency": currency,
                "products": products,
            }
        ]
    if name == "order.status_changed" and order and data.get("to") in REACHED:
        return [{**base, "source": f"reached:{order}", "kind": "reached"}]
    deal = data.get("dealId", data.get("id"))
    if name == "deal.won" and deal is not None:
        amount, currency = _money(data)
        return [
            {
                **base,
                "source": f"deal:{deal}:{event.id}",
                "kind": "deal",
                "amount": amount,
                "currency": currency,
                "purchase": True,
            }
        ]
    return []


async def _add(session: AsyncSession, tenant_id: int, customer_id: int, fact: dict) -> bool:
    row = {
        "amount": 0,
        "purchase": False,
        **fact,
        "tenant_id": tenant_id,
        "customer_id": customer_id,
    }
    done = await session.execute(
        records.upsert(session, PurchaseFact.__table__)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["tenant_id", "source"])
    )
    return done.rowcount == 1


async def _count_order(session: AsyncSession, tenant_id: int, customer_id: int, order) -> bool:
    """An order counts once it was accepted (its money and lines) and reached ORDERED or
    FULFILLED (its time), whichever of the two events came first."""
    F = PurchaseFact
    rows = {
        row.kind: row
        for row in await session.execute(
            select(F.kind, F.amount, F.currency, F.products, F.occurred_at).where(
                F.tenant_id == tenant_id,
                F.source.in_([f"accepted:{order}", f"reached:{order}"]),
            )
        )
    }
    if "accepted" not in rows or "reached" not in rows:
        return False
    accepted = rows["accepted"]
    fact = {
        "source": f"order:{order}",
        "kind": "order",
        "amount": accepted.amount,
        "currency": accepted.currency,
        "products": accepted.products,
        "purchase": True,
        "occurred_at": rows["reached"].occurred_at,
    }
    return await _add(session, tenant_id, customer_id, fact)


async def _lock(session: AsyncSession, tenant_id: int, customer_id: int) -> bool:
    """The customer's row, locked (PostgreSQL): one lock order with every module's writes."""
    found = await session.scalar(
        select(Customer.id)
        .where(Customer.tenant_id == tenant_id, Customer.id == customer_id)
        .with_for_update()
    )
    return found is not None


async def handle_event(session: AsyncSession, event) -> None:
    """`hub_handle_event`: count what the event brings, once, and rebuild the figures."""
    if event.customer_id is None:
        return
    data = event.data if isinstance(event.data, dict) else {}
    facts = facts_of(event)
    lost = event.name == "deal.lost" and data.get("dealId", data.get("id")) is not None
    if not facts and not lost:
        return
    tenant_id, customer_id = event.tenant_id, event.customer_id
    if not await _lock(session, tenant_id, customer_id):
        return
    changed = False
    for fact in facts:
        changed |= await _add(session, tenant_id, customer_id, fact)
    if facts and facts[0]["kind"] in ("accepted", "reached"):
        order = facts[0]["source"].split(":", 1)[1]
        changed |= await _count_order(session, tenant_id, customer_id, order)
    if lost:  # a won deal lost again (reopened) is no revenue; a replay of its win stays out
        deal = data.get("dealId", data.get("id"))
        done = await session.execute(
            update(PurchaseFact)
            .where(
                PurchaseFact.tenant_id == tenant_id,
                PurchaseFact.source.startswith(f"deal:{deal}:", autoescape=True),
                PurchaseFact.kind == "deal",
            )
            .values(kind="lost", purchase=False)
        )
        changed |= done.rowcount > 0
    if changed:
        await refresh(session, tenant_id, customer_id)


async def record_facts(
    session: AsyncSession, tenant_id: int, customer_id: int, facts: list[dict]
) -> None:
    """Facts written directly (demo data), then the figures, as an event would."""
    for fact in facts:
        await _add(session, tenant_id, customer_id, fact)
    await refresh(session, tenant_id, customer_id, announce=False)


# --- the figures ------------------------------------------------------------------------------


async def ensure_settings(session: AsyncSession, tenant_id: int) -> str | None:
    """The tenant's settings row (made with the seeded categories the first time); its
    reporting currency."""
    made = await session.execute(
        records.upsert(session, PurchaseSettings.__table__)
        .values(tenant_id=tenant_id, reporting_currency=None, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )
    if made.rowcount == 1:
        for name, position, spent, purchases, within in SEEDS:
            session.add(
                PurchaseCategory(
                    tenant_id=tenant_id,
                    name=name,
                    name_key=name.lower(),
                    position=position,
                    min_total_spent=spent,
                    min_purchases=purchases,
                    first_purchase_within_days=within,
                )
            )
        await session.flush()
    return await session.scalar(
        select(PurchaseSettings.reporting_currency).where(PurchaseSettings.tenant_id == tenant_id)
    )


def _month(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


async def refresh(
    session: AsyncSession, tenant_id: int, customer_id: int, announce: bool = True
) -> None:
    """Rebuild one customer's figures from their facts, then their category (announced
    with `purchases.category_changed` unless `announce` is False: demo data)."""
    currency = await ensure_settings(session, tenant_id)
    F = PurchaseFact
    facts = list(
        await session.execute(
            select(F.kind, F.amount, F.currency, F.method, F.purchase, F.products, F.occurred_at)
            .where(F.tenant_id == tenant_id, F.customer_id == customer_id, F.kind.in_(COUNTED))
            .order_by(F.occurred_at, F.id)
        )
    )
    if currency is None:
        currency = next((f.currency for f in facts if f.currency), None)
        if currency is not None:
            await session.execute(
                update(PurchaseSettings)
                .where(
                    PurchaseSettings.tenant_id == tenant_id,
                    PurchaseSettings.reporting_currency.is_(None),
                )
                .values(reporting_currency=currency, updated_at=utcnow())
            )
            currency = await ensure_settings(session, tenant_id)
    totals: dict[str, dict] = defaultdict(
        lambda: dict.fromkeys(("spent", "refunded", "order_total", "order_count", "deals_won"), 0)
    )
    months: dict[tuple[str, str], int] = defaultdict(int)
    products: dict[str, int] = defaultdict(int)
    methods: list[str] = []
    times: list[datetime] = []
    orders = 0
    for f in facts:
        money = totals[f.currency] if f.currency else None
        if f.kind == "payment" and money is not None:
            money["spent"] += f.amount
            months[_month(f.occurred_at), f.currency] += f.amount
        elif f.kind == "refund" and money is not None:
            money["spent"] -= f.amount
            money["refunded"] += f.amount
            months[_month(f.occurred_at), f.currency] -= f.amount
        elif f.kind == "order":
            orders += 1
            if money is not None:
                money["order_total"] += f.amount
                money["order_count"] += 1
            for name, quantity in f.products or ():
                products[name] += quantity
        elif f.kind == "deal" and money is not None:
            money["deals_won"] += f.amount
        if f.kind == "payment" and f.method and f.method not in methods:
            methods.append(f.method)
        if f.purchase:
            times.append(f.occurred_at)
    for money in totals.values():
        # what the customer is worth: what they paid or ordered, whichever is more (an
        # order is usually invoiced and then paid), plus the deals won
        money["lifetime_value"] = max(money["spent"], money["order_total"]) + money["deals_won"]
    await session.execute(delete(PurchaseTotal).where(PurchaseTotal.customer_id == customer_id))
    await session.execute(delete(PurchaseMonth).where(PurchaseMonth.customer_id == customer_id))
    for code, money in totals.items():
        session.add(
            PurchaseTotal(tenant_id=tenant_id, customer_id=customer_id, currency=code, **money)
        )
    for (month, code), amount in months.items():
        session.add(
            PurchaseMonth(
                tenant_id=tenant_id,
                customer_id=customer_id,
                month=month,
                currency=code,
                amount=amount,
            )
        )
    top = sorted(products.items(), key=lambda item: (-item[1], item[0]))[:3]
    first, last = (times[0], times[-1]) if times else (None, None)
    reporting = totals.get(currency) if currency else None
    values = {
        "currency": currency,
        "total_spent": reporting["spent"] if reporting else 0,
        "lifetime_value": reporting["lifetime_value"] if reporting else 0,
        "order_count": orders,
        "purchase_count": len(times),
        "first_purchase_at": first,
        "last_purchase_at": last,
        "first_month": _month(first) if first else None,
        "repeat_days": (times[1] - times[0]).days if len(times) > 1 else None,
        "interval_seconds": int((last - first).total_seconds() / (len(times) - 1))
        if len(times) > 1
        else None,
        "products": [list(item) for item in top],
        "methods": methods,
        "updated_at": utcnow(),
    }
    await session.flush()
    await session.execute(
        records.upsert(session, PurchaseStats.__table__)
        .values(tenant_id=tenant_id, customer_id=customer_id, **values)
        .on_conflict_do_update(index_elements=["customer_id"], set_=values)
    )
    await evaluate(session, tenant_id, [customer_id], announce=announce)


# --- categories -------------------------------------------------------------------------------


def _rule(category: PurchaseCategory):
    """The category's rules on `purchase_stats` (None: no rules, only by hand)."""
    S = PurchaseStats
    parts = []
    if category.min_total_spent is not None:
        parts.append(S.total_spent >= category.min_total_spent)
    if category.min_purchases is not None:
        parts.append(S.purchase_count >= category.min_purchases)
    if category.first_purchase_within_days is not None:
        since = now_param(timedelta(days=category.first_purchase_within_days))
        parts.append(and_(S.first_purchase_at.is_not(None), S.first_purchase_at >= since))
    return and_(*parts) if parts else None


async def evaluate(
    session: AsyncSession,
    tenant_id: int,
    customer_ids: list[int] | None,
    actor: int | None = None,
    announce: bool = True,
) -> None:
    """Set the category of these customers (None: all of the tenant's) from the rules, a
    hand-set one first, in one UPDATE. For named customers, `purchases.category_changed`
    for each whose category changed (a tenant-wide pass after a rule edit emits none)."""
    S = PurchaseStats
    categories = list(
        await session.scalars(
            select(PurchaseCategory)
            .where(PurchaseCategory.tenant_id == tenant_id)
            .order_by(PurchaseCategory.position, PurchaseCategory.id)
        )
    )
    names = {c.id: c.name for c in categories}
    whens = [(rule, c.id) for c in categories if (rule := _rule(c)) is not None]
    by_rule = case(*whens, else_=None) if whens else literal(None)
    chosen = func.coalesce(S.manual_category_id, by_rule)
    keys = (
        case(*((S.category_id == pk, name.lower()) for pk, name in names.items()), else_=None)
        if names
        else literal(None)
    )
    scope = [S.tenant_id == tenant_id]
    if customer_ids is not None:
        scope.append(S.customer_id.in_(customer_ids))
        before = dict(
            (await session.execute(select(S.customer_id, S.category_id).where(*scope))).all()
        )
    await session.execute(
        update(S)
        .where(*scope)
        .values(category_id=chosen)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(S)
        .where(*scope)
        .values(category_key=keys)
        .execution_options(synchronize_session=False)
    )
    if customer_ids is None or not announce:
        return
    after = (
        await session.execute(
            select(S.customer_id, S.category_id, S.manual_category_id).where(*scope)
        )
    ).all()
    for customer_id, category_id, manual in after:
        old = before.get(customer_id)
        if old == category_id:
            continue
        await events.emit(
            session,
            events.Event(
                "purchases.category_changed",
                tenant_id,
                customer_id,
                {
                    "from": {"id": old, "name": names.get(old)} if old else None,
                    "to": {"id": category_id, "name": names.get(category_id)}
                    if category_id
                    else None,
                    "manual": manual is not None,
                },
                actor,
            ),
        )


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
    if not _CURRENCY.match(currency):
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
    return currency


async def merge(session: AsyncSession, tenant_id: int, source_id: int, target_id: int) -> None:
    """The source's facts follow to the target (`undoMerge` can give them back); the
    target's figures are rebuilt. A hand-set category of the target stays."""
    await records.move_to_customer(session, tenant_id, source_id, target_id, PurchaseFact)
    await session.execute(delete(PurchaseStats).where(PurchaseStats.customer_id == source_id))
    await refresh(session, tenant_id, target_id)
