"""The compiled execution path as a schema extension: after parsing, validation and the limits
(the extensions before it), a query whose every root field compiles is answered by one
statement per root field whose JSON goes into the response as it came from the database
(`orjson.Fragment`); any other operation, and any request the compiled path cannot finish
(a variable or argument it would refuse, a cursor of another order), runs the usual way, so
its answer and its errors are the resolvers'.

Plans are made once per (document, operation, the tenant's module set, the principal's
permissions) and kept in a bounded LRU per schema; what did not compile is remembered too."""

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
)
from graphql.execution.values import get_argument_values, get_variable_values
from sqlalchemy import text
from strawberry.extensions import SchemaExtension
from strawberry.types.arguments import convert_arguments
from strawberry.types.graphql import OperationType as StrawberryOperation

from core import customer_queries as q
from core.database import is_unavailable
from core.errors import DomainError
from core.lru import Lru
from core.pagination import PageRequest, bound_cursors
from schema.avatar_links import link_base as avatar_base
from schema.compiled import (
    connection,
    profile,  # noqa: F401 (registers customFields, viewerCan)
)
from schema.compiled.dialects import DIALECTS
from schema.compiled.objects import Scope
from schema.compiled.selection import NotCompiled, fields
from schema.customers.queries import ListArguments
from schema.customers.types import page_walk
from schema.ids import from_global_id

log = logging.getLogger("customer_hub.compiled")

PLANS = 512
LIST_ARGUMENTS = ("first", "after", "last", "before", "filter", "order_by", "where", "archived")
NOT_COMPILED = object()


def module_fields(plugins, modules: frozenset[str], hook="hub_compiled_customer_fields") -> dict:
    found = {}
    for result in plugins.caller(hook, modules)():
        found.update(result or {})
    return found


@dataclass(frozen=True)
class Plan:
    """An operation compiled: its document, and per root field its response key and the
    compiled field (or "__typename")."""

    document: DocumentNode
    operation: OperationDefinitionNode
    roots: list


def plans_of(schema) -> Lru:
    return schema.__dict__.setdefault("compiled_plans", Lru(PLANS))


def plan_key(query: str, operation_name: str | None, principal) -> tuple:
    return (query, operation_name, principal.modules, principal.permissions)


def make_plan(schema, document, operation_name, principal, ctx):
    """The operation's `Plan`, or `NOT_COMPILED`."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation != OperationType.QUERY:
        return NOT_COMPILED
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    gql = schema._schema
    scope = Scope(
        d=DIALECTS[ctx.db.dialect],
        schema=gql,
        fragments=fragments,
        principal=principal,
        plugins=ctx.plugins,
        registry=ctx.registry,
        module_fields=module_fields(ctx.plugins, principal.modules),
    )
    roots = []
    modules = module_fields(ctx.plugins, principal.modules, "hub_compiled_query_fields")
    try:
        for f in fields([operation], fragments, gql, gql.query_type.name):
            if f.name == "__typename":
                roots.append((f.key, "__typename"))
            elif f.name == "customers":
                roots.append((f.key, connection.compile_customers(scope, f)))
            elif f.name == "customer":
                roots.append((f.key, connection.compile_customer(scope, f)))
            elif f.name in modules:
                roots.append((f.key, modules[f.name](replace(scope, parts={}), f)))
            else:
                raise NotCompiled(f.name)
    except NotCompiled as reason:
        log.debug("not compiled: %s", reason)
        return NOT_COMPILED
    return Plan(document, operation, roots)


async def answer(plan: Plan, schema, variables: dict | None, ctx) -> ExecutionResult | None:
    """The plan's result, or None where the usual path must answer (and word the errors)."""
    try:
        return await run_plan(plan, schema, variables, ctx)
    except (DomainError, NotCompiled):
        return None
    except Exception as error:
        if is_unavailable(error):
            return None
        log.warning("compiled path failed; answering the usual way", exc_info=True)
        return None


