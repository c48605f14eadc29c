"""`Customer` and the `customers` connection, compiled. The page itself (filters, `where`,
search, visibility, cursor, order) is the same select the resolver runs
(`schema.customers.types.page_walk`), here a CTE `page`; what hangs off a row is computed
per request as a few more CTEs of plain selects joined to it in `n` (sub-customer counts,
visible parents, tab badges, module parts), and the text around them builds the JSON.

Boundary: a page (`first`/`after` or `last`/`before`) by a column that has no nulls; a
`followUpAt` order or a `where` sort key takes the usual path.
`customer(id:)` is the same with a page of the one customer (`connection.one_customer`)."""

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

from graphql import get_named_type, is_leaf_type
from sqlalchemy import (
    Integer,
    Select,
    bindparam,
    func,
    literal,
    null,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy import column as sql_column

from core import customer_queries as q
from core.access import visible_customers
from core.models import Customer as C
from schema.compiled.dialects import literal as lit
from schema.compiled.objects import (
    Compile,
    Scope,
    avatar_url,
    column,
    contacts,
    fixed,
    folders,
    gid,
    obj,
    primary,
    status_of,
    tags,
    workers,
)
from schema.compiled.selection import Field, NotCompiled
from schema.customers.types import CustomerKind
from schema.tabs import TabSpec, badge_queries, shown_tabs

# A per-request part: (principal, plugins, the page's ids as a select) -> select, keyed by
# its first column.
PartQuery = Callable[[object, object, Select], Select]

CUSTOMER_PK = bindparam("customer_pk", type_=Integer)  # `customer(id:)`'s id, a value per run
# While `customer(id:)`'s parts are built (`connection.part_ctes`): they read `CUSTOMER_PK`.
ONE: ContextVar[bool] = ContextVar("one_customer", default=False)


def one_value(query: Select):
    """The value of a (customer id, value) select on `customer(id:)`'s one customer, as a
    scalar subquery: null without a row, as the page's join of a part gives. A customer's
    part is then one row of probes, not a `UNION ALL` of them grouped per customer (the
    bench's profile statement: 59.7 KB and 150 parameters instead of 62.4 KB and 172,
    1.94 ms instead of 1.98)."""
    return query.with_only_columns(query.selected_columns[1]).scalar_subquery()


@dataclass(frozen=True)
class ModuleField:
    """What a module's `hub_compiled_customer_fields` gives for its field on `Customer`:
    `query(principal, customer_ids)`, a select of the customer id then labelled columns
    (e.g. grouped by customer; a customer without a row gets the defaults), and for each
    sub-field of the module's type the column, its kind and a third value:
    - "int", "text", "bool", "ts" (a timestamp): a scalar; the third value is its SQL
      default when the customer has no row (None: null);
    - "json": an object (null: the field is null) whose keys are the field's type's field
      names and whose values are what the API answers (`schema.compiled.module_json`
      builds it); the selection (aliases, `__typename`) is projected from it, leaf fields
      only; the third value is unused (None);
    - "json[]": an array of such objects (null: empty), ordered by the key named by the
      third value (a money list: "currency").
    `lists`: the module type's list fields, `schema.compiled.module_lists.ModuleList` by name
    (a connection with `first`/`after`, every row, or the first row); `query` may be None
    when only lists are selected."""

    query: Callable[[object, Select], Select] | None
    fields: dict[str, tuple[str, str, str | None]]
    lists: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    """A select per page that `n` joins: its `key` column on the page's `on` column;
    `columns` what `n` takes from it (as `<name>__<column>`)."""

    name: str
    query: PartQuery
    key: str
    columns: tuple[str, ...]
    on: str = "id"  # the page's column its key matches
    source: str | None = None  # what `n` joins (the CTE `<name>_rows`), when not the CTE
    joined: bool = True  # False: a CTE the JSON reads (a module's list), not joined in `n`


def per_customer(counts: dict[str, Select]) -> Select:
    """For a module's `ModuleField.query`: (customer_id, a column per key of `counts`), each
    `(customer id, n)` select of `counts` (the look-ahead read's count builders, for the
    page's ids); a customer without a row gets null (`n` joins the
    part). One `UNION ALL` grouped by customer, not a join per count: joined, a grouped
    count became the inner side of a nested loop whenever the page was estimated at one
    row, and ran again for every customer of the page."""
    if ONE.get():
        values = (one_value(query).label(label) for label, query in counts.items())
        return select(CUSTOMER_PK.label("customer_id"), *values)
    labels = list(counts)
    branches = []
    for label, query in counts.items():
        key, n = list(query.selected_columns)[:2]
        values = [n.label(other) if other == label else null().label(other) for other in labels]
        branches.append(query.with_only_columns(key.label("customer_id"), *values))
    rows = union_all(*branches).subquery() if len(branches) > 1 else branches[0].subquery()
    return select(
        rows.c.customer_id, *(func.max(rows.c[label]).label(label) for label in labels)
    ).group_by(rows.c.customer_id)


def _joined(scope: Scope, part: Part) -> None:
    scope.parts.setdefault(part.name, part)


# The page's CTE by name, for the parts' selects (`cte.c` would build a proxy per column).
PAGE = table("page", sql_column("id"), sql_column("parent_id"))

SCALARS: dict[str, Compile] = {
    "id": gid("Customer"),
    "kind": column("kind", enum=CustomerKind),
    "name": column("name"),
    "avatarUrl": avatar_url,
    "company": column("company"),
    "leadSource": column("lead_source"),
    "city": column("city"),
    "notes": column("notes"),
    "followUpAt": column("follow_up_at", "ts"),
    "blocked": column("blocked", "bool"),
    "blockedReason": column("blocked_reason"),
    "blockedAt": column("blocked_at", "ts"),
    "salutation": column("salutation"),
    "jobTitle": column("job_title"),
    "dateOfBirth": column("date_of_birth", "date"),
    "website": column("website"),
    "industry": column("industry"),
    "createdAt": column("created_at", "ts"),
    "updatedAt": column("updated_at", "ts"),
    "version": column("version", "int"),
    "archivedAt": column("archived_at", "ts"),
    "externalId": column("external_id"),
    "primaryPhone": primary("phones"),
    "primaryEmail": primary("emails"),
    "phones": contacts("phones"),
    "emails": contacts("emails"),
    "status": status_of("status_id"),
    "tags": tags,
    "folders": folders,
    "workers": workers,
}


def _sub_counts(principal, plugins, ids: Select) -> Select:
    return q.sub_customer_counts_query(principal, ids)


SUBS = Part("subs", _sub_counts, "parent_id", ("n",))


def sub_customer_count(scope: Scope, f: Field, row: str) -> str:
    _joined(scope, SUBS)
    return f"coalesce({row}.subs__n, 0)"


def _visible_parents(principal, plugins, ids: Select) -> Select:
    parent_ids = select(PAGE.c.parent_id)
    return select(C.id).where(visible_customers(principal), C.id.in_(parent_ids))


PARENTS = Part("parents", _visible_parents, "id", ("id",), on="parent_id")


def parent(scope: Scope, f: Field, row: str) -> str:
    """The parent if the principal may see it (as the customer loader answers)."""
    _joined(scope, PARENTS)
    p = scope.alias("p")
    value = obj(scope, "Customer", SCALARS, f, p)
    return scope.d.sub(f"SELECT {value} FROM customers {p} WHERE {p}.id = {row}.parent_id")


def _parent_visible(scope: Scope, f: Field, row: str) -> str:
    expr = parent(scope, f, row)
    return f"CASE WHEN {row}.parents__id IS NOT NULL THEN {expr} END"


def _badges_part(keys: tuple[str, ...], one: bool) -> Part:
    """Every badge of the page's customers: the modules' badge selects
    (`hub_badge_count_queries`, built once per request) as rows of (customer, count, tab),
    which `n` joins turned into a column per tab."""

    def query(principal, plugins, ids: Select) -> Select:
        found = badge_queries(plugins, principal, ids)
        if one:
            values = (one_value(found[key]).label(key) for key in keys)
            return select(CUSTOMER_PK.label("c"), *values)
        rows = []
        for key in keys:
            customer, count = found[key].selected_columns[:2]
            tab = literal(key).label("tab")
            rows.append(found[key].with_only_columns(customer.label("c"), count.label("n"), tab))
        return union_all(*rows)

    if one:  # a row already
        return Part("badges", query, "c", keys)
    columns = ", ".join(f"max(CASE WHEN tab = {lit(k)} THEN n END) AS {k}" for k in keys)
    pivot = f"(SELECT c AS customer_id, {columns} FROM badges_rows GROUP BY c)"
    return Part("badges", query, "customer_id", keys, source=pivot)


def _hidden_part(d, one: bool) -> Part:
    """Per customer of the page, ",key,key," of the tabs its folders hide."""
    if one:
        sql = d.hidden_tabs("customer_id", "tabs", ":customer_pk")
        hidden = text(sql).bindparams(CUSTOMER_PK).columns()
    else:
        hidden = text(d.hidden_tabs("customer_id", "tabs", "SELECT id FROM page")).columns()
    return Part("hidden", lambda *_: hidden, "customer_id", ("tabs",))


def profile_tabs(scope: Scope, f: Field, row: str) -> str:
    """The tabs the worker may open (plan time: modules and permissions), less those a folder
    of the customer hides (`hidden_tabs`); badges only when more than one tab shows, as
    `Customer.profileTabs` does."""
    principal, d = scope.principal, scope.d
    if scope.plugins.implements("hub_badge_counts", principal.modules):
        raise NotCompiled("a module counts its badges in Python")
    shown = shown_tabs(scope.registry, principal, [])  # the folders' hiding is per row, below
    if not shown:
        return "CAST('[]' AS json)" if d.name == "postgresql" else "json('[]')"
    keys = tuple(
        k for k in badge_queries(scope.plugins, principal, [0]) if k in {t.key for t in shown}
    )
    badges = _badges_part(keys, scope.one)
    if keys:
        _joined(scope, badges)
    hidden = _hidden_part(d, scope.one)
    _joined(scope, hidden)
    x = scope.alias("x")
    hides = f"coalesce({row}.hidden__tabs, '')"
    flags = ", ".join(
        f"CASE WHEN {d.contains(hides, ',' + t.key + ',')} THEN 0 ELSE 1 END AS s{i}"
        for i, t in enumerate(shown)
    )
    many = "(" + " + ".join(f"{x}.s{i}" for i in range(len(shown))) + ") > 1"

    def tab(t: TabSpec, badge: str) -> str:
        values = {"key": lit(t.key), "title": lit(t.title), "icon": lit(t.icon)}
        answers = {name: fixed(value) for name, value in {**values, "badgeCount": badge}.items()}
        return obj(scope, "ProfileTab", answers, f, row)

    def badge(t: TabSpec, many: str) -> str:
        return f"CASE WHEN {many} THEN coalesce({row}.badges__{t.key}, 0) ELSE 0 END"

    elements = [
        (f"{x}.s{i} = 1", tab(t, badge(t, many) if t.key in keys else "0"))
        for i, t in enumerate(shown)
    ]
    some = d.sub(f"SELECT {d.some_of(elements, scope.alias('t'))} FROM (SELECT {flags}) AS {x}")
    # Most customers' folders hide no tab: a plain array, without a row source per customer.
    every = "TRUE" if len(shown) > 1 else "FALSE"
    whole = d.listed([tab(t, badge(t, every) if t.key in keys else "0") for t in shown])
    choice = f"CASE WHEN {row}.hidden__tabs IS NULL THEN {whole} ELSE {some} END"
    return choice if d.name == "postgresql" else f"json({choice})"  # SQLite: CASE drops JSON


def module_field(scope: Scope, f: Field, row: str) -> str:
    """A module's field through its `hub_compiled_customer_fields` hook."""
    compile_ = scope.module_fields.get(f.name)
    if compile_ is None:
        raise NotCompiled(f"Customer.{f.name}")
    type_name = get_named_type(scope.schema.get_type("Customer").fields[f.name].type).name
    selected = scope.selected(f, type_name)
    names = tuple(dict.fromkeys(s.name for s in selected if s.name != "__typename"))
    if not names:
        raise NotCompiled(f"Customer.{f.name}")
    made = compile_(scope.principal, names)
    if made is None:
        raise NotCompiled(f"Customer.{f.name}")
    answers = {name: made.lists[name].compile(type_name, name) for name in made.lists}
    names = tuple(name for name in names if name not in made.lists)
    columns = tuple(dict.fromkeys(made.fields[name][0] for name in names))
    # Lower-cased: SQLAlchemy quotes a CTE name with capitals (`dynamicContent`), and the
    # columns that name it are written unquoted, which PostgreSQL folds to lower case.
    cte = f"m_{f.name.lower()}"
    if cte in scope.parts and scope.parts[cte].columns != columns:  # aliased, other fields
        cte = scope.alias(f"{cte}_")
    part = Part(cte, _module_query(made), "customer_id", columns)
    if names:
        _joined(scope, part)
    for name in names:
        label, kind, default = made.fields[name]
        value = f"{row}.{part.name}__{label}"
        if kind in ("json", "json[]"):
            answers[name] = _json(type_name, value, default if kind == "json[]" else None)
            continue
        if default is not None:
            value = f"coalesce({value}, {default})"
        if kind == "bool":
            value = scope.d.boolean(value)
        elif kind == "ts":
            value = scope.d.ts(value)
        answers[name] = fixed(value)
    return obj(scope, type_name, answers, f, row)


def _json(owner: str, value: str, order: str | None) -> Compile:
    """A module's JSON value (`ModuleField`'s "json" and "json[]" kinds): `f`'s selection
    projected from it, or from each of its elements in `order`."""

    def compile_(scope: Scope, f: Field, row: str) -> str:
        of = get_named_type(scope.schema.get_type(owner).fields[f.name].type)
        chosen = []
        for sub in scope.selected(f, of.name):
            if sub.name == "__typename":
                chosen.append((sub.key, None))
                continue
            field = of.fields.get(sub.name)
            if field is None or sub.has_arguments or not is_leaf_type(get_named_type(field.type)):
                raise NotCompiled(f"{of.name}.{sub.name}")
            chosen.append((sub.key, sub.name))

        def build(element: str) -> str:
            return scope.d.obj(
                [
                    (key, lit(of.name) if name is None else scope.d.json_field(element, name))
                    for key, name in chosen
                ]
            )

        if order is None:
            return scope.d.maybe(value, build(value))
        return scope.d.objects(value, build, order, scope.alias("j"))

    return compile_


def _module_query(made: ModuleField) -> PartQuery:
    return lambda principal, plugins, ids: made.query(principal, ids)


CUSTOMER: dict[str, Compile] = {
    **SCALARS,
    "parent": _parent_visible,
    "subCustomerCount": sub_customer_count,
    "profileTabs": profile_tabs,
}


def node(scope: Scope, f: Field, row: str, extra: dict | None = None) -> str:
    modules = {name: module_field for name in scope.module_fields}
    return obj(scope, "Customer", {**CUSTOMER, **modules, **(extra or {})}, f, row)


def cursor(d, kind: str, row: str, column_: str, order_key: str) -> str:
    """`core.pagination.encode_cursor` of the row `row` in the order `order_key` (SQL text)
    by `column_` ("ts": a datetime, else text)."""
    if kind == "ts":
        value = f"""'{{"t":"' || {d.ts(f"{row}.{column_}")} || '"}}'"""
    else:
        value = f"coalesce({d.json_text(f'{row}.{column_}')}, 'null')"
    return d.b64url(f"""'["' || {order_key} || '",' || {value} || ',' || {row}.id || ']'""")
