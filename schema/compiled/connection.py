"""The `customers` connection as one statement: `WITH page AS (the resolver's select), <the
per-request parts>, n AS (page numbered, parts joined) SELECT <the connection's JSON>`.

The text depends on the operation and the order only, so it is made once per plan and order
(`Compiled.for_order`); a request builds the page's select and the parts' selects (plain
SQLAlchemy, cached compilation), binds its values and runs it."""

import re
from dataclasses import dataclass, field, replace

from graphql import get_named_type
from sqlalchemy import Boolean, Integer, String, bindparam, literal_column, select, text
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter, ClauseList, Grouping, TextClause

from core import customer_queries as q
from core import kept
from core.access import visible_customers
from core.kept import hashed_key
from core.lru import Lru
from core.models import Customer as C
from core.pagination import order_key_of
from schema.compiled import customers
from schema.compiled import timeline as compiled_timeline
from schema.compiled.dialects import MARK, bind, finish
from schema.compiled.dialects import literal as lit
from schema.compiled.objects import Scope, fixed, obj
from schema.compiled.selection import Field, NotCompiled

BIND_TYPES = {
    "tenant_id": Integer,
    "size": Integer,
    "has_previous": Boolean,
    "has_next": Boolean,
    "total": Integer,
    "exact": Boolean,
    "kids_size": Integer,
    "kids_previous": Boolean,
    "avatar_base": String,
    "tl_size": Integer,
    "tl_previous": Boolean,
}
COUNTS = ("totalCount", "totalCountIsExact")
TS_ORDERS = ("CREATED_AT", "UPDATED_AT")


@dataclass
class Statement:
    """One order's statement: the JSON text (`n` and the parts named in it) and its parts.
    `made`: the parts' CTEs per principal (`part_ctes`)."""

    json: TextClause
    numbered: str
    parts: list
    columns: tuple  # the customers' columns the page must carry
    materialized: bool = False  # PostgreSQL: each part computed once (`part_ctes`)
    one: bool = False  # the page is `customer(id:)`'s customer: parts read its id (`part_ctes`)
    made: "Lru" = field(default_factory=lambda: Lru(PRINCIPALS))
    kept: "Lru" = field(default_factory=lambda: Lru(PRINCIPALS))  # built statements, run again


PRINCIPALS = 64  # principals whose parts a statement keeps


@dataclass
class Compiled:
    """The `customers` field of one operation, for the principals of one plan key."""

    field: Field
    scope: Scope
    counted: bool
    statements: dict = field(default_factory=dict)
    converted: "Lru" = field(default_factory=lambda: Lru(ARGUMENTS))

    def for_order(self, order: str, descending: bool, backwards: bool = False) -> Statement:
        key = (order, descending, backwards)
        if key not in self.statements:
            self.statements[key] = _statement(self, order, descending, backwards)
        return self.statements[key]

    def arguments(self, raw: dict, convert):
        """`convert()`: the field's arguments as Strawberry converts them from `raw`
        (graphql-core's values), kept per distinct `raw` (50 µs a list page, mostly the
        `orderBy` object). The values are only read: `ListArguments.of` makes the core's
        filter and page anew from them."""
        try:
            key = frozen(raw)
        except TypeError:
            return convert()
        return self.converted.get(key, convert)


ARGUMENTS = 64  # distinct argument values whose conversion a `customers` field keeps


