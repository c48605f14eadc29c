"""Order writes, inside the caller's transaction: validation (everything wrong is reported at
once, nothing is written), permissions, totals computed here and never taken from the
client, legal status moves and events.

An order is part of its customer's record: writing to it takes a customer the worker may
change (`core.records.for_update`, customer locked first), and one they cannot see hides
its orders. Lines (and the currency) change only in DRAFT: what was sent stays as the
customer received it. Reaching ACCEPTED emits `order.accepted` carrying an
`invoice_request` (the contract in payments' docstring and `docs/plugins.md`): with
payments on, the customer gets exactly one invoice for the order."""

from dataclasses import asdict, dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, Problem
from core.models import utcnow
from plugins.orders import totals as t
from plugins.orders.catalog import check_currency, check_rate
from plugins.orders.models import (
    KINDS,
    TRANSITIONS,
    Order,
    OrderCounter,
    OrderIdempotencyKey,
    OrderLine,
    Product,
    reference,
)
from schema.ids import to_global_id
from schema.money import MAX_AMOUNT

MANAGE = "orders.manage"
MAX_LINES = 100
MAX_QUANTITY = 1_000_000


@dataclass(frozen=True)
class LineIn:
    """None: take it from the product (description, unit price, tax rate)."""

    product_id: int | None = None
    description: str | None = None
    quantity: int = 1
    unit_amount: int | None = None
    discount_rate: int = 0
    tax_rate: int | None = None


async def _lines(
    session: AsyncSession, tenant_id: int, currency: str, lines: list[LineIn], problems: list
) -> list[dict]:
    """The line rows, priced; a product's name, price and rate fill what the line leaves out.
    Problems are named by line (`input.lines.<i>.<field>`)."""
    if not lines:
        problems.append(Problem(("input", "lines"), "Give at least one line.", "REQUIRED"))
        return []
    if len(lines) > MAX_LINES:
        problems.append(Problem(("input", "lines"), f"At most {MAX_LINES} lines.", "TOO_MANY"))
        return []
    wanted = {line.product_id for line in lines if line.product_id is not None}
    products = {}
    if wanted:
        found = await session.scalars(
            select(Product).where(Product.tenant_id == tenant_id, Product.id.in_(wanted))
        )
        products = {p.id: p for p in found}
    rows = []
    for index, line in enumerate(lines):
        path = ("input", "lines", str(index))
        product = products.get(line.product_id)
        if line.product_id is not None:
            if product is None:
                problems.append(Problem((*path, "productId"), "Product not found.", "NOT_FOUND"))
            elif not product.active:
                problems.append(
                    Problem((*path, "productId"), "The product is inactive.", "PRODUCT_INACTIVE")
                )
        description = line.description
        if description is None and product is not None:
            description = product.name
        description = records.clean_text(
            description, (*path, "description"), 500, problems, required=True
        )
        unit = line.unit_amount
        if unit is None and product is not None:
            unit = product.price_amount
            if product.currency != currency and currency:
                problems.append(
                    Problem(
                        (*path, "productId"),
                        f"The product is priced in {product.currency}, the order in "
                        f"{currency}: give a unitAmount.",
                        "CURRENCY_MISMATCH",
                    )
                )
        if unit is None:
            problems.append(Problem((*path, "unitAmount"), "Give a unit price.", "REQUIRED"))
            unit = 0
        elif not 0 <= unit <= MAX_AMOUNT:
            problems.append(Problem((*path, "unitAmount"), "From 0 in minor units.", "INVALID"))
            unit = 0
        if not 1 <= line.quantity <= MAX_QUANTITY:
            problems.append(Problem((*path, "quantity"), f"From 1 to {MAX_QUANTITY}.", "INVALID"))
        discount = check_rate(line.discount_rate, (*path, "discountRate"), problems)
        tax = line.tax_rate
        if tax is None:
            tax = product.tax_rate if product is not None else 0
        tax = check_rate(tax, (*path, "taxRate"), problems)
        priced = t.Line(max(line.quantity, 0), unit, discount, tax)
        rows.append(
            dict(
                tenant_id=tenant_id,
                position=index,
                product_id=product.id if product is not None else None,
                description=description,
                quantity=line.quantity,
                unit_amount=unit,
                discount_rate=discount,
                tax_rate=tax,
                gross_amount=priced.gross,
                discount_amount=priced.discount,
                net_amount=priced.net,
            )
        )
    if not problems and t.totals(_priced(rows)).total > MAX_AMOUNT:
        problems.append(Problem(("input", "lines"), "The total is too large.", "INVALID"))
    return rows


