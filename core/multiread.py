"""Several selects in one statement: each row travels as a JSON array in a `UNION ALL`, and
comes back as the dict the select itself would have given (same keys, same Python types).

Why: a statement costs a round trip on PostgreSQL and a thread hop through aiosqlite, plus
SQLAlchemy's own overhead, whatever it reads. A profile is many small reads of a few rows
each, so their number, not their size, is what it costs."""

from collections.abc import Callable, Sequence
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
from sqlalchemy.sql.functions import FunctionElement

MAX_COLUMNS = 50  # PostgreSQL functions take at most 100 arguments
ORDINAL = "multiread_ordinal"


class JsonValues(FunctionElement):
    """The values of a row as JSON array text."""

    type = Text()
    inherit_cache = True
    name = "json_values"


class _NestedJson(FunctionElement):
    """A JSON column inside `JsonValues`: nested as JSON, not as a string holding it."""

    type = Text()
    inherit_cache = True
    name = "nested_json"


@compiles(JsonValues, "postgresql")
def _pg_values(element, compiler, **kw):
    return f"CAST(json_build_array({compiler.process(element.clauses, **kw)}) AS TEXT)"


@compiles(JsonValues)
def _sqlite_values(element, compiler, **kw):
    return f"json_array({compiler.process(element.clauses, **kw)})"


@compiles(_NestedJson, "postgresql")
def _pg_nested(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_NestedJson)
def _sqlite_nested(element, compiler, **kw):
    return f"json({compiler.process(element.clauses, **kw)})"


def json_row(columns: Sequence) -> JsonValues:
    """`columns` (of a table, a subquery or a select) as one JSON array text column; decode
    it with `decoder(columns, dialect)`."""
    if len(columns) > MAX_COLUMNS:
        raise ValueError(f"at most {MAX_COLUMNS} columns in one JSON row")
    return JsonValues(*(_NestedJson(c) if _is_json(c.type) else c for c in columns))


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


def decoder(columns: Sequence, dialect) -> Callable[[str | None], dict | None]:
    """Turns `json_row(columns)`'s text back into the row as a dict (None stays None)."""
    keys = [c.key for c in columns]
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


async def read(conn, queries: Sequence[Select | CompoundSelect]) -> list[list[dict]]:
    """The rows of each query, in its own order (a `UNION`'s in none), from one statement."""
    if not queries:
        return []
    branches, decoders = [], []
    for index, query in enumerate(queries):
        if isinstance(query, CompoundSelect):
            query = select(query.subquery())
        numbered = query.add_columns(
            func.row_number().over(order_by=list(query._order_by_clauses) or None).label(ORDINAL)
        ).subquery()
        columns = [c for c in numbered.c if c.key != ORDINAL]
        branches.append(
            select(
                literal(index).label("multiread_part"),
                numbered.c[ORDINAL],
                json_row(columns).label("multiread_row"),
            )
        )
        decoders.append(decoder(columns, conn.dialect))
    statement = union_all(*branches).order_by(
        literal_column("multiread_part"), literal_column(ORDINAL)
    )
    found: list[list[dict]] = [[] for _ in queries]
    for part, _ordinal, text in await conn.execute(statement):
        found[part].append(decoders[part](text))
    return found
