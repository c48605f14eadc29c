"""Every error leaves with `extensions.code`. Domain errors keep their message; anything
unexpected is masked as INTERNAL with a request id that the log line carries too."""

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from core.database import BUSY, RETRY_AFTER, is_unavailable
from core.errors import DomainError, InvalidInput

log = logging.getLogger("customer_hub.errors")


def _coded(error: GraphQLError, code: str, message: str | None = None, **extra) -> GraphQLError:
    return GraphQLError(
        message=message or error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(error.extensions or {}), "code": code, **extra},
    )


UNKNOWN_FIELD = re.compile(r"^Cannot query field '(\w+)' on type '(\w+)'\.")


def _disabled_module(error: GraphQLError, context) -> GraphQLError | None:
    """A field of an installed module the tenant has not enabled: say which module."""
    match = UNKNOWN_FIELD.match(error.message)
    registry = getattr(context, "registry", None)
    if not match or registry is None:
        return None
    module = registry.module_of(match.group(2), match.group(1))
    if module is None:
        return None
    message = (
        f"Cannot query field '{match.group(1)}' on type '{match.group(2)}': it belongs to the "
        f"module '{module}', which is not enabled for this tenant."
    )
    return _coded(error, "MODULE_DISABLED", message, module=module)


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not getattr(result, "errors", None):
            return
        context = self.execution_context.context
        result.errors = [self.classify(e, context) for e in result.errors]

    @staticmethod
    def classify(error: GraphQLError, context=None) -> GraphQLError:
        request_id = getattr(context, "request_id", None)
        original = error.original_error
        if isinstance(original, InvalidInput):
            problems = [
                {"field": list(p.field), "message": p.message, "code": p.code}
                for p in original.problems
            ]
            return _coded(error, "BAD_USER_INPUT", problems=problems)
        if original is not None and is_unavailable(original):
            log.warning("database unavailable [request %s]: %r", request_id, original)
            return _coded(error, "SERVICE_UNAVAILABLE", BUSY, retryAfter=RETRY_AFTER)
        if isinstance(original, DomainError):
            return _coded(error, original.code)
        if (error.extensions or {}).get("code"):
            return error
        if isinstance(error, GraphQLSyntaxError) or isinstance(original, GraphQLSyntaxError):
            return _coded(error, "GRAPHQL_PARSE_FAILED")
        if (original is None or isinstance(original, GraphQLError)) and not error.path:
            disabled = _disabled_module(error, context)
            if disabled:
                return disabled
            code = "BAD_USER_INPUT" if error.message.startswith("Variable") else None
            return _coded(error, code or "GRAPHQL_VALIDATION_FAILED")
        log.error(
            "internal error [request %s] at %s",
            request_id,
            error.path,
            exc_info=original or error,
        )
        return _coded(error, "INTERNAL", "Internal server error.", requestId=request_id)
