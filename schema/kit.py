"""What a module's GraphQL face shares: types built from rows, the workers and customer a row
points at, node loading under the visibility rule, a customer's list as a connection whose
pages and counts load for a whole page of customers at once, and mutation payloads.

Why here: four modules wrote each of these by hand, and a new tab would have copied them a
fifth time. Plain functions over the module's own types; `core.keyset` and `core.records`
are their database halves."""

import dataclasses
import types
import typing
from collections.abc import Callable
from enum import Enum
from functools import cache

from sqlalchemy import func, select

from core import keyset
from core.keyset import Order
from schema.context import Info
from schema.customers.types import Customer
from schema.payloads import as_row, mutate
from schema.relay import Connection, connection
from schema.team.types import Worker


@cache
def _columns(cls) -> tuple[tuple[str, type | None], ...]:
    """(field, enum to build) for each constructor field of a Strawberry type."""
    found = []
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        hint = field.type
        if typing.get_origin(hint) is typing.Annotated:
            hint = typing.get_args(hint)[0]
        if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
            hint = next((a for a in typing.get_args(hint) if a is not type(None)), None)
        enum = hint if isinstance(hint, type) and issubclass(hint, Enum) else None
        found.append((field.name, enum))
    return tuple(found)


def from_row(cls, row, **given):
    """An instance of the type `cls` from a row (a mapping or an ORM object): `pk` is the
    row's id, each other field the column of its name (enums built from their stored
    value), unless `given` says otherwise."""
    if not isinstance(row, dict) and hasattr(row, "__table__"):
        row = as_row(row)
    values = {}
    for name, enum in _columns(cls):
        if name in given:
            values[name] = given[name]
        elif name == "pk":
            values[name] = row["id"]
        elif name in row:
            value = row[name]
            values[name] = enum(value) if enum is not None and value is not None else value
    return cls(**values)


def build(cls, row):
    """`cls.from_row(row)` where the type has its own, else `from_row(cls, row)`."""
    own = getattr(cls, "from_row", None)
    if own is not None:
        return own(as_row(row) if hasattr(row, "__table__") else row)
    return from_row(cls, row)


def loader(info: Info, key: str, batch):
    """The request's loader named `key`: `batch(conn, principal, keys)` returns one result per
    key, in order, in one statement."""
    return info.context.loaders.custom(key, batch)


async def worker(info: Info, worker_id: int | None) -> Worker | None:
    """The worker a row points at; None for none, or once that worker is removed."""
    if worker_id is None:
        return None
    row = await info.context.loaders.worker.load(worker_id)
    return Worker.from_row(row) if row else None


async def workers(info: Info, worker_ids) -> list[Worker]:
    rows = await info.context.loaders.worker.load_many(list(worker_ids))
    return [Worker.from_row(r) for r in rows if r]


async def customer(info: Info, customer_id: int) -> Customer | None:
    """The customer a row belongs to; None when the viewer may not see it."""
    row = await info.context.loaders.customer.load(customer_id)
    return Customer.from_row(row) if row else None


def node_loader(table, cls):
    """A `hub_node_resolvers` value: rows of `table` by id for `node(id:)`, under the
    visibility rule (another tenant's or a hidden customer's row is null)."""

    async def batch(conn, principal, ids):
        return await keyset.visible_by_ids(conn, table, principal, ids)

    async def load(info: Info, pk: int):
        row = await loader(info, f"{table.name}.by_id", batch).load(pk)
        return build(cls, row) if row else None

    return load


def list_loaders(info: Info, name: str, table, order: Order, first, after, conditions=()):
    """(pages loader, counts loader, page request) of one customer list, keyed by `name`
    (which must say everything `conditions` depend on), order and arguments. A module's
    look-ahead read (`schema/overview.py`) primes them; `customer_list` loads from them."""
    page = order.request(first, after)

    def where(principal):
        return [table.c.tenant_id == principal.tenant_id, *conditions]

    async def pages(conn, principal, ids):
        return await keyset.grouped_pages(
            conn, table, "customer_id", ids, where(principal), order, page
        )

    async def counts(conn, principal, ids):
        return await keyset.counts(
            conn, table, "customer_id", principal.tenant_id, ids, *conditions
        )

    return (
        loader(info, f"{name}:{order.key}:{first}:{after}", pages),
        loader(info, f"{name}:count", counts),
        page,
    )


def tenant_node_loader(table, cls):
    """`node(id:)` for a tenant's own rows that belong to no customer (templates, settings):
    the tenant's rows by id, another tenant's are null."""

    async def batch(conn, principal, ids):
        query = select(*table.c).where(
            table.c.tenant_id == principal.tenant_id, table.c.id.in_(ids)
        )
        return await keyset.by_ids(conn, query, ids)

    async def load(info: Info, pk: int):
        row = await loader(info, f"{table.name}.by_id", batch).load(pk)
        return build(cls, row) if row else None

    return load


async def customer_list(
    info: Info,
    name: str,
    table,
    customer_id: int,
    order: Order,
    first: int | None,
    after: str | None,
    build: Callable,
    conditions: tuple = (),
) -> Connection:
    """One customer's rows of `table` as a connection in `order`. `name` identifies the list
    and its `conditions` in the request (e.g. `"missions.open"`): every customer on a page
    asking for the same list shares one statement for the pages and one for the counts."""
    pages, counts, _ = list_loaders(info, name, table, order, first, after, conditions)
    found = await pages.load(customer_id)
    return connection(found, [build(r) for r in found.rows], lambda: counts.load(customer_id))


async def tenant_list(info: Info, query, order: Order, first, after, build) -> Connection:
    """A list across customers (an inbox, "my missions"): `query` already filtered, in
    `order`; its count is the same query counted, read only when selected."""
    page = order.request(first, after)
    ctx = info.context
    async with ctx.read() as conn:
        found = await keyset.fetch(conn, query, order, page)

    async def count() -> int:
        async with ctx.read() as conn:
            return await conn.scalar(query.with_only_columns(func.count()).order_by(None))

    return connection(found, [build(r) for r in found.rows], count)


async def save(info: Info, payload_type, field: str, node_type, work, target: str = "id"):
    """Run a write (`work(session, principal)` returning the row written) in one transaction
    and answer `<payload_type>(<field>: the row as `node_type`, userErrors)`."""
    result, errors = await mutate(info, work, target)
    node = build(node_type, result) if result is not None else None
    return payload_type(**{field: node, "user_errors": errors})
