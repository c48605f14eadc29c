"""An operation the compiled path has planned, answered again without Strawberry's request
pipeline. A plan is made (`execute.CompiledExecution`) only after the query text was parsed,
validated and held to the limits for this schema and these settings, which depend on nothing
else; what depends on the request is checked here as the extensions check it: the cost with
its variables (`QueryLimits`) and their text (`StoredText`). Anything else — a text not
planned yet, a GET, a persisted query, a body that is not a plain JSON object, any error —
goes the usual way, which words the refusals.

The bench's profile at a million customers: the pipeline around the statement (the request's
adapter, the extensions' hooks, the result's processing) cost 0.3 ms of server CPU a request
(2.1 ms, now 1.8)."""

from types import SimpleNamespace

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

from schema.compiled.execute import NOT_COMPILED, answer, plan_key, plans_of, reported
from schema.http import BadJson, content_type, decode_json, dumps, is_json, negotiate
from schema.limits import limits_of, query_cost
from schema.observe import operation_name
from schema.text import unstorable

KEYS = frozenset(("query", "operationName", "variables"))
# An answer this small fits in the transport's write buffer (asyncio's high-water mark is
# 64 KiB), so sending it does not wait for the client: the read transaction may end after it.
SENT_AT_ONCE = 32 * 1024


async def answer_again(schema, ctx, scope, body: bytes) -> Response | None:
    """The response to a POSTed query whose plan is kept, or None: serve it the usual way.
    The request's connection is still out: the caller gives it back after sending an answer
    under `SENT_AT_ONCE`, before sending a larger one."""
    principal = ctx.principal_or_none
    if principal is None or scope["method"] != "POST" or not ctx.settings.compiled_execution:
        return None
    headers = Headers(scope=scope)
    media = negotiate(headers.get("accept"))
    if media is None or not is_json(headers.get("content-type")):
        return None
    try:
        data = decode_json(body, ctx.settings.max_json_depth)  # as the usual path reads it
    except BadJson:
        return None
    if not isinstance(data, dict) or not data.keys() <= KEYS:
        return None
    query, name, variables = data.get("query"), data.get("operationName"), data.get("variables")
    if not isinstance(query, str) or not isinstance(name, str | None):
        return None
    if not isinstance(variables, dict | None) or unstorable(variables):
        return None
    plan = plans_of(schema).find(plan_key(query, name, principal))
    if plan is None or plan is NOT_COMPILED:
        return None
    gql = schema._schema
    cost = query_cost(gql, plan.document, variables, name, query)
    if cost > limits_of(ctx).max_query_cost:
        return None
    ctx.request = Request(scope)  # as `GraphQLView.get_context`: links are made under its origin
    result = await answer(plan, schema, variables, ctx)
    if result is None:
        return None
    sent = {"data": result.data}
    if extensions := reported(ctx, "compiled"):
        sent["extensions"] = extensions
    if ctx.outcome is not None:
        ctx.outcome.operation = operation_name(SimpleNamespace(operation_name=name, query=query))
        ctx.outcome.path = "compiled"
    headers = {"X-Request-ID": ctx.request_id, "content-type": content_type(media)}
    return Response(dumps(sent), 200, headers)
