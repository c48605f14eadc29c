"""`flows`, `flowBoard` and `flowCards` on the compiled path (`hub_compiled_query_fields`).
A board is the flow, its columns with their counts and first pages, each card's customer as
the customer list compiles it, in one statement of the answer's JSON. What comes before it
is the resolver's (`board.py`): the flow if the viewer may see it, its columns, the
membership filter and the search; the counts and the pages are `queries.Board`'s selects,
as CTEs, and the cards are numbered per column in `n` (the page's rows,
`schema.compiled.connection`). `flows` is the flows the viewer may see, in one statement.

Boundary: what the types below list; a flow the viewer may not see, an unknown column and a
bad page take the usual path, which words the error."""

from dataclasses import dataclass

from sqlalchemy import Integer, String, select, table
from sqlalchemy import column as sql_column

from core.access import can
from core.pagination import PageRequest
from plugins.flow import queries as q
from plugins.flow.board import cards_of, read_flow
from schema.avatar_links import link_base
from schema.compiled import connection, customers, grouped
from schema.compiled.dialects import bind
from schema.compiled.module_lists import cursor_sql
from schema.compiled.objects import WORKER, Compile, Scope, column, fixed, gid, obj, of_tenant
from schema.compiled.selection import Field, NotCompiled
from schema.ids import from_global_id

NARROWING = ("search", "createdFrom", "createdTo", "updatedFrom", "updatedTo")
ORDER = q.order_of(table("page", sql_column("flow_rank", String), sql_column("id", Integer)))


def on_drop(scope: Scope, f: Field, row: str) -> str:
    """`FlowColumn.onDrop`: null for an empty patch, else its references as global ids."""
    d, stored = scope.d, f"{row}.on_drop"
    refs = {
        "statusId": ("statusId", "Status"),
        "folderId": ("folderId", "Folder"),
        "folderStatusId": ("folderStatusId", "Status"),
        "tagId": ("tagId", "Tag"),
    }
    table_ = {
        name: fixed(d.gid(type_name, d.scalar(stored, key)))
        for name, (key, type_name) in refs.items()
    }
    patch = obj(scope, "FlowDropPatch", table_, f, row)
    return f"CASE WHEN {d.is_empty(stored)} THEN NULL ELSE {patch} END"


COLUMN: dict[str, Compile] = {
    "id": gid("FlowColumn"),
    "name": column("name"),
    "color": column("color"),
    "position": column("position", "int"),
    "createdAt": column("created_at", "ts"),
    "flowId": gid("Flow", "flow_id"),
    "onDrop": on_drop,
}


def _columns(scope: Scope, f: Field, row: str) -> str:
    k = scope.alias("k")
    source = f"FROM flow_columns {k} WHERE {k}.flow_id = {row}.id AND {of_tenant(k)}"
    return scope.d.array(obj(scope, "FlowColumn", COLUMN, f, k), source, f"{k}.position, {k}.id")


def _default_column(scope: Scope, f: Field, row: str) -> str:
    """The named default column, else the first (`queries.default_column`)."""
    k, x = scope.alias("k"), scope.alias("k")
    named = f"SELECT 1 FROM flow_columns {x} WHERE {x}.id = {row}.default_column_id"
    named += f" AND {x}.flow_id = {row}.id"
    return scope.d.sub(
        f"SELECT {obj(scope, 'FlowColumn', COLUMN, f, k)} FROM flow_columns {k} "
        f"WHERE {k}.flow_id = {row}.id AND {of_tenant(k)} AND ({k}.id = {row}.default_column_id "
        f"OR NOT EXISTS ({named})) ORDER BY {k}.position, {k}.id LIMIT 1"
    )


def _workers(scope: Scope, f: Field, row: str) -> str:
    w, fw = scope.alias("w"), scope.alias("fw")
    source = (
        f"FROM flow_workers {fw} JOIN workers {w} ON {w}.id = {fw}.worker_id "
        f"WHERE {fw}.flow_id = {row}.id AND {of_tenant(w)}"
    )
    return scope.d.array(obj(scope, "Worker", WORKER, f, w), source, f"{w}.id")


def _ids(type_name: str, name: str) -> Compile:
    return lambda scope, f, row: scope.d.gids(type_name, f"{row}.{name}", scope.alias("i"))


FLOW: dict[str, Compile] = {
    "id": gid("Flow"),
    "name": column("name"),
    "leadSources": lambda scope, f, row: scope.d.stored(f"{row}.lead_sources", "[]"),
    "createdAt": column("created_at", "ts"),
    "updatedAt": column("updated_at", "ts"),
    "folderIds": _ids("Folder", "folder_ids"),
    "tagIds": _ids("Tag", "tag_ids"),
    "statusIds": _ids("Status", "status_ids"),
    "columns": _columns,
    "defaultColumn": _default_column,
    "workers": _workers,
}

CARD: dict[str, Compile] = {
    "customer": customers.node,
    "rank": column("flow_rank"),
    "version": column("position_version", "int"),
    "columnId": gid("FlowColumn", "column_id"),
}


def _counted(column_sql: str | None) -> str:
    """The cards counted, of one column or (None) the board's."""
    where = "" if column_sql is None else f" WHERE c.column_id = {column_sql}"
    return f"(SELECT coalesce(sum(c.n), 0) FROM board_counts c{where})"


