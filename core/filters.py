"""The customer filter language: a tree of `and` / `or` / `not` groups over leaves
`{field, op, value | values}`, checked against the field registry (`core/filter_fields.py`)
and compiled to one SQL condition on `customers`. The caller ANDs the tenant and the
visibility rule outside it, so no tree can reach another tenant or an invisible customer.

A tree is plain JSON (what the API takes, and what segments, flows, automation conditions
and exports can store). Every member a node gives must hold: `{"and": [...], "field": ...}`
is the AND of both; an empty `and` / `or` list filters nothing.

Two-valued logic: a leaf on an empty value is false (`city STARTS_WITH "ber"` for a
customer without a city), and NOT is its exact complement, so NEQ, NOT_IN, NOT_CONTAINS
and `not` keep the customers without a value. Negations are pushed down to the leaves
(`not (a and b)` = `not a or not b`), so a positive leaf stays an index condition.

Refusals are `InvalidInput` with coded problems at the leaf's path: UNKNOWN_FIELD,
INVALID_OPERATOR, INVALID_VALUE, FILTER_TOO_LARGE; a summary the worker may not read is
FORBIDDEN. Never an empty result for a mistake."""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from dataclasses import field as _field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.types import Integer, String

from core import custom_fields, segment_filter
from core import filter_fields as ff
from core.access import can
from core.auth import Principal
from core.errors import Forbidden, InvalidInput, Problem
from core.models import Customer as C
from core.models import CustomFieldDefinition, Status

MAX_DEPTH = 5
MAX_LEAVES = 50
MAX_VALUES = 100
MAX_DAYS = 36_500
MAX_TEXT = 500

# a negative operator -> the positive one it negates
NEGATIONS = {
    "NEQ": "EQ",
    "NOT_IN": "IN",
    "NOT_CONTAINS": "CONTAINS",
    "IS_NOT_EMPTY": "IS_EMPTY",
}
ALIASES = {"BEFORE": "LT", "AFTER": "GT"}
MANY = ("IN", "NOT_IN", "ALL")
NONE = ("IS_EMPTY", "IS_NOT_EMPTY")
DAYS = ("WITHIN_LAST_DAYS", "WITHIN_NEXT_DAYS")
OPERATORS = tuple(dict.fromkeys(op for ops in ff.OPERATORS.values() for op in ops))

Path = tuple[str, ...]


@dataclass(frozen=True)
class Leaf:
    field: str
    op: str
    value: Any
    values: tuple | None
    path: Path


@dataclass(frozen=True)
class Group:
    kind: str  # "and", "or", "not"
    children: tuple
    path: Path


def _problem(path: Path, message: str, code: str) -> InvalidInput:
    return InvalidInput([Problem(path, message, code)])


def parse(data: dict | None, path: Path = ("where",)) -> Group:
    """The tree of `data` (plain JSON), bounded in depth and size; shape errors only (the
    fields and values are checked against a tenant's registry by `compile_where`)."""
    leaves = [0]

    def node(value: Any, at: Path, depth: int) -> Group | Leaf:
        if not isinstance(value, dict):
            raise _problem(at, "A condition is an object.", "INVALID_VALUE")
        if depth > MAX_DEPTH:
            raise _problem(
                at, f"Conditions nest at most {MAX_DEPTH} levels deep.", "FILTER_TOO_LARGE"
            )
        unknown = set(value) - {"and", "or", "not", "field", "op", "value", "values"}
        if unknown:
            raise _problem(at, f"Unknown member '{sorted(unknown)[0]}'.", "INVALID_VALUE")
        parts: list = []
        for kind in ("and", "or"):
            items = value.get(kind)
            if items is None:
                continue
            if not isinstance(items, list):
                raise _problem((*at, kind), f"`{kind}` is a list.", "INVALID_VALUE")
            children = tuple(
                node(item, (*at, kind, str(i)), depth + 1) for i, item in enumerate(items)
            )
            parts.append(Group(kind, children, (*at, kind)))
        if value.get("not") is not None:
            parts.append(Group("not", (node(value["not"], (*at, "not"), depth + 1),), at))
        if value.get("field") is not None or value.get("op") is not None:
            parts.append(_leaf(value, at))
            leaves[0] += 1
            if leaves[0] > MAX_LEAVES:
                raise _problem(
                    at, f"A filter holds at most {MAX_LEAVES} conditions.", "FILTER_TOO_LARGE"
                )
        elif value.get("value") is not None or value.get("values") is not None:
            raise _problem((*at, "field"), "A value needs a `field` and an `op`.", "REQUIRED")
        return Group("and", tuple(parts), at)

    return node(data or {}, path, 1)


