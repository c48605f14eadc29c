"""A connection per group, compiled: one page of numbered rows per owner (each customer's
tickets, each board column's cards) read by the owner's JSON. Modules' lists
(`module_lists`) and modules' root fields (a flow's board) share it, so a page's edges,
nodes and page info are written once."""

from collections.abc import Callable

from graphql import get_named_type

from schema.compiled.objects import Compile, Scope, fixed, obj
from schema.compiled.selection import Field

Rows = Callable[[str], str]  # alias -> "FROM … AS alias WHERE <the owner's rows>"


def named(scope: Scope, owner: str, name: str) -> str:
    """The type of the field `name` of `owner`."""
    return get_named_type(scope.schema.get_type(owner).fields[name].type).name


def connection(
    scope: Scope,
    f: Field,
    type_name: str,
    rows: Rows,
    rank: str,
    size: str,
    previous: str,
    cursor: Callable[[str], str],
    node: dict[str, Compile] | Compile,
    more: dict[str, Compile] | None = None,
) -> str:
    """The JSON of the connection `f` (of type `type_name`) over the owner's `rows`, numbered
    by their `rank` column from 1 with a row more than `size` when more follow (SQL: a
    literal or a bind); `previous`: SQL, whether a cursor bounds the page; `cursor(alias)`:
    a row's cursor; `node`: the node type's fields, or the node's JSON (a `Compile` over a
    row); `more`: other fields (`totalCount`)."""
    d = scope.d
    node_type = named(scope, type_name, "nodes")
    edge_type = named(scope, type_name, "edges")
    r = scope.alias("r")
    shown = f"{rows(r)} AND {r}.{rank} <= {size}"

    def node_of(s: Scope, sub: Field, at: str) -> str:
        return obj(s, node_type, node, sub, at) if isinstance(node, dict) else node(s, sub, at)

    def nodes(s: Scope, sub: Field, _row: str) -> str:
        return d.array(node_of(s, sub, r), shown, f"{r}.{rank}")

    def edges(s: Scope, sub: Field, _row: str) -> str:
        edge = {"cursor": lambda *_: cursor(r), "node": lambda s2, sub2, _r: node_of(s2, sub2, r)}
        return d.array(obj(s, edge_type, edge, sub, r), shown, f"{r}.{rank}")

    def end(last: bool) -> Compile:
        e = scope.alias("e_")
        which = f" ORDER BY {e}.{rank} DESC LIMIT 1" if last else f" AND {e}.{rank} = 1"
        return fixed(f"(SELECT {cursor(e)} {rows(e)} AND {e}.{rank} <= {size}{which})")

    x = scope.alias("x")
    following = d.boolean(f"EXISTS (SELECT 1 {rows(x)} AND {x}.{rank} > {size})")
    page_info = {
        "hasNextPage": fixed(following),
        "hasPreviousPage": fixed(d.boolean(previous)),
        "startCursor": end(False),
        "endCursor": end(True),
    }
    table = {
        "edges": edges,
        "nodes": nodes,
        "pageInfo": lambda s, sub, at: obj(s, "PageInfo", page_info, sub, at),
        **(more or {}),
    }
    return obj(scope, type_name, table, f, "")