async def run_plan(plan: Plan, schema, variables: dict | None, ctx) -> ExecutionResult | None:
    operation, roots = plan.operation, plan.roots
    gql = schema._schema
    coerced = get_variable_values(gql, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return None  # the usual path words the errors
    data = {key: gql.query_type.name if root == "__typename" else None for key, root in roots}
    if all(root == "__typename" for _, root in roots):
        return ExecutionResult(data=data, errors=None)  # no statement needed
    async with ctx.read() as conn:
        for key, root in roots:
            if root == "__typename":
                continue
            if isinstance(root, connection.CompiledCustomer):
                answer = await _customer(conn, ctx, schema, root, coerced)
            elif isinstance(root, connection.Compiled):
                answer = await _customers(conn, ctx, schema, root, coerced)
            else:  # a module's (`hub_compiled_query_fields`)
                field = gql.query_type.fields[root.field.name]
                arguments = get_argument_values(field, root.field.node, coerced)
                answer = await root.answer(conn, ctx, arguments)
            if answer is None:
                return None
            data[key] = orjson.Fragment(answer)
    return ExecutionResult(data=data, errors=None)


async def _customers(conn, ctx, schema, compiled, coerced) -> bytes | None:
    gql = schema._schema
    node = compiled.field.node
    raw = get_argument_values(gql.query_type.fields["customers"], node, coerced)

    def convert():
        definition = schema.get_field_for_type("customers", gql.query_type.name)
        return convert_arguments(
            raw, definition.arguments, scalar_registry=schema.schema_converter.scalar_registry,
            config=schema.config,
        )  # fmt: skip

    kwargs = compiled.arguments(raw, convert)
    args = ListArguments.of(**{name: kwargs.get(name) for name in LIST_ARGUMENTS})
    if args.sort_key is not None:
        return None
    principal = ctx.principal
    page = args.page.validated()
    statement = compiled.for_order(args.order, args.descending, page.backwards)
    values = {
        "tenant_id": principal.tenant_id,
        "avatar_base": avatar_base(ctx),
        "size": page.size,
        "has_previous": page.after is not None,
        "has_next": page.before is not None,
    }
    prepared = bounds = key = built = None
    shape = list_shape(args)
    if shape is not None:
        column = q.ORDER_COLUMNS[args.order][0]
        bounds, cursor_values = bound_cursors(page, column, args.descending)
        values.update(cursor_values)
        key = (principal.everything(), shape)
        built = statement.kept.find(key)
    if built is not None and args.filter is not None and args.filter.status_ids:
        await q.check_statuses(conn, principal, args.filter.status_ids)  # as page_walk does
    if built is None:
        walk, prepared = await page_walk(ctx, conn, *args.for_page(), bounds=bounds)
        order_column = q.ORDER_COLUMNS[args.order][0].key
        if len(walk.parts) != 1 or walk.key != order_column:
            return None
        built = connection.statement(statement, walk.parts[0], principal, ctx.plugins, values)
        if key is not None:
            statement.kept.put(key, built)
    if compiled.counted:
        cap, count_cap = ctx.settings.search_candidates, ctx.settings.count_cap
        count = await q.count_customers(conn, principal, args.filter, count_cap, cap, prepared)
        values["total"], values["exact"] = count.value, count.exact
    return await connection.json_of(conn, built, values)


PURE_FILTER = ("search", "custom_fields")  # conditions read from the data


def list_shape(args: ListArguments) -> tuple | None:
    """What a list page's statement depends on besides the principal, when that is all:
    not with a `where`, an order by a nullable column or a filter whose conditions are read
    from the data (`status_ids` are checked against it on every request, kept or not).
    A cursor is a bound value (`core.pagination.bound_cursors`): only whether there is
    one counts."""
    page, f = args.page, args.filter
    if args.where or q.ORDER_COLUMNS[args.order][1]:
        return None
    if f is not None and any(getattr(f, name) for name in PURE_FILTER):
        return None
    given = () if f is None else tuple(_hashable(v) for v in vars(f).values())
    cursors = (page.after is not None, page.before is not None)
    return (args.order, args.descending, page.backwards, page.size, cursors, given)


def _hashable(value):
    return tuple(map(_hashable, value)) if isinstance(value, list) else value


async def _customer(conn, ctx, schema, compiled, coerced) -> bytes | None:
    gql = schema._schema
    raw = get_argument_values(gql.query_type.fields["customer"], compiled.field.node, coerced)
    principal = ctx.principal
    values = {
        "tenant_id": principal.tenant_id,
        "size": 1,
        "avatar_base": avatar_base(ctx),
        "customer_pk": from_global_id(raw["id"], "Customer"),
    }
    kids = timeline = None
    if compiled.kids is not None:
        field = gql.get_type("Customer").fields["subCustomers"]
        given = get_argument_values(field, compiled.kids.node, coerced)
        kids = PageRequest(*(given.get(k) for k in ("first", "after", "last", "before")))
        if kids.validated().backwards:
            return None
        values["kids_size"], values["kids_previous"] = kids.size, kids.after is not None
    if compiled.timeline is not None:
        actions, request = timeline = compiled.timeline.request(ctx, schema, coerced)
        values["tl_size"], values["tl_previous"] = (
            request.validated().size,
            request.after is not None,
        )
    key = None
    cursors = (kids.after, kids.before) if kids is not None else ()
    cursors += (request.after,) if timeline is not None else ()
    if all(c is None for c in cursors):  # a cursor is a value in the page's select
        key = (principal.everything(), kids and kids.size, timeline and (actions, request.size))
    built = None if key is None else compiled.statement.kept.find(key)
    if built is None:
        built = await _customer_statement(conn, ctx, compiled, kids, timeline, values)
        if key is not None:
            compiled.statement.kept.put(key, built)
    return await connection.json_of(conn, built, values)


async def _customer_statement(conn, ctx, compiled, kids, timeline, values):
    """The statement of `customer(id:)` for the id bound as `customer_pk`."""
    principal = ctx.principal
    more = ()
    if kids is not None:
        f = q.CustomerFilter(parent_id=connection.CUSTOMER_PK)
        walk, _ = await page_walk(ctx, conn, f, kids, "NAME", False)
        if len(walk.parts) != 1:
            raise NotCompiled("sub-customers in parts")
        page = connection.page_cte(walk.parts[0], walk.page.size, "kids")
        more = (page, text(compiled.kids_numbered).columns().cte("kids_n"))
    if timeline is not None:
        more += compiled.timeline.ctes(principal, *timeline)
    page = connection.one_customer(principal)
    return connection.statement(compiled.statement, page, principal, ctx.plugins, values, more)


class CompiledExecution(SchemaExtension):
    """Last of the schema's extensions: the limits and checks before it have run."""

    path = "fallback"

    async def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        ctx = ec.context
        if ctx.settings.compiled_execution and ec.operation_type == StrawberryOperation.QUERY:
            result = await self._compiled(ec, ctx)
            if result is not None:
                ec.result, self.path = result, "compiled"
        if ctx.outcome is not None:
            ctx.outcome.path = self.path
        yield

    async def _compiled(self, ec, ctx) -> ExecutionResult | None:
        principal = ctx.principal_or_none
        if principal is None or ec.graphql_document is None:
            return None
        schema = ec.schema
        # The name as the request gave it (none: the document's one operation), as
        # `fast.answer_again` finds the plan without parsing the text.
        key = plan_key(ec.query, ec._provided_operation_name, principal)
        plan = plans_of(schema).get(key, lambda: self._plan(schema, ec, principal, ctx))
        if plan is NOT_COMPILED:
            return None
        return await answer(plan, schema, ec.variables, ctx)

    @staticmethod
    def _plan(schema, ec, principal, ctx):
        try:
            return make_plan(schema, ec.graphql_document, ec.operation_name, principal, ctx)
        except Exception:
            log.warning("the compiler failed on an operation; it runs the usual way", exc_info=True)
            return NOT_COMPILED

    def get_results(self) -> dict:
        return reported(self.execution_context.context, self.path)


def reported(ctx, path: str) -> dict:
    """The response's extensions: which path answered, when `EXECUTION_DEBUG` is on."""
    return {"execution": path} if ctx.settings.execution_debug else {}
