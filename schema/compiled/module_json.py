"""JSON values for a module's compiled columns (`ModuleField`'s "json" and "json[]" kinds),
written once for both databases: `json_object(amount=..., currency=...)` and
`json_list(element)` (an aggregate; the compiler orders the elements, so it need not), and
`global_id(type_name, pk)` for a Node's `id`."""

from sqlalchemy import literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import JSON, String

from schema.compiled.dialects import DIALECTS


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


class global_id(FunctionElement):
    """`schema.ids.to_global_id(type_name, pk)` in SQL, for an object's `id`."""

    type = String()
    inherit_cache = True

    def __init__(self, type_name: str, pk):
        self.type_name = type_name
        super().__init__(literal_column(f"'{type_name}:'").concat(pk))


@compiles(global_id, "postgresql")
def _gid_pg(element, compiler, **kw):
    return DIALECTS["postgresql"].b64url(compiler.process(element.clauses, **kw))


@compiles(global_id)
def _gid(element, compiler, **kw):
    return DIALECTS["sqlite"].b64url(compiler.process(element.clauses, **kw))