def _leaf(value: dict, at: Path) -> Leaf:
    name, op = value.get("field"), value.get("op")
    if not isinstance(name, str) or not name:
        raise _problem((*at, "field"), "Name the field to compare.", "REQUIRED")
    if not isinstance(op, str) or op not in OPERATORS:
        raise _problem((*at, "op"), f"Unknown operator '{op}'.", "INVALID_OPERATOR")
    values = value.get("values")
    if values is not None:
        if not isinstance(values, list):
            raise _problem((*at, "values"), "`values` is a list.", "INVALID_VALUE")
        if len(values) > MAX_VALUES:
            raise _problem(
                (*at, "values"), f"At most {MAX_VALUES} values at once.", "FILTER_TOO_LARGE"
            )
        values = tuple(values)
    return Leaf(name, op, value.get("value"), values, at)


def leaves(tree: Group | Leaf) -> Iterable[Leaf]:
    if isinstance(tree, Leaf):
        yield tree
        return
    for child in tree.children:
        yield from leaves(child)


# --- the registry a tree is checked against ------------------------------------------------


@dataclass
class Registry:
    fields: dict[str, ff.Field]
    decode_id: Callable[[str, Any], int | None]
    status_lists: dict[int, int | None]  # status id -> its folder (None: the tenant's list)
    now: datetime
    dialect: str
    segments: dict = _field(default_factory=dict)  # id -> segment_filter.Saved
    inlining: list = _field(default_factory=list)  # dynamic segments being inlined
    inlined: int = 0  # conditions inlined from segments so far


async def registry(
    conn,
    principal: Principal,
    plugins,
    names: Iterable[str],
    decode_id: Callable[[str, Any], int | None],
    status_ids: Iterable[Any] = (),
    now: datetime | None = None,
) -> Registry:
    """The fields `names` may refer to: standard ones, the tenant's custom fields (read
    only when one is named) and the summaries of the tenant's enabled modules."""
    dialect = conn.dialect.name
    fields = ff.standard_fields(dialect)
    names = set(names)
    if any(n.startswith(ff.CUSTOM_PREFIX) for n in names):
        rows = await conn.execute(
            select(CustomFieldDefinition.__table__).where(
                CustomFieldDefinition.tenant_id == principal.tenant_id
            )
        )
        for row in rows.mappings():
            custom = ff.custom_field(dialect, dict(row))
            fields[custom.name] = custom
    if plugins is not None and any("." in n and n not in fields for n in names):
        for found in plugins.caller("hub_customer_summaries", principal.modules)():
            for name, summary in (found or {}).items():
                fields[name] = ff.summary_field(name, summary, principal.tenant_id)
    lists: dict[int, int | None] = {}
    ids = {i for i in (decode_id("Status", v) for v in status_ids) if i is not None}
    if ids:
        rows = await conn.execute(
            select(Status.id, Status.folder_id).where(
                Status.tenant_id == principal.tenant_id, Status.id.in_(ids)
            )
        )
        lists = {row.id: row.folder_id for row in rows}
    return Registry(fields, decode_id, lists, now or datetime.now(UTC), dialect)


def status_values(tree: Group) -> list:
    """The status IDs a tree names, to look their lists up in the registry's statement."""
    found = []
    for leaf in leaves(tree):
        if leaf.field in ("status", "folderStatus"):
            found += [leaf.value] if leaf.values is None else list(leaf.values)
    return [v for v in found if v is not None]


def field_of(reg: Registry, principal: Principal, name: str, at: Path) -> ff.Field:
    found = reg.fields.get(name)
    if found is None:
        raise _problem(at, f"There is no field '{name}' to filter or sort on.", "UNKNOWN_FIELD")
    if found.permission and not can(principal, found.permission):
        raise Forbidden(f"You are not allowed to use '{name}' ({found.permission}).")
    return found


# --- values --------------------------------------------------------------------------------


class _Bad(Exception):
    pass


def _text(value: Any, lowered: bool) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise _Bad(f"expects text of at most {MAX_TEXT} characters")
    return value.lower() if lowered else value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Bad("expects a number")
    return float(value)


