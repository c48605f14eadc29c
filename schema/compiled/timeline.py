"""`Customer.timeline(first, after, filter)` on `customer(id:)`, compiled: the page is the
resolver's own select (`core.audit.customer_timeline` over `schema.timeline.shown_actions`,
walked by `core.pagination.plan_walk`), a CTE `tl` of the customer's statement, numbered in
`tl_n`; the entries' JSON is built over it. The sentence is the stored one
(`events.summary`, `events.summary_rest`, `core.summaries`) with the actor's current name in
front when the sentence names one, as `TimelineEntry.summary` renders it.

Boundary: one `timeline` field per customer (an alias of it with other arguments takes the
usual path), and not `totalCount`; `timeline` on a list's nodes is not compiled either."""

import functools

from graphql import get_named_type
from graphql.execution.values import get_argument_values
from sqlalchemy import text

from core import audit
from core.models import EventRecord as E
from core.pagination import PageRequest, plan_walk
from schema.compiled import connection  # which imports this module: used at call time
from schema.compiled.dialects import bind, finish
from schema.compiled.objects import Compile, Scope, column, gid, obj, of_tenant, worker
from schema.compiled.selection import Field, NotCompiled
from schema.timeline import shown_actions

COLUMNS = (E.id, E.action, E.occurred_at, E.data, E.actor_id, E.summary, E.summary_rest)
ORDER_KEY = "id:desc"  # `plan_walk`'s order key for `EventRecord.id`, descending


def _summary(scope: Scope, f: Field, row: str) -> str:
    """`core.summaries.render`: the actor's name and the rest when both are there (a name
    that is empty counts as none), else the sentence without a worker."""
    w = scope.alias("w")
    named = (
        f"SELECT {w}.name || ' ' || {row}.summary_rest FROM workers {w} "
        f"WHERE {w}.id = {row}.actor_id AND {of_tenant(w)} "
        f"AND {w}.name <> ''"
    )
    return f"coalesce(({named}), {row}.summary)"


def _data(scope: Scope, f: Field, row: str) -> str:
    return f"{row}.data" if scope.d.name == "postgresql" else f"json({row}.data)"


ENTRY: dict[str, Compile] = {
    "id": gid("TimelineEntry"),
    "action": column("action"),
    "occurredAt": column("occurred_at", "ts"),
    "data": _data,
    "actor": worker("actor_id"),  # as `loaders.worker` reads it: null once removed
    "summary": _summary,
}


class Timeline:
    """The `timeline` field of a compiled `customer(id:)`: its JSON at plan time (over
    `tl_n`), its page's CTEs per request (`ctes`)."""

    arguments = True  # `obj` lets this field's arguments through: they are read per request

    def __init__(self):
        self.field: Field | None = None
        self.numbered = ""

    def __call__(self, scope: Scope, f: Field, row: str) -> str:
        if self.field is not None:
            raise NotCompiled("timeline twice")
        self.field = f
        self.numbered = numbered(scope.d)
        type_name = get_named_type(scope.schema.get_type("Customer").fields["timeline"].type).name

        def node(sub: Field) -> str:
            return obj(scope, "TimelineEntry", ENTRY, sub, "tl_n")

        size, previous = bind("tl_size"), bind("tl_previous")
        return connection.connection_json(
            scope, f, "tl_n", node, size, previous, counted=False, type_name=type_name
        )

    def request(self, ctx, schema, coerced) -> tuple[tuple[str, ...], PageRequest]:
        """(the actions shown, the page asked for) of this request, not yet validated."""
        definition = schema._schema.get_type("Customer").fields["timeline"]
        given = get_argument_values(definition, self.field.node, coerced)
        actions = shown_actions(ctx)
        wanted = (given.get("filter") or {}).get("actions")
        if wanted:
            actions = frozenset(actions & set(wanted))
        return in_order(actions), PageRequest(given.get("first"), given.get("after"))

    def ctes(self, principal, actions: tuple[str, ...], request: PageRequest) -> tuple:
        """The page (`tl`, numbered `tl_n`) of `customer_pk`'s entries; a bad cursor raises
        the resolver's `InvalidInput`."""
        query = audit.customer_timeline(principal, connection.CUSTOMER_PK, actions)
        walk = plan_walk(query, request, E.id, E.id, True)
        page = connection.page_cte(walk.parts[0].with_only_columns(*COLUMNS), walk.page.size, "tl")
        return (page, text(self.numbered).columns().cte("tl_n"))


@functools.lru_cache(maxsize=256)
def in_order(actions: frozenset[str]) -> tuple[str, ...]:
    """The actions sorted, once per set (a frozenset keeps its hash)."""
    return tuple(sorted(actions))


def numbered(d) -> str:
    """`tl` numbered newest first, each row with its cursor: `core.pagination.encode_cursor`
    of (`id:desc`, id, id), i.e. `["id:desc",7,7]` in base64url."""
    raw = f"""'["{ORDER_KEY}",' || tl.id || ',' || tl.id || ']'"""
    return finish(
        f"SELECT tl.*, row_number() OVER (ORDER BY tl.id DESC) AS rn, {d.b64url(raw)} AS cursor__ "
        "FROM tl"
    )
