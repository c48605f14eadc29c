"""JSON values for a module's compiled columns (`ModuleField`'s "json" and "json[]" kinds),
written once for both databases: `json_object(amount=..., currency=...)` and
`json_list(element)` (an aggregate; the compiler orders the elements, so it need not)."""

from sqlalchemy import literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import JSON


class json_object(FunctionElement):
    """An object of these values, keyed by the GraphQL field names given."""

    type = JSON()
    inherit_cache = True

    def __init__(self, **values):
        self.keys = tuple(values)
        args = []
        for key, value in values.items():
            args.extend((literal_column(f"'{key}'"), value))
        super().__init__(*args)


class json_list(FunctionElement):
    """The aggregate array of an element per row of the group."""

    type = JSON()
    inherit_cache = True


@compiles(json_object, "postgresql")
def _object_pg(element, compiler, **kw):
    return f"json_build_object({compiler.process(element.clauses, **kw)})"


@compiles(json_object)
def _object(element, compiler, **kw):
    return f"json_object({compiler.process(element.clauses, **kw)})"


@compiles(json_list, "postgresql")
def _list_pg(element, compiler, **kw):
    return f"json_agg({compiler.process(element.clauses, **kw)})"


@compiles(json_list)
def _list(element, compiler, **kw):
    return f"json_group_array(json({compiler.process(element.clauses, **kw)}))"
