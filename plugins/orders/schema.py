"""The `orders` field on Customer (the order history and the open orders' count), the
catalog query, and the catalog and order mutations."""

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from types import SimpleNamespace
from typing import Annotated

import strawberry
from graphql import GraphQLError
from graphql.execution.values import VariableValues, get_argument_values
from sqlalchemy import select
from strawberry import UNSET

from core import access, keyset, multiread
from core.records import utc
from plugins.orders import catalog, service
from plugins.orders import queries as q
from plugins.orders.types import LINES, Order, OrderKind, OrderStatus, Product
from schema import kit, overview
from schema.compiled.customers import ModuleField, per_customer
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.money import MoneyInput
from schema.payloads import payload
from schema.relay import Connection

VIEW = "orders.view"
OPEN = "orders.open"  # the open count's loader, which the look-ahead primes


@dataclass(frozen=True)
class Plan:
    """What one `all` selection reads in the look-ahead: its first page, and when selected
    its count, the page's lines and their creators."""

    history: q.History
    first: int | None
    count: bool
    lines: bool
    workers: bool


@dataclass(frozen=True)
class Overview:
    """What the selection under `orders` reads in one statement: the open count, and the
    first page of each `all` (whatever its filters)."""

    open: bool = False
    lists: frozenset = frozenset()


def _history(status, kind, since, until) -> q.History:
    def values(chosen):
        if chosen is None:
            return None
        chosen = chosen if isinstance(chosen, list) else [chosen]
        return tuple(sorted({c.value if isinstance(c, Enum) else c for c in chosen}))

    return q.History(values(status), values(kind), utc(since), utc(until))


def _arguments(field: overview.Selected) -> dict | None:
    """`all`'s arguments as its resolver gets them (enums, times), or None when they do not
    coerce: the resolver then answers the error and the look-ahead reads nothing for it."""
    definition = field.info.schema.get_type("CustomerOrders").fields["all"]
    values = field.info.variable_values  # the coerced values, or them with their sources
    if not isinstance(values, VariableValues):
        values = VariableValues({}, values)
    try:
        return get_argument_values(definition, field.node, values)
    except (GraphQLError, TypeError, ValueError):
        return None


def _list_plan(field: overview.Selected) -> Plan | None:
    page, args = overview.first_page(field), _arguments(field)
    if page is None or args is None:
        return None
    shown = [sub for f in field.selections if f.name == "nodes" for sub in f.selections]
    shown += [
        sub
        for f in field.selections
        if f.name == "edges"
        for edge in f.selections
        if edge.name == "node"
        for sub in edge.selections
    ]
    counted = overview.selects(field, "totalCount")
    if not counted and not any(f.name in ("nodes", "edges") for f in field.selections):
        return None
    history = _history(args.get("status"), args.get("kind"), args.get("from"), args.get("to"))
    return Plan(
        history,
        args.get("first"),
        counted,
        any(f.name == "lines" for f in shown),
        any(f.name == "createdBy" for f in shown),
    )


def _overview(fields) -> Overview | None:
    counted = any(f.name == "openCount" for f in fields)
    lists = {plan for f in fields if f.name == "all" if (plan := _list_plan(f)) is not None}
    if not (counted or lists):
        return None
    return Overview(counted, frozenset(lists))


