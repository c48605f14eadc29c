"""A module's lists on its `Customer` field, compiled (`ModuleField.lists`): a connection
with `first`/`after` (`tickets { open(first: 10) { … } }`), every row (`payments { methods
}`) or the first row or null (`appointments { next }`).

The module declares a list once, as the resolver reads it: its table, its conditions, its
order (`core.keyset.Order`, whose cursors the SQL writes as `Order.cursor` does), derived
columns (what depends on the time uses `core.models.now_param()`), and each field of its
node as a `schema.compiled.objects` table. The compiler makes a part of each list's rows per
page (`keyset.grouped_pages_query`'s rows numbered per customer, `rank__`, a row more than
the page), not joined to the page's rows but read by the JSON of each customer; a
`totalCount` is a second part, joined, of the same conditions counted.

Boundary: arguments written in the document (`first: 10`, a cursor in `after`); a variable
or another argument (a filter, `status`) takes the usual path, and so does a list whose
declaration has no count when `totalCount` is selected. A bad literal (`first: 500`, a
foreign cursor) takes it too, and gets the resolver's error there."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson
from graphql import VariableNode, value_from_ast_untyped
from sqlalchemy import Boolean, Date, DateTime, Integer, func, select

from core.errors import DomainError
from core.keyset import Order
from core.pagination import PageRequest
from schema.compiled import grouped
from schema.compiled.customers import Part
from schema.compiled.dialects import literal as lit
from schema.compiled.objects import Compile, Scope, fixed, obj, row_of, worker
from schema.compiled.selection import Field, NotCompiled

KINDS = ("connection", "list", "first")


@dataclass(frozen=True)
class ModuleList:
    """A list field of a module's type on `Customer` (`ModuleField.lists[name]`):
    - `table`: the rows' table (with `customer_id`); `where(principal)`: the resolver's
      conditions (the tenant's included);
    - `node`: the node's fields, `{GraphQL name: Compile}` over a row of the table and the
      `columns` (`schema.compiled.objects.column`, `gid`, and `money`, `worker`, `row_of`,
      `mapped` here);
    - `columns(principal)`: derived columns `{label: SQL expression}` (a status by the day,
      `overdue` by now: `now_param()` / `today_param()`, never a time read in Python);
    - `kind`: "connection" (`first`, `after`; `order` makes its cursors), "list" (every
      row) or "first" (the first row, or null); `order`, or `sort` (order-by terms) for a
      list without cursors;
    - `counted`: `totalCount` (and `totalCountIsExact`) are the rows of `where` counted,
      as the resolver's count loader reads them."""

    table: object
    where: Callable[[object], Sequence]
    node: dict[str, Compile]
    kind: str = "connection"
    order: Order | None = None
    sort: Callable[[], Sequence] | None = None
    columns: Callable[[object], dict] | None = None
    counted: bool = False

    def compile(self, owner: str, name: str) -> Compile:
        """The field `name` of the module's type `owner` (where `ModuleField.lists` is)."""
        if self.kind not in KINDS or (self.kind == "connection" and self.order is None):
            raise ValueError(f"{owner}.{name}: a {self.kind} needs an order")

        def compile_(scope: Scope, f: Field, row: str) -> str:
            return _compile(self, scope, f, row, grouped.named(scope, owner, f.name))

        compile_.arguments = True
        return compile_


def _page(spec: ModuleList, f: Field) -> PageRequest | None:
    """The page the field's literal arguments ask for (None: every row)."""
    given = {}
    for argument in f.node.arguments or ():
        if isinstance(argument.value, VariableNode):
            raise NotCompiled("a list's variable")
        given[argument.name.value] = value_from_ast_untyped(argument.value)
    if spec.kind == "first":
        if given:
            raise NotCompiled("arguments")
        return PageRequest(1)
    if spec.kind == "list":
        if given:
            raise NotCompiled("arguments")
        return None
    if set(given) - {"first", "after"}:
        raise NotCompiled(f"arguments {sorted(given)}")
    try:
        return spec.order.request(given.get("first"), given.get("after"))
    except DomainError as error:  # the usual path says what is wrong
        raise NotCompiled("a bad page") from error


def _rows(spec: ModuleList, page: PageRequest | None):
    """The part: the customers' rows (a page each, numbered `rank__` from 1)."""

    def query(principal, plugins, ids):
        t = spec.table
        conditions = [t.c.customer_id.in_(ids), *spec.where(principal)]
        if page is not None and page.after is not None:
            conditions.append(spec.order.after(page.after))
        sort = spec.order.sort() if spec.order is not None else list(spec.sort())
        rank = func.row_number().over(partition_by=t.c.customer_id, order_by=sort)
        derived = spec.columns(principal) if spec.columns else {}
        made = (label.label(name) for name, label in derived.items())
        ranked = select(*t.c, *made, rank.label("rank__")).where(*conditions).subquery()
        found = select(ranked)
        return found if page is None else found.where(ranked.c.rank__ <= page.size + 1)

    return query


def _count(spec: ModuleList):
    def query(principal, plugins, ids):
        t = spec.table
        n = func.count().label("n")
        conditions = [t.c.customer_id.in_(ids), *spec.where(principal)]
        return select(t.c.customer_id, n).where(*conditions).group_by(t.c.customer_id)

    return query


def _compile(spec: ModuleList, scope: Scope, f: Field, row: str, type_name: str) -> str:
    d = scope.d
    page = _page(spec, f)
    name = scope.alias("ml_")
    scope.parts[name] = Part(name, _rows(spec, page), "customer_id", (), joined=False)
    r = scope.alias("r")
    mine = f"FROM {name} {r} WHERE {r}.customer_id = {row}.id"
    if spec.kind == "first":
        return d.sub(f"SELECT {obj(scope, type_name, spec.node, f, r)} {mine} AND {r}.rank__ = 1")
    if spec.kind == "list":
        return d.array(obj(scope, type_name, spec.node, f, r), mine, f"{r}.rank__")
    more = {}
    if spec.counted:
        counts = f"{name}_n"

        def total(s: Scope, _f: Field, _row: str) -> str:
            """A part of its own, joined only when the count is selected."""
            s.parts.setdefault(counts, Part(counts, _count(spec), "customer_id", ("n",)))
            return f"coalesce({row}.{counts}__n, 0)"

        more["totalCount"] = total
        more["totalCountIsExact"] = fixed(d.boolean("TRUE"))
    return grouped.connection(
        scope, f, type_name,
        rows=lambda a: f"FROM {name} {a} WHERE {a}.customer_id = {row}.id",
        rank="rank__", size=str(page.size),
        previous="TRUE" if page.after is not None else "FALSE",
        cursor=lambda a: cursor_sql(d, spec.order, a), node=spec.node, more=more,
    )  # fmt: skip


def cursor_sql(d, order: Order, at: str) -> str:
    """`Order.cursor` of the row `at`: base64url of `[key, [values], id]` as orjson writes
    it (no spaces; a datetime `{"t": isoformat}`, a date `{"d": …}`)."""
    values = [_json_value(d, c, f"{at}.{c.key}") for c, _, _ in order.columns]
    inner = " || ',' || ".join(values) if values else "''"
    key = lit(orjson.dumps(order.key).decode())
    text = f"'[' || {key} || ',[' || {inner} || '],' || {at}.id || ']'"
    return d.b64url(text)


def _json_value(d, column, expr: str) -> str:
    kind = getattr(column.type, "impl_instance", column.type)
    if isinstance(kind, DateTime):
        made = f"""'{{"t":"' || {d.ts(expr)} || '"}}'"""
    elif isinstance(kind, Date):
        made = f"""'{{"d":"' || {d.date(expr)} || '"}}'"""
    elif isinstance(kind, Boolean):
        made = f"CASE WHEN {expr} THEN 'true' ELSE 'false' END"
    elif isinstance(kind, Integer):
        made = f"CAST({expr} AS TEXT)"
    else:
        made = d.json_text(expr)
    return f"coalesce({made}, 'null')"


# --- node fields beyond `schema.compiled.objects`' ----------------------------------------


def money(amount: str, currency: str) -> Compile:
    """A `Money` of two columns of the row."""
    table = {
        "amount": lambda s, f, row: f"{row}.{amount}",
        "currency": lambda s, f, row: f"{row}.{currency}",
    }

    def compile_(scope: Scope, f: Field, row: str) -> str:
        return obj(scope, "Money", table, f, row)

    return compile_


def mapped(column: str, names: dict) -> Compile:
    """An enum stored as another value (a rank): `{stored value: GraphQL name}`."""
    whens = " ".join(
        f"WHEN {v if isinstance(v, int) else lit(v)} THEN {lit(n)}" for v, n in names.items()
    )
    return lambda scope, f, row: f"CASE {row}.{column} {whens} END"


__all__ = ["row_of", "worker"]  # a module's lists name them from here
