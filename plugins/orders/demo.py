"""Demo catalog and orders: a small catalog of products and services, and one to four
orders for about a third of the demo customers in every status, dated around the demo's
clock (`core.demo.BASE`) so every seeding gives the same rows. Totals go through
`totals.py`, like a real order's; each order that went through ACCEPTED emits the
`order.accepted` (with its invoice request) that acceptance emits, so payments invoices it
once, as live (`core/demo_events.py`)."""

import random
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import demo_events
from core.demo import BASE
from core.events import Event
from core.models import Worker
from plugins.orders import service
from plugins.orders import totals as t
from plugins.orders.models import KINDS, Order, OrderCounter, OrderLine, Product

CURRENCY = "EUR"
# name, sku, price (cents), tax bp, category, description
CATALOG = (
    ("Initial consultation", "SRV-CONSULT", 9000, 1900, "Services", "60 minutes, on site."),
    ("Follow-up session", "SRV-FOLLOW", 6500, 1900, "Services", "45 minutes."),
    ("Maintenance plan (yearly)", "PLAN-MAINT", 48000, 1900, "Plans", "Two visits a year."),
    ("Starter kit", "KIT-START", 2490, 700, "Products", "Everything for the first weeks."),
    ("Refill pack", "KIT-REFILL", 1290, 700, "Products", None),
    ("Express delivery", "SHIP-EXPRESS", 1500, 1900, "Shipping", "Next working day."),
    ("Installation", "SRV-INSTALL", 12000, 1900, "Services", None),
    ("Legacy adapter", "ACC-LEGACY", 900, 1900, "Accessories", "No longer sold."),
)
# status, weight
STATUSES = (
    ("DRAFT", 2),
    ("SENT", 3),
    ("ACCEPTED", 2),
    ("ORDERED", 2),
    ("FULFILLED", 4),
    ("REJECTED", 1),
    ("CANCELLED", 1),
)
# the statuses an order reaches through ACCEPTED (a cancelled one may never have been)
ACCEPTED = ("ACCEPTED", "ORDERED", "FULFILLED")
NOTES = (None, None, "Customer asked for a payment plan.", "Discount agreed by phone.")


async def _catalog(session: AsyncSession, tenant_id: int) -> list[dict]:
    rows = [
        dict(
            tenant_id=tenant_id,
            name=name,
            sku=sku,
            sku_key=sku.lower(),
            description=description,
            price_amount=price,
            currency=CURRENCY,
            tax_rate=tax,
            active=sku != "ACC-LEGACY",
            category=category,
            created_at=BASE - timedelta(days=200),
            updated_at=BASE - timedelta(days=200),
        )
        for name, sku, price, tax, category, description in CATALOG
    ]
    returning = insert(Product.__table__).returning(
        Product.__table__.c.id, sort_by_parameter_order=True
    )
    ids = (await session.execute(returning, rows)).scalars().all()
    return [{**row, "id": pk} for row, pk in zip(rows, ids, strict=True)]


def _lines(rng: random.Random, tenant_id: int, products: list[dict]) -> list[dict]:
    lines = []
    for position, product in enumerate(rng.sample(products[:-1], k=rng.randint(1, 4))):
        quantity = rng.choice((1, 1, 1, 2, 3, 5))
        discount = rng.choice((0, 0, 0, 500, 1000))
        priced = t.Line(quantity, product["price_amount"], discount, product["tax_rate"])
        lines.append(
            dict(
                tenant_id=tenant_id,
                position=position,
                product_id=product["id"],
                description=product["name"],
                quantity=quantity,
                unit_amount=product["price_amount"],
                discount_rate=discount,
                tax_rate=product["tax_rate"],
                gross_amount=priced.gross,
                discount_amount=priced.discount,
                net_amount=priced.net,
            )
        )
    if rng.random() < 0.2:
        priced = t.Line(1, 2500, 0, 1900)
        lines.append(
            dict(
                tenant_id=tenant_id,
                position=len(lines),
                product_id=None,
                description="Travel costs",
                quantity=1,
                unit_amount=2500,
                discount_rate=0,
                tax_rate=1900,
                gross_amount=priced.gross,
                discount_amount=0,
                net_amount=priced.net,
            )
        )
    return lines


def _accepted(session: AsyncSession, order: SimpleNamespace, lines: list[dict]) -> None:
    """The `order.accepted` its acceptance emitted live, with the same invoice request
    (`core/demo_events.py` hands it to payments after the demo data)."""
    data = service.event_data(
        order, **service.accepted(order, [SimpleNamespace(**line) for line in lines])
    )
    event = Event(
        "order.accepted",
        order.tenant_id,
        order.customer_id,
        data,
        order.created_by_id,
        occurred_at=order.status_changed_at,
    )
    demo_events.emit(session, event)


async def seed(session: AsyncSession, tenant_id: int, customer_ids: list[int], seed: int):
    rng = random.Random(seed * 1013 + 77)
    workers = list(
        await session.scalars(
            select(Worker.id).where(Worker.tenant_id == tenant_id).order_by(Worker.id)
        )
    )
    if not customer_ids or not workers:
        return
    products = await _catalog(session, tenant_id)
    chosen = sorted(rng.sample(customer_ids, k=max(1, len(customer_ids) // 3)))
    numbers = dict.fromkeys(KINDS, 0)
    orders, all_lines = [], []
    for customer_id in chosen:
        for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
            kind = rng.choices(KINDS, (5, 2, 3))[0]
            numbers[kind] += 1
            created = BASE - timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 600))
            status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
            lines = _lines(rng, tenant_id, products)
            found = t.totals(
                [
                    t.Line(x["quantity"], x["unit_amount"], x["discount_rate"], x["tax_rate"])
                    for x in lines
                ]
            )
            changed = created + timedelta(days=rng.randint(0, 20)) if status != "DRAFT" else created
            orders.append(
                dict(
                    tenant_id=tenant_id,
                    customer_id=customer_id,
                    kind=kind,
                    number=numbers[kind],
                    status=status,
                    currency=CURRENCY,
                    subtotal_amount=found.subtotal,
                    discount_amount=found.discount,
                    tax_amount=found.tax,
                    total_amount=found.total,
                    notes=rng.choice(NOTES),
                    valid_until=(created + timedelta(days=30)).date(),
                    created_by_id=rng.choice(workers),
                    created_at=created,
                    updated_at=changed,
                    status_changed_at=changed,
                )
            )
            all_lines.append(lines)
    returning = insert(Order.__table__).returning(
        Order.__table__.c.id, sort_by_parameter_order=True
    )
    ids = (await session.execute(returning, orders)).scalars().all()
    rows = [
        {**line, "order_id": pk} for pk, lines in zip(ids, all_lines, strict=True) for line in lines
    ]
    await session.execute(insert(OrderLine.__table__), rows)
    for pk, order, lines in zip(ids, orders, all_lines, strict=True):
        if order["status"] in ACCEPTED:  # payments invoices it, as it would live
            _accepted(session, SimpleNamespace(**order, id=pk), lines)
    counters = [
        dict(tenant_id=tenant_id, kind=kind, last_number=n) for kind, n in numbers.items() if n
    ]
    if counters:
        await session.execute(insert(OrderCounter.__table__), counters)