class Cards:
    """The cards' JSON, each selection of a card once per row of `n` in the CTE
    `board_cards` (`v0`, `v1`…), which the columns' pages read: built inside the board's
    JSON, a card's customer nested deeper than SQLite's parser allows."""

    def __init__(self) -> None:
        self.made: list[str] = []

    def node(self, scope: Scope, f: Field, row: str) -> str:
        self.made.append(obj(scope, "FlowCard", CARD, f, "n"))
        return scope.d.json(f"{row}.v{len(self.made) - 1}")

    def cte(self):
        values = "".join(f", {made} AS v{i}" for i, made in enumerate(self.made))
        sql = f"SELECT n.column_id, n.rn, n.cursor__{values} FROM n"
        return connection.typed_text(sql).columns().cte("board_cards")

    def connection(self, scope: Scope, f: Field, column_sql: str | None) -> str:
        """A column's cards (`FlowCardConnection`), numbered `rn` in their column."""

        def rows(a: str) -> str:
            mine = "1 = 1" if column_sql is None else f"{a}.column_id = {column_sql}"
            return f"FROM board_cards {a} WHERE {mine}"

        count = _counted(column_sql)
        return grouped.connection(
            scope, f, "FlowCardConnection", rows=rows,
            rank="rn", size=bind("size"), previous=bind("has_previous"),
            cursor=lambda a: f"{a}.cursor__", node=self.node,
            more={"totalCount": fixed(count), "totalCountIsExact": fixed(scope.d.boolean("TRUE"))},
        )  # fmt: skip


def _board(scope: Scope, f: Field, cards: Cards) -> str:
    d = scope.d

    def columns(s: Scope, sub: Field, _row: str) -> str:
        k = s.alias("k")
        one = {
            "column": lambda s2, sub2, _r: obj(s2, "FlowColumn", COLUMN, sub2, k),
            "count": fixed(_counted(f"{k}.id")),
            "cards": lambda s2, sub2, _r: cards.connection(s2, sub2, f"{k}.id"),
        }
        element = obj(s, "FlowBoardColumn", one, sub, k)
        return d.array(element, f"FROM board_columns {k}", f"{k}.position, {k}.id")

    def flow(s: Scope, sub: Field, _row: str) -> str:
        return d.sub(f"SELECT {obj(s, 'Flow', FLOW, sub, 'bf')} FROM board_flow bf")

    board = {"flow": flow, "columns": columns, "count": fixed(_counted(None))}
    return obj(scope, "FlowBoard", board, f, "")


@dataclass
class CompiledBoard:
    """`flowBoard` (every column) or `flowCards` (one column, after a cursor)."""

    field: Field
    statement: connection.Statement
    cards: object  # the CTE `board_cards` (`Cards.cte`)
    one_column: bool

    async def answer(self, conn, ctx, arguments: dict) -> bytes | None:
        principal = ctx.principal
        flow, columns = await read_flow(
            conn, principal, from_global_id(arguments["flowId"], "Flow")
        )
        ids = [c["id"] for c in columns]
        if flow is None or not ids:
            return None
        narrowing = q.Narrowing(*(arguments.get(name) for name in NARROWING))
        cards = await cards_of(conn, ctx, flow, columns, narrowing)
        if self.one_column:
            pk = from_global_id(arguments["columnId"], "FlowColumn")
            if pk not in ids:
                return None
            ids, page = [pk], cards.order().request(arguments.get("first"), arguments.get("after"))
        else:
            page = PageRequest(arguments.get("first")).validated()
        counts = cards.counts_query(ids).subquery()
        tenant = principal.tenant_id
        more = (
            select(q.F).where(q.F.c.tenant_id == tenant, q.F.c.id == flow["id"]).cte("board_flow"),
            select(q.K).where(q.K.c.tenant_id == tenant, q.K.c.id.in_(ids)).cte("board_columns"),
            select(counts.c[0].label("column_id"), counts.c[1].label("n")).cte("board_counts"),
        )
        values = {
            "tenant_id": tenant,
            "avatar_base": link_base(ctx),
            "size": page.size,
            "has_previous": page.after is not None,
        }
        built = connection.statement_of(
            self.statement, cards.pages_query(ids, page).cte("page"), principal, ctx.plugins,
            values, more, (self.cards,),
        )  # fmt: skip
        return await connection.json_of(conn, built, values)


@dataclass
class CompiledFlows:
    """`flows`: the flows the viewer may see (`queries.flows_query`, the CTE `fl`)."""

    field: Field
    json: object

    async def answer(self, conn, ctx, arguments: dict) -> bytes | None:
        principal = ctx.principal
        built = select(self.json).add_cte(q.flows_query(principal).cte("fl"))
        return await connection.json_of(conn, built, {"tenant_id": principal.tenant_id})


def _flows(scope: Scope, f: Field) -> CompiledFlows:
    if not can(scope.principal, q.VIEW):
        raise NotCompiled("flow.view")
    body = scope.d.array(obj(scope, "Flow", FLOW, f, "fl"), "FROM fl", "fl.name, fl.id")
    sql = f"CAST({body} AS text)" if scope.d.name == "postgresql" else body
    return CompiledFlows(f, connection.typed_text(sql))


def _compile(one_column: bool):
    def compile_(scope: Scope, f: Field) -> CompiledBoard:
        if not can(scope.principal, q.VIEW):
            raise NotCompiled("flow.view")  # the resolver refuses it
        cards = Cards()
        body = cards.connection(scope, f, None) if one_column else _board(scope, f, cards)
        rank = 'page.flow_rank COLLATE "C"' if scope.d.name == "postgresql" else "page.flow_rank"
        order = f"PARTITION BY page.column_id ORDER BY {rank}, page.id"  # as `Board.pages`
        cursor = cursor_sql(scope.d, ORDER, "page")
        statement = connection.assemble(scope, body, order, cursor, "id")
        return CompiledBoard(f, statement, cards.cte(), one_column)

    return compile_


ROOT_FIELDS = {"flows": _flows, "flowBoard": _compile(False), "flowCards": _compile(True)}
