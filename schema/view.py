"""The HTTP face of the schema: who is asking (a Bearer token), a fresh context per request,
and errors that are always JSON with `extensions.code`, even before GraphQL runs."""

import logging

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from strawberry import UNSET
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from core import api_keys, statements
from core.access import principal_for
from core.auth import read_token
from core.config import Settings
from core.database import BUSY, RETRY_AFTER, Database, is_unavailable
from core.errors import Unauthenticated
from core.outbox import Outbox
from core.plugins import Plugins
from schema import graphiql
from schema.admission import Admission, Busy
from schema.compiled import fast
from schema.context import Context
from schema.errors import ErrorCodes
from schema.http import GraphQLOverHTTP, current_form, dumps, is_multipart
from schema.live import LiveHub
from schema.observe import Metrics, Outcome, clock, log_request, operation_name
from schema.persisted import PersistedQueries
from schema.registry import SchemaRegistry
from schema.sockets import SocketHandler
from schema.uploads import UploadRefused, check_request, receive_form

log = logging.getLogger("customer_hub.http")

HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}
# What a failed request's log line and metrics call it when no GraphQL error was written.
STATUS_CODES = {**HTTP_CODES, 413: "REQUEST_TOO_LARGE", 503: "SERVICE_UNAVAILABLE"}


def error_response(
    status: int,
    message: str,
    code: str,
    request_id: str | None = None,
    headers: dict | None = None,
) -> Response:
    headers = {**(headers or {}), **({"X-Request-ID": request_id} if request_id else {})}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="customer-hub"'
    if status == 405:
        headers.setdefault("Allow", "GET, POST")
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(dumps(body), status, headers, media_type="application/json")


class BodyTooLarge(Exception):
    """Raised from `receive` once the body passes `MAX_BODY_BYTES`. Nothing has been sent
    then: the view reads the whole body before it answers."""


def limit_body(receive: Receive, max_bytes: int) -> Receive:
    """`receive` that counts the body (a chunked one has no Content-Length to check)."""
    received = 0

    async def limited() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise BodyTooLarge
        return message

    return limited


async def read_body(receive: Receive) -> bytes | None:
    """The whole body, or None if the client left before sending it."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """`receive` for a body already read: the view parses it as if it were arriving."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def unavailable(message: str, request_id: str) -> Response:
    response = error_response(503, message, "SERVICE_UNAVAILABLE", request_id)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def body_too_large(max_bytes: int, request_id: str) -> Response:
    message = f"Request body exceeds the limit of {max_bytes:,} bytes (MAX_BODY_BYTES)."
    return error_response(413, message, "REQUEST_TOO_LARGE", request_id)


def declared_length(scope: Scope) -> int:
    try:
        return int(Request(scope).headers.get("content-length") or 0)
    except ValueError:
        return 0