def _priced(rows: list[dict]) -> list[t.Line]:
    return [
        t.Line(r["quantity"], r["unit_amount"], r["discount_rate"], r["tax_rate"]) for r in rows
    ]


def _totals(rows: list[dict]) -> dict:
    found = t.totals(_priced(rows))
    return dict(
        subtotal_amount=found.subtotal,
        discount_amount=found.discount,
        tax_amount=found.tax,
        total_amount=found.total,
    )


async def _write_lines(session: AsyncSession, order_id: int, rows: list[dict]) -> None:
    for row in rows:
        session.add(OrderLine(order_id=order_id, **row))
    await session.flush()


def _fingerprint(data: dict) -> str:
    facts = {k: v for k, v in data.items() if k != "idempotency_key"}
    facts["lines"] = [asdict(line) for line in data["lines"]]
    return records.fingerprint(facts)


def event_data(order: Order, **data) -> dict:
    """An order event's data: the order's global id and reference, then `data`."""
    return {
        "orderId": to_global_id("Order", order.id),
        "number": reference(order.kind, order.number),
        **data,
    }


async def _emit(session, principal, order: Order, name: str, **data) -> None:
    await records.emit(session, principal, name, order.customer_id, **event_data(order, **data))


async def create_order(session: AsyncSession, principal: Principal, data: dict) -> Order:
    """A DRAFT with its number (per kind, gapless: orders are never deleted, only
    cancelled). With `idempotency_key`, a retry of the same request returns the first order
    and writes nothing; the same key with other data is IDEMPOTENCY_KEY_REUSED."""
    access.require(principal, MANAGE)
    problems: list[Problem] = []
    key = records.clean_text(
        data.get("idempotency_key"), ("input", "idempotencyKey"), 200, problems
    )
    if data["kind"] not in KINDS:
        problems.append(Problem(("input", "kind"), "Unknown kind.", "INVALID"))
    currency = check_currency(data["currency"], ("input", "currency"), problems)
    notes = records.clean_text(data.get("notes"), ("input", "notes"), 10_000, problems)
    records.fail_if(problems)
    customer = await get_customer(session, principal, data["customer_id"])
    if key is not None:
        first = await records.claim_key(
            session,
            OrderIdempotencyKey,
            principal.tenant_id,
            key,
            _fingerprint(data),
            OrderIdempotencyKey.order_id,
            "order",
        )
        if first is not None:
            return await session.get(Order, first)
    rows = await _lines(session, principal.tenant_id, currency, data["lines"], problems)
    records.fail_if(problems)
    now = utcnow()
    number = await records.next_number(
        session, OrderCounter, principal.tenant_id, 1, kind=data["kind"]
    )
    order = Order(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        kind=data["kind"],
        number=number,
        status="DRAFT",
        currency=currency,
        notes=notes,
        valid_until=data.get("valid_until"),
        created_by_id=principal.worker_id,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
        **_totals(rows),
    )
    session.add(order)
    await session.flush()
    await _write_lines(session, order.id, rows)
    if key is not None:
        await session.execute(
            update(OrderIdempotencyKey)
            .where(
                OrderIdempotencyKey.tenant_id == principal.tenant_id,
                OrderIdempotencyKey.key == key,
            )
            .values(order_id=order.id)
        )
    await _emit(
        session,
        principal,
        order,
        "order.created",
        kind=order.kind,
        total=order.total_amount,
        currency=order.currency,
    )
    return order


async def get_order(session: AsyncSession, principal: Principal, order_id: int) -> Order:
    return await records.for_update(session, principal, Order, order_id, "Order")


