"""The HTTP face of the schema: who is asking (a Bearer token), a fresh context per request,
and errors that are always JSON with `extensions.code`, even before GraphQL runs."""

import logging

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from core.auth import read_token
from core.config import Settings
from core.database import Database
from core.errors import Unauthenticated
from core.tenants import principal_for
from schema.context import Context
from schema.errors import ErrorCodes

log = logging.getLogger("customer_hub.http")

HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def error_response(status: int, message: str, code: str, request_id: str | None = None) -> Response:
    headers = {"X-Request-ID": request_id} if request_id else None
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="customer-hub"'}
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status, headers=headers)


class GraphQLView(GraphQL):
    def __init__(self, schema, db: Database, settings: Settings):
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None)
        self.db = db
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            request_id = getattr(request.state, "request_id", None)
            code = HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
            response = error_response(exc.status_code, exc.reason, code, request_id)
        finally:
            context = getattr(request.state, "context", None)
            if context is not None:
                await context.close()
        await response(scope, receive, send)

    async def get_context(self, request, response) -> Context:
        ctx = Context(db=self.db, settings=self.settings, request=request, response=response)
        request.state.request_id = ctx.request_id
        request.state.context = ctx
        if isinstance(response, Response):
            response.headers["X-Request-ID"] = ctx.request_id
        try:
            ctx.principal_or_none = await self.authenticate(
                ctx, request.headers.get("authorization")
            )
        except Unauthenticated as exc:
            ctx.auth_error = exc
        return ctx

    async def authenticate(self, ctx: Context, header: str | None):
        if not header:
            raise Unauthenticated("Send `Authorization: Bearer <token>`.")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Send `Authorization: Bearer <token>`.")
        tenant_id, worker_id = read_token(self.settings.signing_key, token.strip())
        async with ctx.read() as conn:
            principal = await principal_for(conn, tenant_id, worker_id)
        if principal is None:
            raise Unauthenticated("The worker of this token no longer exists.")
        return principal

    async def execute_operation(self, **kwargs):
        context = kwargs["context"]
        if context.principal_or_none is None:
            raise HTTPException(401, str(context.auth_error or "Sign in first."))
        return await super().execute_operation(**kwargs)

    async def process_result(self, request, result):
        """Errors raised before the operation ran (parsing) skip the schema extensions."""
        if result.errors:
            request_id = getattr(request.state, "request_id", None)
            result.errors = [ErrorCodes.classify(e, request_id) for e in result.errors]
        return await super().process_result(request, result)

    def encode_json(self, data) -> bytes:
        return orjson.dumps(data)