class GraphQLView(GraphQLOverHTTP, GraphQL):
    """One view per schema (per set of enabled modules); the endpoint picks it per request.
    The HTTP conventions (body, media types, status codes) are `schema/http.py`'s."""

    graphql_transport_ws_handler_class = SocketHandler

    def __init__(self, schema, settings: Settings, authenticate=None, persisted=None):
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            allowed_origins=settings.allowed_origins,
        )
        self.authenticate = authenticate
        self.persisted = persisted
        self.max_json_depth = settings.max_json_depth
        self._ide_html = None
        if settings.graphiql and graphiql.present(settings.graphiql_assets):
            self._ide_html = graphiql.local_page(super().graphql_ide_html)

    def should_render_graphql_ide(self, request) -> bool:
        """Not for a GET carrying a persisted query's hash (no `query`, `extensions` only)."""
        has_extensions = request.query_params.get("extensions") is not None
        return not has_extensions and super().should_render_graphql_ide(request)

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL with its files served by this app, when they were fetched."""
        return self._ide_html or super().graphql_ide_html

    async def on_ws_connect(self, context: Context):
        """Browsers cannot send headers on a websocket: the token comes in `connection_init`
        (`{"Authorization": "Bearer …"}`); a bad one closes the socket (4403)."""
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        if not header and params.get("token"):
            header = f"Bearer {params['token']}"
        context.credentials = header
        try:
            context.principal_or_none = await self.authenticate(context, header)
        except Unauthenticated as exc:
            raise ConnectionRejectionError({"message": str(exc)}) from exc
        finally:
            await context.read.close()
        return UNSET

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            code = getattr(exc, "code", None) or HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
            request_id = request.state.context.request_id
            headers = getattr(exc, "headers", None)
            response = error_response(exc.status_code, exc.reason, code, request_id, headers)
        await response(scope, receive, send)

    async def get_context(self, request, response) -> Context:
        ctx: Context = request.state.context
        ctx.request, ctx.response = request, response
        if isinstance(response, Response):
            response.headers["X-Request-ID"] = ctx.request_id
        return ctx

    async def execute_operation(self, **kwargs):
        context = kwargs["context"]
        data = kwargs.get("request_data")
        if context.outcome is not None and not isinstance(data, list):
            context.outcome.operation = operation_name(data)
        if context.principal_or_none is None:
            raise HTTPException(401, str(context.auth_error or "Sign in first."))
        return await super().execute_operation(**kwargs)

    async def process_result(self, request, result):
        """Errors raised before the operation ran (parsing) skip the schema extensions. The
        operation is over: its connection goes back to the pool before the response is sent
        (a slow client must not hold one). Nothing done and the database to blame: 503."""
        ctx = request.state.context
        await ctx.close()
        if result.errors:
            result.errors = [ErrorCodes.classify(e, ctx) for e in result.errors]
            codes = {(e.extensions or {}).get("code") for e in result.errors}
            if ctx.outcome is not None:
                ctx.outcome.codes = [(e.extensions or {}).get("code") or "" for e in result.errors]
            nothing = not result.data or all(v is None for v in result.data.values())
            if "SERVICE_UNAVAILABLE" in codes and nothing and isinstance(ctx.response, Response):
                ctx.response.status_code = 503
                ctx.response.headers["Retry-After"] = str(RETRY_AFTER)
        return await super().process_result(request, result)

    def encode_json(self, data) -> str:
        """Text, not bytes: websocket frames must be text for graphql-ws clients."""
        return dumps(data).decode()


class GraphQLEndpoint:
    """`/graphql`: authenticates, then hands the request to the view of the tenant's module
    set, so introspection and validation see exactly the modules the tenant enabled."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        plugins: Plugins,
        registry: SchemaRegistry,
        outbox: Outbox | None = None,
        metrics: Metrics | None = None,
    ):
        self.db = db
        self.metrics = metrics
        self.spans = None  # `schema.tracing.RequestSpans` when tracing is on
        self.storage = None  # `core.storage.Storage`: where uploads go
        self.settings = settings
        self.plugins = plugins
        self.registry = registry
        self.outbox = outbox
        self.grants = plugins.permission_grants()
        self.views: dict[frozenset[str], GraphQLView] = {}
        self.persisted = None
        if settings.persisted_queries != "off":
            self.persisted = PersistedQueries.from_settings(settings)
        self.admission = Admission(settings.max_concurrent_requests, settings.request_queue_timeout)
        self.live = None
        if outbox is not None:
            self.live = LiveHub(db, outbox.bus, plugins, registry, self.reauthenticate)

    def view_for(self, modules: frozenset[str]) -> GraphQLView:
        key = frozenset(modules) & frozenset(self.plugins.modules)
        if key not in self.views:
            self.views[key] = GraphQLView(
                self.registry.schema_for(key), self.settings, self.authenticate, self.persisted
            )
        return self.views[key]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctx = Context(
            db=self.db,
            settings=self.settings,
            plugins=self.plugins,
            registry=self.registry,
            outbox=self.outbox,
            bus=self.outbox.bus if self.outbox else None,
            live=self.live,
            storage=self.storage,
        )
        scope.setdefault("state", {})["context"] = ctx
        if scope["type"] == "http":
            await self.observed(ctx, scope, receive, send)
        else:
            await self.serve(ctx, scope, receive, send)

    async def observed(self, ctx: Context, scope: Scope, receive: Receive, send: Send) -> None:
        """An HTTP request, timed and counted for its log line and the metrics."""
        ctx.outcome = outcome = Outcome()
        started, counter = clock(), statements.count()

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome.status = message["status"]
            await send(message)

        try:
            if self.spans is None:
                await self.serve(ctx, scope, receive, watched)
            else:
                with self.spans.span(scope, ctx):
                    await self.serve(ctx, scope, receive, watched)
        finally:
            seconds = clock() - started
            if outcome.status >= 400 and not outcome.codes:
                outcome.codes = [STATUS_CODES.get(outcome.status, f"HTTP_{outcome.status}")]
            if self.metrics is not None:
                self.metrics.observe(outcome, seconds, counter[0])
            log_request(ctx, outcome, seconds, counter[0])

    async def serve(self, ctx: Context, scope: Scope, receive: Receive, send: Send) -> None:
        max_bytes = self.settings.max_body_bytes
        form_set = None
        try:
            if scope["type"] == "http":
                # The body first: a connection is taken only once the request is all here.
                if scope["method"] == "POST" and is_multipart(
                    Request(scope).headers.get("content-type")
                ):
                    try:
                        check_request(scope, self.settings.signing_key)
                        form = await receive_form(scope, receive, self.settings)
                    except UploadRefused as exc:
                        refusal = error_response(exc.status, exc.message, exc.code, ctx.request_id)
                        await refusal(scope, receive, send)
                        return
                    if form is None:
                        return  # the client left
                    ctx.uploads = form
                    form_set = current_form.set(form)
                    max_bytes = 0
                if max_bytes and declared_length(scope) > max_bytes:
                    await body_too_large(max_bytes, ctx.request_id)(scope, receive, send)
                    return
                try:
                    body = await read_body(limit_body(receive, max_bytes)) if max_bytes else b""
                except BodyTooLarge:
                    await body_too_large(max_bytes, ctx.request_id)(scope, receive, send)
                    return
                if body is None:
                    return  # the client left
                receive = replay(body, receive)
                try:
                    ctx.release_turn = await self.admission.enter()
                except Busy:
                    message = "The server is busy; retry shortly."
                    await unavailable(message, ctx.request_id)(scope, receive, send)
                    return
                header = Request(scope).headers.get("authorization")
                try:
                    ctx.principal_or_none = await self.authenticate(ctx, header)
                except Unauthenticated as exc:
                    ctx.auth_error = exc
                except Exception as exc:
                    if not is_unavailable(exc):
                        raise
                    await ctx.close()
                    log.warning("no database for request %s: %r", ctx.request_id, exc)
                    await unavailable(BUSY, ctx.request_id)(scope, receive, send)
                    return
            modules = ctx.principal_or_none.modules if ctx.principal_or_none else frozenset()
            view = self.view_for(modules)
            if scope["type"] == "http" and ctx.uploads is None:
                response = await fast.answer_again(view.schema, ctx, scope, body)
                if response is not None:
                    if len(response.body) > fast.SENT_AT_ONCE:
                        await ctx.close()  # as `GraphQLView.process_result`: before it is sent
                    await response(scope, receive, send)
                    return
            await view(scope, receive, send)
        finally:
            await ctx.close()
            if ctx.uploads is not None:
                current_form.reset(form_set)
                ctx.uploads.close()

    async def reauthenticate(self, header: str | None):
        """For a live subscription, after a change that may have taken its access away."""
        ctx = Context(db=self.db, settings=self.settings)
        try:
            return await self.authenticate(ctx, header)
        finally:
            await ctx.close()

    async def authenticate(self, ctx: Context, header: str | None):
        if not header:
            raise Unauthenticated("Send `Authorization: Bearer <token>`.")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Send `Authorization: Bearer <token>`.")
        token = token.strip()
        if api_keys.looks_like_key(token):
            return await api_keys.principal_for_key(ctx.read, token)
        tenant_id, worker_id, ctx.expires_at = read_token(self.settings.signing_key, token)
        await ctx.read.set_tenant(tenant_id)  # row-level security: before the first read
        rls = self.db.rls
        async with ctx.read(scopes_itself=rls) as conn:
            principal = await principal_for(conn, tenant_id, worker_id, self.grants, scope=rls)
        if principal is None:
            raise Unauthenticated("The worker of this token no longer exists.")
        return principal
