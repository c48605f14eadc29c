"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/) on top of Strawberry's
view: every request that cannot be run gets a coded JSON answer, never a traceback.

- The body is read here, not by Strawberry: `json.loads` raises `UnicodeDecodeError` on bad
  UTF-8 and `RecursionError` on deep nesting (uncaught: a plain 500, and uvicorn drops the
  connection), and a body that is not an object (`null`) failed on `.get`. orjson refuses
  bad UTF-8 and nesting past 1,024 levels; `MAX_JSON_DEPTH` is checked on the decoded value
  without recursion. Refusals are HTTP 400 `BAD_REQUEST`, in `application/json`: a request
  that never became a GraphQL request gets no `application/graphql-response+json` answer.
- The response's media type follows `Accept`: `application/graphql-response+json` when the
  client prefers it, else `application/json`, and 406 when neither is acceptable. With
  `application/graphql-response+json` a request error (parsing, validation, variables, the
  limits: nothing executed) is status 400 and has no `data` entry; with `application/json`
  it stays 200 with `"data": null`, as graphql-http's audit expects of legacy clients.
- Subscriptions are served on the websocket only: over HTTP they are refused (400
  `SUBSCRIPTION_OVER_HTTP`), and a mutation over GET is 405 with `Allow: POST`."""

import contextvars
import json
import math

import orjson
from cross_web import HTTPException
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from schema.persisted import Refused

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
ACCEPTED = {GRAPHQL_RESPONSE: GRAPHQL_RESPONSE, JSON: JSON, "application/*": JSON, "*/*": JSON}
# The parts of the multipart request being served (`schema/uploads.py`), set by the endpoint
# in the request's task for `parse_http_body`.
current_form: contextvars.ContextVar = contextvars.ContextVar("current_form", default=None)
HTTP_OPERATIONS = {
    "GET": (OperationType.QUERY,),
    "POST": (OperationType.QUERY, OperationType.MUTATION),
}


class Refusal(HTTPException):
    """An HTTP refusal with its own `extensions.code` (and headers) rather than the one its
    status implies."""

    def __init__(self, status: int, reason: str, code: str, headers: dict | None = None):
        super().__init__(status, reason)
        self.code = code
        self.headers = headers


class BadJson(json.JSONDecodeError):
    """A `JSONDecodeError`, so Strawberry's websocket adapter treats it as one (close 4400),
    with a message fit for the client."""

    def __init__(self, message: str):
        ValueError.__init__(self, message)
        self.msg, self.doc, self.pos, self.lineno, self.colno = message, "", 0, 1, 1


def dumps(data) -> bytes:
    """orjson refuses unpaired surrogates, which a message may quote from the request (an
    unknown operation's name); escaped ASCII JSON carries them."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode()


def too_deep(max_depth: int) -> BadJson:
    return BadJson(
        f"The request's JSON is nested deeper than {max_depth:,} levels (MAX_JSON_DEPTH)."
    )


def decode_json(data: bytes | str, max_depth: int) -> object:
    if not data.strip():
        raise BadJson("The request body is empty: send a JSON object with a `query`.")
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        value = _with_surrogates(data, exc, max_depth)
    # Each level opens a bracket: fewer brackets than the limit need no walk.
    opening = (b"[", b"{") if isinstance(data, bytes) else ("[", "{")
    if data.count(opening[0]) + data.count(opening[1]) > max_depth and _deeper(value, max_depth):
        raise too_deep(max_depth)
    return value


def _with_surrogates(data: bytes | str, exc: Exception, max_depth: int) -> object:
    """JSON's grammar allows an escaped unpaired surrogate (`"\\ud800"`), orjson does not: the
    standard parser reads such a body, so the string is refused where any other
    unstorable text is (`BAD_USER_INPUT`, naming the variable)."""
    message = str(exc)
    if "depth limit" in message:
        raise too_deep(max_depth) from exc
    if "surrogate" not in message and "UTF-8" not in message:
        raise BadJson(f"The request body is not valid JSON: {message}") from exc
    try:
        text = data.decode() if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise BadJson("The request body is not valid UTF-8.") from None
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise too_deep(max_depth) from None
    except ValueError as error:
        raise BadJson(f"The request body is not valid JSON: {error}") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _deeper(value: object, max_depth: int) -> bool:
    """Level by level, so no depth overflows a stack."""
    level = [value] if isinstance(value, (dict, list)) else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            return True
        below = []
        for item in level:
            children = item.values() if isinstance(item, dict) else item
            below.extend(c for c in children if isinstance(c, (dict, list)))
        level = below
    return False


def negotiate(accept: str | None) -> str | None:
    """The media type to answer in: the most preferred one we serve (the first listed among
    equals); a wildcard or no `Accept` means `application/json`; None: nothing acceptable."""
    if not accept or not accept.strip():
        return JSON
    best, best_q = None, 0.0
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q, utf8 = 1.0, True
        for param in params:
            name, _, value = param.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"').lower()
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
            elif name == "charset":
                utf8 = value in ("utf-8", "utf8")
        chosen = ACCEPTED.get(media.lower())
        if chosen and utf8 and q > best_q:
            best, best_q = chosen, q
    return best


def content_type(media: str) -> str:
    """The `Content-Type` of an answer in `media` (`negotiate`'s choice)."""
    return f"{GRAPHQL_RESPONSE}; charset=utf-8" if media == GRAPHQL_RESPONSE else media


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == "multipart/form-data"


def is_json(content_type: str | None) -> bool:
    media, *params = (p.strip().lower() for p in (content_type or "").split(";"))
    charsets = [p.partition("=")[2].strip('" ') for p in params if p.startswith("charset")]
    return media == JSON and all(c in ("utf-8", "utf8") for c in charsets)


def operation_of(data: object) -> GraphQLRequestData:
    if isinstance(data, list):
        raise HTTPException(400, "Batching is not enabled: send one operation per request.")
    if not isinstance(data, dict):
        raise HTTPException(400, 'The request body must be a JSON object: {"query": "…"}.')
    for name, kind, what in (
        ("query", str, "a string"),
        ("operationName", str, "a string"),
        ("variables", dict, "an object"),
        ("extensions", dict, "an object"),
    ):
        if data.get(name) is not None and not isinstance(data[name], kind):
            message = f"The GraphQL operation's `{name}` must be {what} or null, if provided."
            raise HTTPException(400, message)
    return GraphQLRequestData(
        query=data.get("query"),
        variables=data.get("variables"),
        operation_name=data.get("operationName"),
        extensions=data.get("extensions"),
    )


def request_error_status(body: dict) -> int | None:
    """400 (500 for our own failure) for a result that never reached execution: no data,
    and no error with a path (a field's error always has one)."""
    errors = body.get("errors")
    if body.get("data") is not None or not errors or any("path" in e for e in errors):
        return None
    internal = any((e.get("extensions") or {}).get("code") == "INTERNAL" for e in errors)
    return 500 if internal else 400


class GraphQLOverHTTP:
    """Mixed into the Strawberry view (before it in the bases)."""

    max_json_depth = 64
    persisted = None  # `schema.persisted.PersistedQueries`, unless turned off

    def decode_json(self, data: bytes | str) -> object:
        return decode_json(data, self.max_json_depth)

    def parse_json(self, data: bytes | str) -> object:
        try:
            return self.decode_json(data)
        except BadJson as exc:
            raise HTTPException(400, exc.msg) from exc

    async def parse_http_body(self, request) -> GraphQLRequestData:
        if negotiate(request.headers.get("accept")) is None:
            raise Refusal(
                406,
                f"This server answers in `{GRAPHQL_RESPONSE}` or `{JSON}`: accept one of them.",
                "NOT_ACCEPTABLE",
            )
        if request.method == "GET":
            params = request.query_params
            data = {name: params.get(name) or None for name in ("query", "operationName")}
            for name in ("variables", "extensions"):
                if params.get(name):
                    data[name] = self.parse_json(params[name])
            return operation_of(data)
        form = current_form.get()
        if form is not None and is_multipart(request.content_type):
            return operation_of(form.operations)
        if not is_json(request.content_type):
            message = (
                f"Send the request body as `Content-Type: {JSON}` (or `multipart/form-data` "
                "for file uploads, with POST)."
            )
            raise HTTPException(415, message)
        return operation_of(self.parse_json(await request.get_body()))

    async def execute_single(
        self, request, request_adapter, sub_response, context, root_value, request_data
    ):
        if self.persisted is not None:
            try:
                request_data = await self.persisted.resolve(request_data)
            except Refused as exc:
                return exc.result()
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=HTTP_OPERATIONS[request_adapter.method],
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as exc:
            if exc.operation_type is OperationType.SUBSCRIPTION:
                message = (
                    "Subscriptions are served over the websocket at this address "
                    "(graphql-transport-ws), not over HTTP."
                )
                raise Refusal(400, message, "SUBSCRIPTION_OVER_HTTP") from exc
            message = "Mutations are sent with POST, not GET."
            raise Refusal(405, message, "METHOD_NOT_ALLOWED", {"Allow": "POST"}) from exc
        except CannotGetOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason()) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request.") from exc

    async def get_sub_response(self, request):
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = negotiate(request.headers.get("accept")) or JSON
        return sub_response

    def create_response(self, response_data, sub_response):
        media = getattr(sub_response, "media_type", None) or JSON
        if media == GRAPHQL_RESPONSE and isinstance(response_data, dict):
            status = request_error_status(response_data)
            if status is not None:
                response_data = {k: v for k, v in response_data.items() if k != "data"}
                sub_response.status_code = sub_response.status_code or status
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = content_type(media)
        return response