def _moment(value: Any) -> datetime:
    if not isinstance(value, str):
        raise _Bad("expects an ISO-8601 date-time such as 2026-03-01T09:00:00Z")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _Bad("expects an ISO-8601 date-time such as 2026-03-01T09:00:00Z") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _day(value: Any) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError) as exc:
        raise _Bad("expects a date such as 2026-03-01") from exc


def _operand(reg: Registry, f: ff.Field, value: Any) -> Any:
    """One value of the leaf in the form the field's SQL compares with."""
    if value is None:
        raise _Bad("needs a value")
    kind = f.type
    if kind == ff.TEXT:
        return _text(value, f.lowered_in_python)
    if kind in (ff.CHOICE, ff.OPTIONS):
        if not isinstance(value, str) or value not in (f.options or ()):
            raise _Bad(f"has no option '{value}' (options: {', '.join(f.options or ())})")
        return value
    if kind == ff.NUMBER:
        return _number(value)
    if kind == ff.BOOLEAN:
        if not isinstance(value, bool):
            raise _Bad("expects true or false")
        return value
    if kind == ff.DATE:
        return _day(value)
    if kind == ff.DATETIME:
        moment = _moment(value)
        return custom_fields.canonical(f.custom, moment) if f.custom else moment
    decoded = reg.decode_id(f.id_type, value)
    if decoded is None:
        raise _Bad(f"expects the ID of a {f.id_type}")
    if f.name in ("status", "folderStatus") and decoded in reg.status_lists:
        own = reg.status_lists[decoded] is None
        if own != (f.name == "status"):
            raise _Bad(
                "names a folder's status: filter on `folderStatus`"
                if f.name == "status"
                else "names a status of the tenant's own list: filter on `status`"
            )
    return decoded


def _operands(reg: Registry, f: ff.Field, leaf: Leaf, op: str) -> tuple:
    value_path, values_path = (*leaf.path, "value"), (*leaf.path, "values")
    try:
        if op in NONE:
            if leaf.value is not None or leaf.values is not None:
                raise _problem(value_path, f"{op} takes no value.", "INVALID_VALUE")
            return ()
        if op in MANY or op == "BETWEEN":
            if leaf.value is not None or not leaf.values:
                raise _problem(values_path, f"{op} takes a list in `values`.", "INVALID_VALUE")
            if op == "BETWEEN" and len(leaf.values) != 2:
                raise _problem(values_path, "BETWEEN takes two values.", "INVALID_VALUE")
            return tuple(_operand(reg, f, v) for v in leaf.values)
        if leaf.values is not None:
            raise _problem(values_path, f"{op} takes one `value`.", "INVALID_VALUE")
        if op in DAYS:
            days = leaf.value
            if isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= MAX_DAYS:
                raise _Bad(f"expects a whole number of days (1 to {MAX_DAYS})")
            return (days,)
        return (_operand(reg, f, leaf.value),)
    except _Bad as exc:
        path = value_path if leaf.values is None else values_path
        raise _problem(path, f"{f.name} {exc}.", "INVALID_VALUE") from exc


# --- compiling -----------------------------------------------------------------------------


def compile_where(reg: Registry, principal: Principal, tree: Group) -> ColumnElement[bool]:
    """One SQL condition on `customers` for `tree`; refusals as described above."""
    return _compile(reg, principal, tree, False)


def _compile(reg, principal, node, negated: bool) -> ColumnElement[bool]:
    if isinstance(node, Leaf):
        return _compile_leaf(reg, principal, node, negated)
    if node.kind == "not":
        return _compile(reg, principal, node.children[0], not negated)
    parts = [_compile(reg, principal, child, negated) for child in node.children]
    if node.kind == "or" and not parts:
        return false() if negated else true()  # an empty list filters nothing
    conjunction = (node.kind == "and") != negated
    if not parts:
        return true() if conjunction else false()
    if len(parts) == 1:
        return parts[0]
    return and_(*parts) if conjunction else or_(*parts)


