"""`column IN (values)` bound as one parameter, for long lists of the same values on every
request (the timeline's visible actions, some 200 event types). SQLAlchemy's `in_()` binds
one parameter per value and expands them on every execution, a few ms for 200; here the
list is one array on PostgreSQL (`= ANY($1)`) and one JSON text on SQLite (`IN (SELECT
value FROM json_each(?))`), and the statement's text is the same whatever the list."""

from collections.abc import Iterable

import orjson
from sqlalchemy import ARRAY, Boolean, String, TypeDecorator, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class ValueList(TypeDecorator):
    """A list of strings: a text array on PostgreSQL, its JSON text elsewhere."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(String))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value, dialect):
        if dialect.name == "postgresql":
            return list(value)
        return orjson.dumps(list(value)).decode()


class OneOf(ColumnElement[bool]):
    __visit_name__ = "one_of"
    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]
    type = Boolean()

    def __init__(self, column, values: Iterable[str] | str):
        self.column = column
        if isinstance(values, str):  # a named bind, given at execution
            self.values = bindparam(values, type_=ValueList())
        else:
            self.values = bindparam(None, tuple(values), type_=ValueList(), unique=True)

    @property
    def _from_objects(self) -> list:
        return self.column._from_objects


@compiles(OneOf, "postgresql")
def _pg(element, compiler, **kw):
    return (
        f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.values, **kw)})"
    )


@compiles(OneOf)
def _sqlite(element, compiler, **kw):
    values = compiler.process(element.values, **kw)
    return f"{compiler.process(element.column, **kw)} IN (SELECT value FROM json_each({values}))"


def one_of(column, values: Iterable[str] | str) -> OneOf:
    """`column` is one of `values` (strings), bound as a single parameter; a `str` names
    a bind whose list is given when the statement runs."""
    return OneOf(column, values)
