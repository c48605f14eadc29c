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
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import records
from core.models import Customer, utcnow
from plugins.purchases import report_cache, rules
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
CURRENCY = re.compile(r"^[A-Z]{3}$")
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
        or not CURRENCY.match(currency)
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
    if event.name == "customer.merge_undone":  # facts went back: both figures again
        if await _lock(session, event.tenant_id, event.customer_id):
            await refresh(session, event.tenant_id, event.customer_id)
        return
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


async def record_all(session: AsyncSession, tenant_id: int, facts: dict[int, list[dict]]):
    """Demo data: every customer's facts and figures written in a few statements (a
    refresh per customer cost seconds for the demo tenant), computed by `figures_of` as an
    event's refresh computes them, then every category from the rules. No events."""
    keys = ("source", "kind", "amount", "currency", "method", "purchase", "products")
    rows, stats, total_rows, month_rows = [], [], [], []
    first = min(
        ((f["occurred_at"], f["currency"]) for found in facts.values() for f in found
         if f.get("currency")),
        default=(None, None),
    )  # fmt: skip
    currency = await _reporting_currency(session, tenant_id, first[1])
    for customer_id, found in facts.items():
        found = sorted(found, key=lambda f: f["occurred_at"])
        full = [{**dict.fromkeys(keys), "amount": 0, "purchase": False, **f} for f in found]
        rows += [{**f, "tenant_id": tenant_id, "customer_id": customer_id} for f in full]
        totals, months, values = figures_of([SimpleNamespace(**f) for f in full], currency)
        stats.append({**values, "tenant_id": tenant_id, "customer_id": customer_id})
        more_totals, more_months = _rows(tenant_id, customer_id, totals, months)
        total_rows += more_totals
        month_rows += more_months
    for model, written in (
        (PurchaseFact, rows),
        (PurchaseStats, stats),
        (PurchaseTotal, total_rows),
        (PurchaseMonth, month_rows),
    ):
        for start in range(0, len(written), 500):
            await session.execute(insert(model), written[start : start + 500])
    await rules.evaluate(session, tenant_id, None)


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


def figures_of(facts: list, currency: str | None) -> tuple[dict, dict, dict]:
    """A customer's figures from their counted facts (oldest first): money per currency,
    net payments per (month, currency), and the `purchase_stats` values."""
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
    return dict(totals), dict(months), values


def _rows(tenant_id: int, customer_id: int, totals: dict, months: dict) -> tuple[list, list]:
    base = {"tenant_id": tenant_id, "customer_id": customer_id}
    return (
        [{**base, "currency": code, **money} for code, money in totals.items()],
        [
            {**base, "month": month, "currency": code, "amount": amount}
            for (month, code), amount in months.items()
        ],
    )


async def _reporting_currency(session: AsyncSession, tenant_id: int, seen: str | None):
    """The tenant's reporting currency, set to `seen` (the first currency of the facts at
    hand) if it has none yet."""
    currency = await ensure_settings(session, tenant_id)
    if currency is None and seen is not None:
        await session.execute(
            update(PurchaseSettings)
            .where(
                PurchaseSettings.tenant_id == tenant_id,
                PurchaseSettings.reporting_currency.is_(None),
            )
            .values(reporting_currency=seen, updated_at=utcnow())
        )
        currency = await ensure_settings(session, tenant_id)
    return currency


async def refresh(session: AsyncSession, tenant_id: int, customer_id: int) -> None:
    """Rebuild one customer's figures from their facts, then their category (announced
    with `purchases.category_changed`)."""
    F = PurchaseFact
    facts = list(
        await session.execute(
            select(F.kind, F.amount, F.currency, F.method, F.purchase, F.products, F.occurred_at)
            .where(F.tenant_id == tenant_id, F.customer_id == customer_id, F.kind.in_(COUNTED))
            .order_by(F.occurred_at, F.id)
        )
    )
    seen = next((f.currency for f in facts if f.currency), None)
    currency = await _reporting_currency(session, tenant_id, seen)
    totals, months, values = figures_of(facts, currency)
    await session.execute(delete(PurchaseTotal).where(PurchaseTotal.customer_id == customer_id))
    await session.execute(delete(PurchaseMonth).where(PurchaseMonth.customer_id == customer_id))
    total_rows, month_rows = _rows(tenant_id, customer_id, totals, months)
    if total_rows:
        await session.execute(insert(PurchaseTotal), total_rows)
    if month_rows:
        await session.execute(insert(PurchaseMonth), month_rows)
    await session.execute(
        records.upsert(session, PurchaseStats.__table__)
        .values(tenant_id=tenant_id, customer_id=customer_id, **values)
        .on_conflict_do_update(index_elements=["customer_id"], set_=values)
    )
    await rules.evaluate(session, tenant_id, [customer_id])
    await rules.schedule(session, tenant_id)
    report_cache.forget(tenant_id)


async def merge(session: AsyncSession, tenant_id: int, source_id: int, target_id: int) -> None:
    """The source's facts follow to the target (`undoMerge` can give them back); the
    target's figures are rebuilt. A hand-set category of the target stays."""
    await records.move_to_customer(session, tenant_id, source_id, target_id, PurchaseFact)
    await session.execute(delete(PurchaseStats).where(PurchaseStats.customer_id == source_id))
    await refresh(session, tenant_id, target_id)
