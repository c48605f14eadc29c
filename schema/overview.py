"""One read per customer and request for a field whose sub-fields each have a loader (a
module's field on `Customer`, the customer itself on a profile): the field looks at what is
selected under it, one statement (`core.multiread`) reads all of that for every customer
asking alike, and primes the sub-fields' loaders, so they find their rows and run nothing.

Why: a profile selects a dozen such sub-fields, each a statement of its own, and their
number was most of its cost. The sub-fields keep their loaders: whatever the look-ahead
did not foresee (a cursor, a filter) still loads, at a statement of its own."""

import dataclasses
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from enum import Enum

from graphql import FieldNode, FragmentSpreadNode, GraphQLResolveInfo
from graphql.pyutils import Undefined
from graphql.utilities import value_from_ast_untyped
from sqlalchemy import Select, select

from core.models import Worker
from core.pagination import MAX_PAGE, PageRequest
from schema.context import Context, Info

Read = Callable[[object, Context, list[int], Hashable], Awaitable[None]]


@dataclass(frozen=True)
class Selected:
    """A field of the query, read from its syntax tree only as deep as asked (Strawberry's
    `selected_fields` converts the whole subtree, on a profile hundreds of fields)."""

    node: FieldNode
    info: GraphQLResolveInfo

    @property
    def name(self) -> str:
        return self.node.name.value

    @property
    def arguments(self) -> dict:
        values = self.info.variable_values
        values = getattr(values, "coerced", values)
        found = {}
        for argument in self.node.arguments or ():
            value = value_from_ast_untyped(argument.value, values)
            found[argument.name.value] = None if value is Undefined else value
        return found

    @property
    def selections(self) -> list["Selected"]:
        return _flat(self.info, [self.node])


def _flat(info: GraphQLResolveInfo, nodes) -> list[Selected]:
    found = []

    def walk(selection_set) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                found.append(Selected(selection, info))
            elif isinstance(selection, FragmentSpreadNode):
                walk(info.fragments[selection.name.value].selection_set)
            else:
                walk(selection.selection_set)

    for node in nodes:
        walk(node.selection_set)
    return found


def selected(info: Info) -> list[Selected]:
    """The fields selected under the one being resolved, fragments flattened."""
    raw = info._raw_info
    return _flat(raw, raw.field_nodes)


def plan(info: Info, name: str, make: Callable[[list[Selected]], Hashable]) -> Hashable:
    """`make(selected fields)`, worked out once per request and field of the query (a list
    page asks for it on each of its rows)."""
    plans = info.context.loaders.plans
    key = (name, *(step for step in info.path.as_list() if not isinstance(step, int)))
    if key not in plans:
        plans[key] = make(selected(info))
    return plans[key]


async def read_once(info: Info, name: str, customer_id: int, wanted: Hashable, read: Read):
    """Awaits `read(conn, context, customer ids, wanted)` once for all the customers whose
    field asks for the same `wanted` in this tick: it reads in one statement and primes the
    request's loaders."""
    ctx = info.context

    async def batch(conn, _principal, keys):
        customers = defaultdict(list)
        for customer_id, plan in dict.fromkeys(keys):
            customers[plan].append(customer_id)
        for plan, ids in customers.items():
            await read(conn, ctx, ids, plan)
        return [None] * len(keys)

    await ctx.loaders.custom(f"{name}.overview", batch).load((customer_id, wanted))


def argument(field: Selected, name: str):
    """An argument of `field` as plain data (text, numbers, lists, dicts): a literal comes as
    its text, a variable as the resolver would get it (enums, input objects)."""
    return _plain(field.arguments.get(name))


def _plain(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {key: _plain(v) for key, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def first_page(field: Selected) -> PageRequest | None:
    """The first page a connection field asks for, `first` as its resolver gets it; None
    for another page (a cursor, `last`) or a size it may not have (its resolver says so)."""
    args = field.arguments
    if any(args.get(name) is not None for name in ("after", "last", "before")):
        return None
    first = args.get("first")
    if first is None:
        return PageRequest()
    try:
        first = int(first)  # a literal comes as its text
    except (TypeError, ValueError):
        return None
    return PageRequest(first=first) if 0 <= first <= MAX_PAGE else None


def selects(field: Selected, name: str) -> bool:
    """Whether `name` is selected on the nodes of connection `field` (or on `field`)."""
    for sub in field.selections:
        if sub.name == name:
            return True
        if sub.name in ("nodes", "edges", "node") and selects(sub, name):
            return True
    return False


def workers_among(tenant_id: int, ids) -> Select:
    """The workers `ids` (a select) names, as `loaders.worker` reads them: a module's page
    brings the workers its rows show (`prime_workers`)."""
    return select(Worker.__table__).where(Worker.tenant_id == tenant_id, Worker.id.in_(ids))


def prime_workers(ctx: Context, rows: list[dict]) -> None:
    for row in rows:
        ctx.loaders.worker.prime(row["id"], row)


def by_customer(rows: list[dict]) -> dict:
    """`{customer id: n}` of rows of (customer id, n)."""
    return dict(tuple(row.values()) for row in rows)


def grouped(rows: list[dict], key: str = "customer_id") -> dict[int, list[dict]]:
    found = defaultdict(list)
    for row in rows:
        found[row[key]].append(row)
    return found