async def _read(conn, ctx, customer_ids: list[int], want: Overview) -> None:
    """All of `want` for these customers in one statement (`core.multiread`), into the
    loaders the open count, the histories, their lines and their workers read through."""
    tenant_id = ctx.principal.tenant_id
    parts, lists = {}, {}
    if want.open:
        parts["open"] = q.open_counts(tenant_id, customer_ids)
    for plan in want.lists:
        loaders = kit.list_loaders(
            SimpleNamespace(context=ctx),
            _name(plan.history),
            q.ORD,
            q.NEWEST,
            plan.first,
            None,
            plan.history.conditions(),
        )
        lists[plan] = loaders
        conditions = [q.ORD.c.tenant_id == tenant_id, *plan.history.conditions()]
        shown = keyset.grouped_pages_query(
            q.ORD, "customer_id", customer_ids, conditions, q.NEWEST, loaders[2]
        )
        parts[plan, "pages"] = shown
        ids = shown.order_by(None).subquery()
        if plan.count:
            parts[plan, "count"] = keyset.counts_query(
                q.ORD, "customer_id", tenant_id, customer_ids, *plan.history.conditions()
            )
        if plan.lines:
            parts[plan, "lines"] = q.lines_query(tenant_id, select(ids.c.id))
        if plan.workers:
            parts[plan, "workers"] = overview.workers_among(tenant_id, select(ids.c.created_by_id))
    found = dict(zip(parts, await multiread.read(conn, list(parts.values())), strict=True))
    if want.open:
        counted = overview.by_customer(found["open"])
        opened = ctx.loaders.custom(OPEN, q.open_count_list)
        for customer_id in customer_ids:
            opened.prime(customer_id, counted.get(customer_id, 0))
    for plan, (pages, counts, page) in lists.items():
        rows = found[plan, "pages"]
        made = keyset.pages_of(rows, "customer_id", customer_ids, q.NEWEST, page)
        for customer_id, made_page in zip(customer_ids, made, strict=True):
            pages.prime(customer_id, made_page)
        if plan.count:
            totals = overview.by_customer(found[plan, "count"])
            for customer_id in customer_ids:
                counts.prime(customer_id, totals.get(customer_id, 0))
        if plan.lines:
            by_order = overview.grouped(found[plan, "lines"], "order_id")
            lines = ctx.loaders.custom(LINES, q.lines)
            for row in rows:
                lines.prime(row["id"], by_order.get(row["id"], []))
        if plan.workers:
            overview.prime_workers(ctx, found[plan, "workers"])


def _name(history: q.History) -> str:
    return f"orders.history:{history!r}"


@strawberry.type(description="A customer's orders: what the Orders tab shows.")
class CustomerOrders:
    customer_id: strawberry.Private[int]

    @strawberry.field(
        description="The customer's quotes, proposals and purchase orders, newest first; at "
        "most 100 a page (default 20). Filters: any of `status`, any of `kind`, created in "
        "[`from`, `to`)."
    )
    async def all(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[OrderStatus] | None = None,
        kind: list[OrderKind] | None = None,
        from_: Annotated[
            datetime | None,
            strawberry.argument(name="from", description="Created at or after (inclusive)."),
        ] = None,
        to: Annotated[
            datetime | None, strawberry.argument(description="Created before (exclusive).")
        ] = None,
    ) -> Connection[Order]:
        history = _history(status, kind, from_, to)
        return await kit.customer_list(
            info,
            _name(history),
            q.ORD,
            self.customer_id,
            q.NEWEST,
            first,
            after,
            Order.from_row,
            history.conditions(),
        )

    @strawberry.field(
        description="Orders not yet fulfilled, rejected or cancelled (the tab's badge)."
    )
    async def open_count(self, info: Info) -> int:
        return await info.context.loaders.custom(OPEN, q.open_count_list).load(self.customer_id)


async def customer_orders(root: Customer, info: Info) -> CustomerOrders:
    access.require(info.context.principal, VIEW)
    want = overview.plan(info, "orders", _overview)
    if want is not None:
        await overview.read_once(info, "orders", root.pk, want, _read)
    return CustomerOrders(customer_id=root.pk)