def _compile_leaf(reg, principal, leaf: Leaf, negated: bool) -> ColumnElement[bool]:
    f = field_of(reg, principal, leaf.field, (*leaf.path, "field"))
    if leaf.op not in f.operators:
        raise _problem(
            (*leaf.path, "op"),
            f"{leaf.field} ({f.type.lower()}) takes {', '.join(f.operators)}; not {leaf.op}.",
            "INVALID_OPERATOR",
        )
    operands = _operands(reg, f, leaf, leaf.op)
    op = ALIASES.get(leaf.op, leaf.op)
    if op in NEGATIONS:
        op, negated = NEGATIONS[op], not negated
    if f.type == ff.SEGMENT:
        return segment_filter.condition(reg, principal, leaf, operands, negated, _compile)
    if f.type == ff.LINKS:
        condition = _link(f, op, operands)
        return not_(condition) if negated else condition
    if f.backing is not None:
        return _backed(reg, f, op, operands, negated)
    if f.type == ff.OPTIONS:
        condition = _options(reg, f, op, operands)
    else:
        condition = _scalar(reg, f, op, operands)
    if op == "IS_EMPTY":
        return f.expression.is_not(None) if negated else condition
    # A comparison on an empty value is false, and its negation true.
    return or_(f.expression.is_(None), not_(condition)) if negated else condition


def _backed(reg, f: ff.Field, op: str, operands: tuple, negated: bool) -> ColumnElement[bool]:
    """A summary kept in a per-customer table: the customers whose row matches, from the
    table's index (`IN`), or for a negation those without such a row (`NOT EXISTS`, a
    probe per customer, as any negation is). A customer without a row has no value, so
    the two-valued logic of the other fields holds: a comparison is false, its negation
    true, and it is empty."""
    column, tenant_id = f.backing
    table = column.table
    if isinstance(column.type, Integer):
        # a float bound against an integer column casts the column (no index range, and
        # no estimate: the planner then walks the list probing every customer)
        operands = tuple(int(v) if isinstance(v, float) and v.is_integer() else v for v in operands)
    if op == "IS_EMPTY":
        condition, negated = column.is_not(None), not negated
    else:
        condition = _scalar(reg, replace(f, expression=column, backing=None), op, operands)
    rows = select(table.c.customer_id).where(table.c.tenant_id == tenant_id, condition)
    if not negated:
        return C.id.in_(rows)
    return not_(rows.where(table.c.customer_id == C.id).correlate(C).exists())


def _link(f: ff.Field, op: str, operands: tuple) -> ColumnElement[bool]:
    link = f.link

    def having(*conditions) -> ColumnElement[bool]:
        return exists().where(link.owner == C.id, *conditions).correlate(C)

    if op == "IS_EMPTY":
        return not_(having(link.value.is_not(None)))
    if op == "ALL":
        return and_(*(having(link.value == v) for v in dict.fromkeys(operands)))
    return having(link.value.in_(operands) if len(operands) > 1 else link.value == operands[0])


def _options(reg: Registry, f: ff.Field, op: str, operands: tuple) -> ColumnElement[bool]:
    if op == "IS_EMPTY":
        return f.expression.is_(None)
    key = f.custom["key"]
    if op == "ALL":
        wanted = dict.fromkeys(operands)
        return and_(*(custom_fields._multi_contains_any(reg.dialect, key, [v]) for v in wanted))
    return custom_fields._multi_contains_any(reg.dialect, key, list(operands))


def _scalar(reg: Registry, f: ff.Field, op: str, operands: tuple) -> ColumnElement[bool]:
    column = f.expression
    if op == "IS_EMPTY":
        return column.is_(None)
    if op == "EQ":
        return column == _lowered(f, operands[0])
    if op == "IN":
        return column.in_([_lowered(f, v) for v in operands])
    if op == "CONTAINS":
        return _position(reg, column, _lowered(f, operands[0])) > 0
    if op == "STARTS_WITH":
        prefix = operands[0]
        if not prefix:
            return column.is_not(None)
        low = _lowered(f, prefix)
        low = literal(low) if isinstance(low, str) else low
        high = low + literal("\U0010ffff")
        # The range is the prefix's index range and all but exact; the OR adds the values
        # past it that still start with the prefix (the next character U+10FFFF). ANDed
        # with the range, the position test was priced as a second filter and the planner
        # expected a few rows where thousands came (a bitmap and a sort: 200 ms, not 30).
        return or_(
            and_(column >= low, column < high),
            and_(column >= high, _position(reg, column, _lowered(f, prefix)) == 1),
        )
    if op in DAYS:
        low, high = _days(reg, f, op, operands[0])
        return and_(column >= low, column <= high)
    if op == "BETWEEN":
        return and_(column >= operands[0], column <= operands[1])
    compare = {"GT": column.__gt__, "GTE": column.__ge__, "LT": column.__lt__, "LTE": column.__le__}
    return compare[op](operands[0])


