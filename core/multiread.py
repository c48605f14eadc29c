"""Several selects in one statement: each row travels as a JSON array in a `UNION ALL`, and
comes back as the dict the select itself would have given (same keys, same Python types).

Why: a statement costs a round trip on PostgreSQL and a thread hop through aiosqlite, plus
SQLAlchemy's own overhead, whatever it reads. A profile is many small reads of a few rows
each, so their number, not their size, is what it costs."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Boolean,
    CompoundSelect,
    Date,
    DateTime,
    Float,
    Select,
    Text,
    TypeDecorator,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement, Label
from sqlalchemy.sql.visitors import InternalTraversal

from core import kept
from core.kept import hashed_key

MAX_COLUMNS = 50  # PostgreSQL functions take at most 100 arguments
PART, ORDINAL, ROW = "multiread_part", "multiread_ordinal", "multiread_row"


class JsonValues(ColumnElement):
    """The values of a row as JSON array text. Not a SQL function: a function coerces each
    argument on construction, and a profile's reads have a few hundred columns."""

    __visit_name__ = "json_values"
    inherit_cache = True
    _traverse_internals = [("columns", InternalTraversal.dp_clauseelement_tuple)]
    type = Text()

    def __init__(self, columns: Sequence):
        if len(columns) > MAX_COLUMNS:
            raise ValueError(f"at most {MAX_COLUMNS} columns in one JSON row")
        self.columns = tuple(columns)

    @property
    def _from_objects(self) -> list:
        return [from_ for column in self.columns for from_ in column._from_objects]


def _values(element: JsonValues, compiler, nest: str, **kw) -> str:
    kw.pop("add_to_result_map", None)
    values = []
    for column in element.columns:
        column = column.element if isinstance(column, Label) else column
        value = compiler.process(column, **kw)
        values.append(nest.format(value) if _is_json(column.type) else value)
    return ", ".join(values)


@compiles(JsonValues, "postgresql")
def _pg_values(element, compiler, **kw):
    return f"CAST(json_build_array({_values(element, compiler, '{}', **kw)}) AS TEXT)"


@compiles(JsonValues)
def _sqlite_values(element, compiler, **kw):
    """JSON columns are text on SQLite: `json()` nests them as JSON, not as strings."""
    return f"json_array({_values(element, compiler, 'json({})', **kw)})"


def json_row(columns: Sequence) -> JsonValues:
    """`columns` (of a table, a subquery or a select) as one JSON array text column; decode
    it with `decoder(columns, dialect)`."""
    return JsonValues(columns)


def _is_json(sqltype) -> bool:
    impl = sqltype.impl_instance if isinstance(sqltype, TypeDecorator) else sqltype
    return isinstance(impl, JSON)


def _utc(value: Any) -> datetime:
    value = datetime.fromisoformat(value) if isinstance(value, str) else value
    return value.astimezone(UTC) if value.tzinfo is not None else value


def _converter(sqltype, dialect) -> Callable[[Any], Any] | None:
    """What turns a JSON value back into what the driver and the type would have given."""
    impl = sqltype.impl_instance if isinstance(sqltype, TypeDecorator) else sqltype
    if isinstance(impl, JSON):
        plain = None
    elif isinstance(impl, DateTime):
        plain = _utc
    elif isinstance(impl, Date):
        plain = date.fromisoformat
    elif isinstance(impl, Boolean):
        plain = bool
    elif isinstance(impl, Float):
        plain = float
    else:
        plain = None
    if not isinstance(sqltype, TypeDecorator):
        return plain
    after = sqltype.process_result_value
    if plain is None:
        return lambda value: after(value, dialect)
    return lambda value: after(plain(value), dialect)


def _branch(index: int, query) -> tuple[Select, list]:
    """`query` as (part, ordinal, JSON row): its own select with other columns where it can
    be (a subquery makes SQLAlchemy build a proxy object per column, and on a profile those
    cost more than the statements saved); in a subquery when it is a `UNION` or limited."""
    if isinstance(query, CompoundSelect):
        query = select(query.subquery())
    order = list(query._order_by_clauses)
    number = func.row_number().over(order_by=order) if order else literal(0)
    if query._limit_clause is not None or query._offset_clause is not None:
        numbered = query.add_columns(number.label(ORDINAL)).subquery()
        columns = [c for c in numbered.c if c.key != ORDINAL]
        branch = select(
            literal(index).label(PART), numbered.c[ORDINAL], json_row(columns).label(ROW)
        )
        return branch, columns
    columns = list(query.selected_columns)
    branch = query.with_only_columns(
        literal(index).label(PART),
        number.label(ORDINAL),
        json_row(columns).label(ROW),
    ).order_by(None)
    return branch, columns


def decoder(columns: Sequence, dialect) -> Callable[[str | None], dict | None]:
    """Turns `json_row(columns)`'s text back into the row as a dict (None stays None)."""
    keys: list[str] = []
    for n, column in enumerate(columns):
        key = column.key or f"column_{n}"
        while key in keys:  # e.g. two unlabelled `count(*)`
            key += "_"
        keys.append(key)
    converters = [_converter(c.type, dialect) for c in columns]

    def decode(text: str | None) -> dict | None:
        if text is None:
            return None
        values = orjson.loads(text)
        return {
            key: value if convert is None or value is None else convert(value)
            for key, convert, value in zip(keys, converters, values, strict=True)
        }

    return decode


@dataclass(frozen=True)
class Reads:
    """Several selects made into one statement, with how to decode each one's rows. Made
    once with `bindparam`s and kept, it is run with their values (`run`): its cache key is
    then worked out once, not per request."""

    statement: CompoundSelect
    decoders: tuple


def prepare(queries: Sequence[Select | CompoundSelect], dialect, kept: bool = False) -> Reads:
    """`kept`: the statement will be run again and again (`core.kept.hashed_key`)."""
    branches, decoders = [], []
    for index, query in enumerate(queries):
        branch, columns = _branch(index, query)
        branches.append(branch)
        decoders.append(decoder(columns, dialect))
    statement = union_all(*branches).order_by(literal_column(PART), literal_column(ORDINAL))
    return Reads(hashed_key(statement) if kept else statement, tuple(decoders))


async def run(conn, reads: Reads, parameters: dict | None = None) -> list[list[dict]]:
    found: list[list[dict]] = [[] for _ in reads.decoders]
    for part, _ordinal, text in await kept.run(conn, reads.statement, parameters or {}):
        found[part].append(reads.decoders[part](text))
    return found


async def read(conn, queries: Sequence[Select | CompoundSelect]) -> list[list[dict]]:
    """The rows of each query, in its own order (a `UNION`'s in none), from one statement."""
    if not queries:
        return []
    return await run(conn, prepare(queries, conn.dialect))