def compiled_orders(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`orders { openCount }` in the compiled path (`schema/compiled`): the badge's count,
    which the look-ahead read runs too, per page. No time in it: it is built once per
    principal and kept."""
    if not access.can(principal, VIEW) or not set(names) <= {"openCount"}:
        return None

    def query(principal, customer_ids):
        return per_customer({"open": q.open_counts(principal.tenant_id, customer_ids)})

    return ModuleField(query, {"openCount": ("open", "int", "0")})


async def products(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    search: Annotated[
        str | None, strawberry.argument(description="Part of the name or SKU, any case.")
    ] = None,
    category: Annotated[str | None, strawberry.argument(description="Exactly this.")] = None,
    active: Annotated[
        bool | None,
        strawberry.argument(description="true: only active; false: only inactive; null: all."),
    ] = None,
) -> Connection[Product]:
    principal = info.context.principal
    access.require(principal, VIEW)
    search = (search or "").strip()[:200] or None
    query = q.catalog(principal.tenant_id, search, category, active)
    return await kit.tenant_list(info, query, q.BY_NAME, first, after, Product.from_row)


# --- catalog mutations ---------------------------------------------------------------------

ProductPayload = payload(Product, "product")
OrderPayload = payload(Order, "order")

RATE = "Basis points, 0 to 10000 (1900 = 19%)."


@strawberry.input(description="A new product or service; needs `orders.catalog`.")
class CreateProductInput:
    name: str = strawberry.field(description="Required, at most 200 characters.")
    sku: str = strawberry.field(
        description="Unique in the business whatever its case (TAKEN); letters, digits, . _ / -"
    )
    price: MoneyInput = strawberry.field(description="Per unit; 0 or more minor units.")
    tax_rate: int = strawberry.field(default=0, description=RATE)
    description: str | None = None
    category: str | None = strawberry.field(default=None, description="Free text.")
    active: bool = True


@strawberry.input(description="Only the members sent change; needs `orders.catalog`.")
class UpdateProductInput:
    id: strawberry.ID
    name: str | None = UNSET
    sku: str | None = UNSET
    price: MoneyInput | None = UNSET
    tax_rate: int | None = strawberry.field(default=UNSET, description=RATE)
    description: str | None = UNSET
    category: str | None = UNSET


@strawberry.input(description="Inactive products stay on the orders that have them.")
class SetProductActiveInput:
    id: strawberry.ID
    active: bool


def _price(value: MoneyInput | None):
    return None if value is None else catalog.Price(value.amount, value.currency)


async def create_product(info: Info, input: CreateProductInput) -> ProductPayload:
    data = {
        "name": input.name,
        "sku": input.sku,
        "price": _price(input.price),
        "tax_rate": input.tax_rate,
        "description": input.description,
        "category": input.category,
        "active": input.active,
    }

    def work(session, principal):
        return catalog.create_product(session, principal, data)

    return await kit.save(info, ProductPayload, "product", Product, work)


async def update_product(info: Info, input: UpdateProductInput) -> ProductPayload:
    names = ("name", "sku", "tax_rate", "description", "category")
    changes = {k: getattr(input, k) for k in names if getattr(input, k) is not UNSET}
    if input.price is not UNSET:
        changes["price"] = _price(input.price)
    product_id = from_global_id(input.id, "Product")

    def work(session, principal):
        return catalog.update_product(session, principal, product_id, changes)

    return await kit.save(info, ProductPayload, "product", Product, work)


async def set_product_active(info: Info, input: SetProductActiveInput) -> ProductPayload:
    product_id = from_global_id(input.id, "Product")

    def work(session, principal):
        return catalog.update_product(session, principal, product_id, {"active": input.active})

    return await kit.save(info, ProductPayload, "product", Product, work)


# --- order mutations -----------------------------------------------------------------------


@strawberry.input(
    description="A catalog product (its name, price and tax rate fill what is left out) or a "
    "free-text line (description and unitAmount required)."
)
class OrderLineInput:
    product_id: strawberry.ID | None = None
    description: str | None = strawberry.field(default=None, description="At most 500.")
    quantity: int = strawberry.field(default=1, description="1 to 1,000,000.")
    unit_amount: int | None = strawberry.field(
        default=None, description="Minor units of the order's currency, 0 or more."
    )
    discount_rate: int = strawberry.field(default=0, description=RATE)
    tax_rate: int | None = strawberry.field(default=None, description=RATE)


@strawberry.input(description="A new order; it starts as a DRAFT with the next number.")
class CreateOrderInput:
    customer_id: strawberry.ID
    kind: OrderKind
    currency: str = strawberry.field(description="ISO-4217; every line is in it.")
    lines: list[OrderLineInput] = strawberry.field(description="1 to 100.")
    notes: str | None = None
    valid_until: date | None = None
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Send one and retry with it: the retry answers the first order and writes "
        "nothing. Reused with other data: IDEMPOTENCY_KEY_REUSED.",
    )


@strawberry.input(
    description="Only the members sent change. Lines and currency only while DRAFT "
    "(ORDER_NOT_DRAFT); a new currency needs the lines again. Lines replace all lines."
)
class UpdateOrderInput:
    id: strawberry.ID
    lines: list[OrderLineInput] | None = UNSET
    currency: str | None = UNSET
    notes: str | None = UNSET
    valid_until: date | None = UNSET


@strawberry.input(
    description="DRAFT → SENT → ACCEPTED | REJECTED; ACCEPTED → ORDERED → FULFILLED; "
    "CANCELLED from DRAFT, SENT, ACCEPTED, ORDERED. Anything else: INVALID_TRANSITION."
)
class SetOrderStatusInput:
    id: strawberry.ID
    status: OrderStatus


def _lines(lines: list[OrderLineInput] | None) -> list[service.LineIn]:
    return [
        service.LineIn(
            product_id=None
            if line.product_id is None
            else from_global_id(line.product_id, "Product"),
            description=line.description,
            quantity=line.quantity,
            unit_amount=line.unit_amount,
            discount_rate=line.discount_rate,
            tax_rate=line.tax_rate,
        )
        for line in lines or []
    ]


def _order_id(value: strawberry.ID) -> int:
    return from_global_id(value, "Order")


async def create_order(info: Info, input: CreateOrderInput) -> OrderPayload:
    data = {
        "customer_id": from_global_id(input.customer_id, "Customer"),
        "kind": input.kind.value,
        "currency": input.currency,
        "lines": _lines(input.lines),
        "notes": input.notes,
        "valid_until": input.valid_until,
        "idempotency_key": input.idempotency_key,
    }

    def work(session, principal):
        return service.create_order(session, principal, data)

    return await kit.save(info, OrderPayload, "order", Order, work, "customerId")


async def update_order(info: Info, input: UpdateOrderInput) -> OrderPayload:
    names = ("currency", "notes", "valid_until")
    changes = {k: getattr(input, k) for k in names if getattr(input, k) is not UNSET}
    if input.lines is not UNSET:
        changes["lines"] = _lines(input.lines)
    order_id = _order_id(input.id)

    def work(session, principal):
        return service.update_order(session, principal, order_id, changes)

    return await kit.save(info, OrderPayload, "order", Order, work)


async def set_order_status(info: Info, input: SetOrderStatusInput) -> OrderPayload:
    order_id, status = _order_id(input.id), input.status.value

    def work(session, principal):
        return service.set_status(session, principal, order_id, status)

    return await kit.save(info, OrderPayload, "order", Order, work)


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_orders,
        name="orders",
        description="Orders module: the customer's quotes, proposals and purchase orders.",
    )
]
QUERY_FIELDS = [
    strawberry.field(
        resolver=products,
        description="The business's catalog by name; at most 100 a page (default 20).",
    )
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=create_product, description="Add a product to the catalog."),
    strawberry.mutation(resolver=update_product, description="Change a catalog product."),
    strawberry.mutation(
        resolver=set_product_active, description="Activate or deactivate a catalog product."
    ),
    strawberry.mutation(resolver=create_order, description="Write a new order for a customer."),
    strawberry.mutation(
        resolver=update_order, description="Change an order's lines, currency, notes or date."
    ),
    strawberry.mutation(resolver=set_order_status, description="Move an order to another status."),
]