def _lowered(f: ff.Field, value: Any):
    """A text operand as the column holds it: lower-cased by the application for the name,
    by the database (as the indexed expression is) for the other text; others as they are."""
    if f.type != ff.TEXT or f.lowered_in_python:
        return value
    return type_coerce(func.lower(literal(value, String)), String)


def _position(reg: Registry, column, text):
    if reg.dialect == "postgresql":
        return func.strpos(column, text)
    return func.instr(column, text)


def _days(reg: Registry, f: ff.Field, op: str, days: int):
    now = reg.now
    low, high = (
        (now - timedelta(days=days), now)
        if op == "WITHIN_LAST_DAYS"
        else (
            now,
            now + timedelta(days=days),
        )
    )
    if f.type == ff.DATE:
        return low.date().isoformat(), high.date().isoformat()
    if f.custom is not None:
        return custom_fields.canonical(f.custom, low), custom_fields.canonical(f.custom, high)
    return low, high


# --- sorting and the whole request ---------------------------------------------------------

# Sorts the list had before the language: same columns, same cursors.
COLUMN_SORTS = {
    "name": (C.sort_name, False),
    "createdAt": (C.created_at, False),
    "updatedAt": (C.updated_at, False),
    "followUpAt": (C.follow_up_at, True),
}
NEVER_EMPTY = {"kind", "blocked"}


@dataclass(frozen=True)
class Sort:
    """`name` None: a column order with the list's classic cursors; else an expression
    selected with the rows, its cursors named after the field."""

    name: str | None
    expression: Any
    nullable: bool
    backing: tuple | None = None  # (column, tenant id) of a `Summary.of_column`


def sort_by(reg: Registry, principal: Principal, key: str, at: Path) -> Sort:
    if key in COLUMN_SORTS:
        column, nullable = COLUMN_SORTS[key]
        return Sort(None, column, nullable)
    f = field_of(reg, principal, key, at)
    if not f.sortable:
        raise _problem(at, f"The list cannot be sorted on {key}.", "INVALID_VALUE")
    return Sort(key, f.expression, key not in NEVER_EMPTY, f.backing)


@dataclass(frozen=True)
class Prepared:
    condition: ColumnElement[bool] | None
    sort: Sort | None
    asks_for_children: bool
    asks_for_archived: bool = False  # then archived customers are not left out by default


async def prepare(
    conn,
    principal: Principal,
    plugins,
    where: dict | None,
    sort_key: str | None,
    decode_id: Callable[[str, Any], int | None],
    now: datetime | None = None,
) -> Prepared:
    """Check and compile a request's `where` tree and sort key: the condition (None for no
    tree), the sort, and whether it asks about parents (then sub-customers are listed even
    for a worker who hides them)."""
    tree = parse(where) if where else None
    reg = await registry_for(
        conn,
        principal,
        plugins,
        [tree] if tree else [],
        decode_id,
        [sort_key] if sort_key else [],
        now=now,
    )
    names = [leaf.field for leaf in leaves(tree)] if tree else []
    condition = compile_where(reg, principal, tree) if tree and tree.children else None
    sort = sort_by(reg, principal, sort_key, ("orderBy", "key")) if sort_key else None
    archive = {"archived", "archivedAt"} & set(names)
    return Prepared(condition, sort, "parent" in names, bool(archive))


async def registry_for(
    conn,
    principal: Principal,
    plugins,
    trees: list,
    decode_id: Callable[[str, Any], int | None],
    extra_names: Iterable[str] = (),
    known: dict | None = None,
    now: datetime | None = None,
) -> Registry:
    """The registry `trees` compile with: their fields, and the segments they name with
    the fields of those segments' saved filters (`core/segment_filter.py`); `known`:
    segments already read."""
    saved = await segment_filter.closure(
        conn, principal.tenant_id, trees, decode_id, parse, leaves, known
    )
    every = [*trees, *(s.tree for s in saved.values() if s.tree is not None)]
    names = [leaf.field for tree in every for leaf in leaves(tree)] + list(extra_names)
    statuses = [value for tree in every for value in status_values(tree)]
    reg = await registry(conn, principal, plugins, names, decode_id, statuses, now)
    reg.segments = saved
    return reg