def frozen(value):
    """`value` (JSON-like: dicts, lists, scalars, enums) as a hashable key that tells apart
    what compares equal but means something else (`1`, `1.0`, `True`)."""
    if isinstance(value, dict):
        return (dict, tuple((k, frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return (list, tuple(frozen(v) for v in value))
    hash(value)  # TypeError: not kept
    return (type(value), value)


def compile_customers(scope: Scope, f: Field) -> Compiled:
    selected = scope.selected(f, _type_name(scope, "Query", "customers"))
    counted = any(s.name in COUNTS for s in selected)
    compiled = Compiled(f, scope, counted)
    compiled.for_order("UPDATED_AT", True)  # what is not compiled shows now, at plan time
    return compiled


def _type_name(scope: Scope, parent: str, name: str) -> str:
    return get_named_type(scope.schema.get_type(parent).fields[name].type).name


def _statement(compiled: Compiled, order: str, descending: bool, backwards: bool) -> Statement:
    """`backwards` (`last`/`before`): the page walks the other way (`core.pagination`), so
    `n` numbers its rows in the walk's order and the JSON shows them the other way round."""
    if order not in q.ORDER_COLUMNS or q.ORDER_COLUMNS[order][1]:
        raise NotCompiled(f"order by {order}")
    scope = replace(compiled.scope, parts={})
    column = q.ORDER_COLUMNS[order][0].key
    kind = "ts" if order in TS_ORDERS else "text"
    flag = bind("has_next") if backwards else bind("has_previous")
    body = connection_json(
        scope, compiled.field, "n", lambda sub: customers.node(scope, sub, "n"),
        bind("size"), flag, counted=True, backwards=backwards,
    )  # fmt: skip
    made = customers.cursor(scope.d, kind, "page", column, lit(order_key_of(column, descending)))
    walk = "DESC" if descending != backwards else "ASC"
    order_sql = f"page.{column} {walk}, page.id {walk}"
    return assemble(scope, body, order_sql, made, column)


def connection_json(
    scope: Scope,
    field: Field,
    cte: str,
    node,
    size: str,
    flag: str,
    counted: bool,
    backwards: bool = False,
    type_name: str | None = None,
) -> str:
    """The JSON of a `CustomerConnection` selection over the numbered page `cte` (its rows
    `rn` in the walk's order and `cursor__`); `node(sub)` the JSON of a node, `size` the
    page's size, `flag` whether a cursor bounds it on the side it came from (`after`, or
    `before` walking `backwards`), all SQL. `type_name`: the connection's type, if not
    `customers`'."""
    d = scope.d
    connection = type_name or _type_name(scope, "Query", "customers")
    edge = _type_name(scope, connection, "edges")
    rows = f"FROM {cte} WHERE {cte}.rn <= {size}"
    shown = f"{cte}.rn DESC" if backwards else f"{cte}.rn"
    more = d.boolean(f"(SELECT count(*) FROM {cte}) > {size}")
    walked_first = f"(SELECT e.cursor__ FROM {cte} AS e WHERE e.rn = 1 AND e.rn <= {size})"
    walked_last = (
        f"(SELECT e.cursor__ FROM {cte} AS e WHERE e.rn <= {size} ORDER BY e.rn DESC LIMIT 1)"
    )
    edge_fields = {"cursor": fixed(f"{cte}.cursor__"), "node": lambda _s, sub, _r: node(sub)}
    page_info = {
        "hasNextPage": fixed(d.boolean(flag) if backwards else more),
        "hasPreviousPage": fixed(more if backwards else d.boolean(flag)),
        "startCursor": fixed(walked_last if backwards else walked_first),
        "endCursor": fixed(walked_first if backwards else walked_last),
    }
    table = {
        "edges": lambda s, sub, row: d.array(obj(s, edge, edge_fields, sub, row), rows, shown),
        "nodes": lambda _s, sub, _r: d.array(node(sub), rows, shown),
        "pageInfo": lambda s, sub, row: obj(s, "PageInfo", page_info, sub, row),
    }
    if counted:
        table["totalCount"] = fixed(bind("total"))
        table["totalCountIsExact"] = fixed(d.boolean(bind("exact")))
    return obj(scope, connection, table, field, cte)


def _numbered(cte: str, order: str, cursor: str, taken: str = "", joined: str = "") -> str:
    """The page `cte` with its rows numbered in `order` (`rn`; a window's `PARTITION BY …
    ORDER BY …` numbers each group's), each row's cursor (`cursor__`), and the columns
    `taken` from the parts `joined` to it."""
    window = order if order.startswith("PARTITION BY") else f"ORDER BY {order}"
    return (
        f"SELECT {cte}.*, row_number() OVER ({window}) AS rn, {cursor} AS cursor__"
        f"{taken} FROM {cte}{joined}"
    )


def assemble(scope: Scope, body: str, order: str, cursor: str, column: str) -> Statement:
    """The statement around `body` (the JSON over `n`): `n` is the page numbered in `order`
    (or per group: `PARTITION BY …`), with each row's `cursor` and the parts `body` asked
    for joined."""
    d = scope.d
    parts = [p for p in scope.parts.values() if p.joined]
    joined = "".join(
        f" LEFT JOIN {p.source or p.name} AS {p.name} ON {p.name}.{p.key} = page.{p.on}"
        for p in parts
    )
    taken = "".join(f", {p.name}.{c} AS {p.name}__{c}" for p in parts for c in p.columns)
    numbered = _numbered("page", order, cursor, taken, joined)
    json = typed_text(f"CAST({body} AS text)" if d.name == "postgresql" else body)
    used = set(USED.findall(body + numbered)) | {"id", column, *(p.on for p in parts)}
    columns = tuple(c for c in q.LIST_COLUMNS if c.key in used)
    every = list(scope.parts.values())
    return Statement(json, finish(numbered), every, columns, d.name == "postgresql")


@dataclass
class CompiledCustomer:
    """The `customer(id:)` field of one operation: its object, or null when the id is not
    a customer the principal may see (as the loader answers). `kids`: its `subCustomers`
    field, if selected (one page, by name, as the resolver reads it)."""

    field: Field
    statement: Statement
    kids: Field | None = None
    kids_numbered: str = ""
    timeline: "compiled_timeline.Timeline | None" = None


KIDS_ORDER = q.ORDER_COLUMNS["NAME"][0].key  # `subCustomers` lists by name


def compile_customer(scope: Scope, f: Field) -> CompiledCustomer:
    scope = replace(scope, parts={}, one=True)
    kids: list[Field] = []

    def sub_customers(_scope: Scope, sub: Field, _row: str) -> str:
        """Direct sub-customers of this one customer: their columns, no parts."""
        if kids:
            raise NotCompiled("subCustomers twice")
        kids.append(sub)
        plain = replace(scope, parts={})

        def node(s: Field) -> str:
            return obj(plain, "Customer", customers.SCALARS, s, "kids_n")

        size, previous = bind("kids_size"), bind("kids_previous")
        return connection_json(plain, sub, "kids_n", node, size, previous, counted=False)

    sub_customers.arguments = True
    timeline = compiled_timeline.Timeline()
    extra = {"subCustomers": sub_customers, "timeline": timeline}
    node = customers.node(scope, f, "n", extra)
    body = scope.d.sub(f"SELECT {node} FROM n")
    compiled = CompiledCustomer(f, assemble(scope, body, "page.id", "NULL", "id"))
    # One customer: a part inlined runs once anyway (what MATERIALIZED guards a page from),
    # and PostgreSQL plans the parts into the statement: 10-15 % less than materialized.
    compiled.statement.materialized = False
    compiled.statement.one = True
    compiled.timeline = timeline if timeline.field else None
    if kids:
        made = customers.cursor(scope.d, "text", "kids", KIDS_ORDER, lit(f"{KIDS_ORDER}:asc"))
        order = f"kids.{KIDS_ORDER} ASC, kids.id ASC"
        compiled.kids, compiled.kids_numbered = kids[0], finish(_numbered("kids", order, made))
    return compiled


CUSTOMER_PK = customers.CUSTOMER_PK


def one_customer(principal):
    """The page of `customer(id:)`: the customer if visible (archived ones too)."""
    return select(*q.LIST_COLUMNS).where(visible_customers(principal), C.id == CUSTOMER_PK)


async def json_of(conn, built, values: dict) -> bytes:
    """The statement's JSON as bytes (SQL null: `null`, a customer the principal may not see).
    The values go in as parameters: a kept statement runs with each request's own."""
    found = (await kept.run(conn, built, values)).scalar_one()
    if found is None:
        return b"null"
    return found.encode() if isinstance(found, str) else found


def typed_text(sql: str) -> TextClause:
    """`sql` (binds written `bind(name)`) as a text clause whose binds have their types."""
    names = sorted(set(sql_binds(sql)))
    return text(finish(sql)).bindparams(*(bindparam(n, type_=BIND_TYPES[n]) for n in names))


USED = re.compile(r"\b[ne]\.([a-z_]+)")


def sql_binds(sql: str) -> list[str]:
    return sql.split(MARK)[1::2]


def page_cte(page_select, size: int, name: str):
    """A page's select as the CTE `name`, a row more than `size`. The LIMIT is a literal:
    as a parameter, PostgreSQL's generic plan guesses a tenth of the table and it plans
    every execution anew (4 ms of 7 at 1M). Literal in the statement's text, not bound
    with `literal_execute`: that renders it on every run (part of 1 ms of a profile's)."""
    return page_select.limit(literal_column(str(int(size) + 1))).cte(name)


def statement(stmt: Statement, page_select, principal, plugins, values, more: tuple = ()):
    """The request's statement: its page, its parts, `more` CTEs, `n`, and the JSON."""
    page = page_cte(page_select.with_only_columns(*stmt.columns), values["size"], "page")
    return statement_of(stmt, page, principal, plugins, values, more)


def statement_of(stmt: Statement, page, principal, plugins, values, more=(), after=()):
    """`statement` of a page made by the caller (a CTE named `page`: a board's columns);
    `after`: CTEs that read `n`."""
    ctes = [page, *part_ctes(stmt, principal, plugins), *more]
    ctes += [text(stmt.numbered).columns().cte("n"), *after]
    used = {k: v for k, v in values.items() if k in stmt.json._bindparams}
    return hashed_key(select(stmt.json.bindparams(**used)).add_cte(*ctes))


def part_ctes(stmt: Statement, principal, plugins) -> tuple:
    """The parts' CTEs, built once per principal and kept: building a module's badge select
    costs more than running it. So a part may depend on the principal alone (the time is a
    parameter read at each run, `core.models.now_param`); the principal's every field is the
    key, since its equality leaves some out.

    On PostgreSQL each part is MATERIALIZED: inlined, a module's grouped count became the
    inner side of a nested loop over the page whenever the page was estimated at one row
    (a tenant's young tables), and ran once per customer (24 ms instead of 0.5 on the demo
    tenant, growing with the module's rows).

    `customer(id:)`'s parts (`Statement.one`) read the customer's id, the bound
    `customer_pk`, not the page: each module's count is then a probe of its index, where
    `IN (SELECT page.id FROM page)` made a semi-join per part (39 in the bench's profile:
    0.3 ms of its 1.6). A part's rows show only through the page's row, so a customer the
    principal may not see still answers null."""

    def make() -> tuple:
        ids = [CUSTOMER_PK] if stmt.one else select(customers.PAGE.c.id)
        made = []
        one = customers.ONE.set(stmt.one)
        try:
            for part in stmt.parts:
                cte = spelled_out(part.query(principal, plugins, ids)).cte(
                    f"{part.name}_rows" if part.source else part.name
                )
                made.append(cte.prefix_with("MATERIALIZED") if stmt.materialized else cte)
        finally:
            customers.ONE.reset(one)
        return tuple(made)

    return stmt.made.get(principal.everything(), make)


def spelled_out(query):
    """`query` with each `IN` list of values bound one value per parameter, as plain
    parameters: SQLAlchemy expands a list's parameter on every run, which for the
    modules' `status IN (…)` of a profile's parts cost 1 ms a request. The lists are the
    modules' own constants, and a part is kept per principal, so the text may fix their
    length."""

    def replace(element):
        if isinstance(element, BindParameter) and element.expanding and not element.callable:
            values = element.value
            if values and not isinstance(values[0], tuple):
                binds = (bindparam(None, v, type_=element.type, unique=True) for v in values)
                return Grouping(ClauseList(*binds))
        return None

    return visitors.replacement_traverse(query, {}, replace)