async def update_order(
    session: AsyncSession, principal: Principal, order_id: int, changes: dict
) -> Order:
    """Only the keys of `changes` change. Lines and currency: only in DRAFT
    (`ORDER_NOT_DRAFT`); notes and valid-until: in any status."""
    access.require(principal, MANAGE)
    order = await get_order(session, principal, order_id)
    problems: list[Problem] = []
    values: dict = {}
    if "notes" in changes:
        values["notes"] = records.clean_text(changes["notes"], ("input", "notes"), 10_000, problems)
    if "valid_until" in changes:
        values["valid_until"] = changes["valid_until"]
    currency = order.currency
    if "currency" in changes:
        currency = values["currency"] = check_currency(
            changes["currency"], ("input", "currency"), problems
        )
    repriced = "lines" in changes or "currency" in changes
    if repriced and order.status != "DRAFT":
        raise InvalidInput.one(
            ("input", "lines" if "lines" in changes else "currency"),
            f"{reference(order.kind, order.number)} is {order.status}; lines and currency "
            "change only while it is a DRAFT.",
            "ORDER_NOT_DRAFT",
        )
    rows = None
    if "lines" in changes:
        rows = await _lines(session, principal.tenant_id, currency, changes["lines"], problems)
    elif "currency" in changes and currency != order.currency:
        # the lines' prices were written in the old currency: the client sends them again
        problems.append(
            Problem(("input", "lines"), "Send the lines again in the new currency.", "REQUIRED")
        )
    records.fail_if(problems)
    if rows is not None:
        values.update(_totals(rows))
    changed = [k for k, v in values.items() if getattr(order, k) != v]
    for key in changed:
        setattr(order, key, values[key])
    if rows is not None:
        await session.execute(delete(OrderLine).where(OrderLine.order_id == order.id))
        await _write_lines(session, order.id, rows)
    if changed or rows is not None:
        order.updated_at = utcnow()
        await session.flush()
    return order


def invoice_request(order: Order, lines: list[OrderLine]) -> dict | None:
    """The order as an invoice request: one invoice line per order line at its net (after
    its discount) with its tax rate, so payments' per-rate tax gives the order's tax and
    total exactly. None for an order worth nothing (nothing to invoice)."""
    if order.total_amount <= 0:
        return None
    items = []
    for line in lines:
        if line.discount_rate:
            percent = f"{line.discount_rate / 100:g}"
            text = f"{line.description} ({line.quantity} x {line.unit_amount}, -{percent} %)"
            quantity, unit = 1, line.net_amount
        else:
            text, quantity, unit = line.description, line.quantity, line.unit_amount
        items.append(
            {
                "description": text[:500],
                "quantity": quantity,
                "unitAmount": unit,
                "taxRate": line.tax_rate,
            }
        )
    return {
        "source": f"orders:{order.id}",
        "currency": order.currency,
        "lines": items,
        "issue": True,
        "note": f"For {reference(order.kind, order.number)}.",
    }


async def set_status(
    session: AsyncSession, principal: Principal, order_id: int, status: str
) -> Order:
    """A legal move or `INVALID_TRANSITION` naming both ends; the current status is a no-op.
    Every move emits `order.status_changed`; reaching ACCEPTED emits `order.accepted` with
    the invoice request too."""
    access.require(principal, MANAGE)
    order = await get_order(session, principal, order_id)
    old = order.status
    if not TRANSITIONS.check(old, status):
        return order
    now = utcnow()
    order.status = status
    order.status_changed_at = order.updated_at = now
    await session.flush()
    await _emit(session, principal, order, "order.status_changed", **{"from": old, "to": status})
    if status == "ACCEPTED":
        lines = list(
            await session.scalars(
                select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position)
            )
        )
        await _emit(session, principal, order, "order.accepted", **accepted(order, lines))
    return order


def accepted(order: Order, lines: list[OrderLine]) -> dict:
    """`order.accepted`'s own data: the total and the invoice request (none for an order
    worth nothing). The demo's accepted orders send the same (`demo.py`)."""
    data = {"total": order.total_amount, "currency": order.currency}
    request = invoice_request(order, lines)
    if request is not None:
        data["invoice_request"] = request
    return data


async def invoice_made(session: AsyncSession, tenant_id: int, data: dict) -> None:
    """`invoice.issued` for one of our requests (`source` "orders:<id>"): the order shows
    the invoice's global id. Idempotent: a replay writes the same value."""
    source, invoice_id = data.get("source"), data.get("invoiceId")
    if not isinstance(source, str) or not source.startswith("orders:") or not invoice_id:
        return
    try:
        order_id = int(source.removeprefix("orders:"))
    except ValueError:
        return
    await session.execute(
        update(Order)
        .where(Order.tenant_id == tenant_id, Order.id == order_id)
        .values(invoice_ref=str(invoice_id)[:64])
    )


async def move_orders(session: AsyncSession, tenant_id: int, source_id: int, target_id: int):
    """Merging customers: the orders (and so their lines) follow; numbers stay."""
    await records.move_to_customer(session, tenant_id, source_id, target_id, Order)
