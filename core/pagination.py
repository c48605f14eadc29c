"""Keyset pages over any ordered select: a cursor is the sort value plus the id of the row it
points at, so page 10,000 costs what page 1 costs (no OFFSET)."""

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Integer, Select, bindparam, tuple_

from core.errors import InvalidInput

MAX_PAGE = 100
DEFAULT_PAGE = 20


@dataclass(frozen=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def validated(self) -> "PageRequest":
        problems = []
        if self.first is not None and self.last is not None:
            problems.append(("first", "Pass `first` or `last`, not both."))
        for name in ("first", "last"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= MAX_PAGE:
                problems.append((name, f"`{name}` must be between 0 and {MAX_PAGE}."))
        if problems:
            raise InvalidInput.one(problems[0][0], problems[0][1], "PAGE_SIZE")
        return self

    @property
    def backwards(self) -> bool:
        return self.last is not None or (self.before is not None and self.first is None)

    @property
    def size(self) -> int:
        size = self.last if self.backwards else self.first
        return DEFAULT_PAGE if size is None else size


@dataclass
class Page:
    rows: list[Any]
    cursors: list[str]
    has_next: bool
    has_previous: bool


MAX_ID = 2**31 - 1


def encode_cursor(order_key: str, value: Any, row_id: int) -> str:
    """The order's name travels in the cursor, so a cursor of one order is refused by another."""
    if isinstance(value, datetime):
        value = {"t": value.isoformat()}
    raw = orjson.dumps([order_key, value, row_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, field: str, order_key: str, column, nullable: bool):
    """(value, id) of a cursor made by this order; `InvalidInput` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, value, row_id = orjson.loads(raw)
        if isinstance(value, dict):
            value = datetime.fromisoformat(value["t"])
        if key != order_key or isinstance(row_id, bool) or not isinstance(row_id, int):
            raise ValueError(cursor)
        if not 0 < row_id <= MAX_ID:
            raise ValueError(row_id)
        expected = getattr(column.type, "impl_instance", column.type).python_type
        if (value is None and not nullable) or (
            value is not None and not isinstance(value, expected)
        ):
            raise ValueError(value)
        return value, row_id
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError) as exc:
        raise InvalidInput.one(field, "This cursor is not valid here.", "INVALID_CURSOR") from exc


def _beyond(column, id_column, value, row_id, descending: bool):
    """Rows strictly after (value, id) in a walk by (column, id), both one way: a row
    comparison, so the database starts its walk of the `(…, column, id)` index there
    (written `col < v OR (col = v AND id < w)` it filtered a walk from the top: 2 s deep)."""
    if column is id_column:
        return id_column < row_id if descending else id_column > row_id
    pair, at = tuple_(column, id_column), (value, row_id)
    if isinstance(value, ColumnElement):  # bound by the caller (`plan_walk`'s `bounds`)
        at = tuple_(*at)
    return pair < at if descending else pair > at


# A nullable order (nulls last) is two parts, each a walk of the same index: the rows with a
# value by (column, id), then the nulls by id (ordered by (column, id) too, a constant
# there, so PostgreSQL sees the index order). No index serves `ORDER BY column IS NULL`.
WHOLE, VALUED, NULLS = "whole", "valued", "nulls"
EMPTY = None


def _part(column, id_column, part: str, after, before, descending: bool):
    """The conditions keeping `part` between the cursors, or EMPTY."""
    conditions = {VALUED: [column.is_not(None)], NULLS: [column.is_(None)]}.get(part, [])
    for cursor, ahead in ((after, True), (before, False)):
        if cursor is None:
            continue
        value, row_id = cursor
        if part != WHOLE and (part == NULLS) != (value is None):
            # the cursor is in the other part: all of this one lies on one side of it
            if (part == NULLS) != ahead:
                return EMPTY
            continue
        on = id_column if value is None else column
        conditions.append(_beyond(on, id_column, value, row_id, descending == ahead))
    return conditions


@dataclass
class Walk:
    """One page's statements before they run (`plan_walk`): each part's select, in the
    order to run them, and what `fetch_page` needs to turn their rows into a `Page`."""

    parts: list[Select]
    page: PageRequest
    order_key: str
    key: str
    id_key: str


def plan_walk(
    query: Select,
    page: PageRequest,
    column,
    id_column,
    descending: bool = False,
    nullable: bool = False,
    name: str | None = None,
    value_key: str | None = None,
    valued_id_column=None,
    bounds: tuple | None = None,
) -> Walk:
    """The selects of one page of `query` ordered by `column`, then `id_column`: one, or
    two for a nullable column (the rows with a value, then the nulls), each limited to a
    page and one more row; raises `InvalidInput` for a bad cursor or page size.
    `valued_id_column`: a column equal to `id_column` in the rows with a value (a joined
    table's `customer_id`) that the part with values orders and pages by, so its walk is
    that table's `(…, column, customer_id)` index. `bounds`: (after, before) as the caller
    decoded them, e.g. as bind parameters for a statement kept across pages."""
    page = page.validated()
    order_key = order_key_of(name or column.key, descending)
    if bounds is None:
        bounds = tuple(
            None if cursor is None else decode_cursor(cursor, side, order_key, column, nullable)
            for side, cursor in (("after", page.after), ("before", page.before))
        )
    after, before = bounds
    walk_descending = descending != page.backwards
    keys = [id_column] if column is id_column else [column, id_column]
    order = [k.desc() if walk_descending else k.asc() for k in keys]
    parts_order = [VALUED, NULLS] if nullable else [WHOLE]
    if page.backwards:
        parts_order.reverse()
    parts = []
    for part in parts_order:
        ids, part_order = id_column, order
        if part == VALUED and valued_id_column is not None:
            ids = valued_id_column
            part_order = [k.desc() if walk_descending else k.asc() for k in (column, ids)]
        conditions = _part(column, ids, part, after, before, descending)
        if conditions is not EMPTY:
            parts.append(query.where(*conditions).order_by(*part_order).limit(page.size + 1))
    return Walk(parts, page, order_key, value_key or column.key, id_column.key)


def order_key_of(name: str, descending: bool) -> str:
    """The order a cursor names (`updated_at:desc`), checked when it comes back."""
    return f"{name}:{'desc' if descending else 'asc'}"


def bound_cursors(page: PageRequest, column, descending: bool) -> tuple[tuple, dict]:
    """(`plan_walk`'s `bounds`, their values): the page's cursors as bind parameters
    (`after_value`, `after_id`, `before_…`), so a statement kept across pages runs with each
    page's values; a bad cursor raises `InvalidInput` as `plan_walk` does. Not for a
    nullable column (its walk has two parts)."""
    order_key = order_key_of(column.key, descending)
    bounds, values = [], {}
    for side, cursor in (("after", page.after), ("before", page.before)):
        if cursor is None:
            bounds.append(None)
            continue
        values[f"{side}_value"], values[f"{side}_id"] = decode_cursor(
            cursor, side, order_key, column, False
        )
        bounds.append(
            (bindparam(f"{side}_value", type_=column.type), bindparam(f"{side}_id", type_=Integer))
        )
    return tuple(bounds), values


async def fetch_page(
    conn,
    query: Select,
    page: PageRequest,
    column,
    id_column,
    descending: bool = False,
    nullable: bool = False,
    name: str | None = None,
    value_key: str | None = None,
) -> Page:
    """Run `query` (already filtered) for one page ordered by `column`, then `id_column`;
    a nullable column's page may take a second statement where the nulls begin. An
    expression as `column` (a sort on a computed value) is selected by `query` under
    `value_key` and travels in cursors under the order's `name`."""
    walk = plan_walk(query, page, column, id_column, descending, nullable, name, value_key)
    return await run_walk(conn, walk)


async def run_walk(conn, walk: Walk) -> Page:
    page, size = walk.page, walk.page.size
    rows: list = []
    for part_query in walk.parts:
        if len(rows) > size:
            break
        rows += (await conn.execute(part_query.limit(size + 1 - len(rows)))).mappings()
    more = len(rows) > size
    rows = rows[:size]
    if page.backwards:
        rows.reverse()
    cursors = [encode_cursor(walk.order_key, row[walk.key], row[walk.id_key]) for row in rows]
    if page.backwards:
        return Page(rows, cursors, has_next=page.before is not None, has_previous=more)
    return Page(rows, cursors, has_next=more, has_previous=page.after is not None)
