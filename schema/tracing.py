"""OpenTelemetry traces, exported over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set and
off otherwise (no provider, no extension, nothing on the request's path).

A request is one span with the GraphQL operation, parsing, validation and execution under
it, and a span per SQL statement (SQLAlchemy's instrumentation: the statement's text, never
its parameters). Not a span per field: a 50-row page resolves thousands of fields, and
their spans would cost more than the page. The request span is written here rather than by
the ASGI instrumentation, which records the query string, where a GET request carries its
variables: traces hold no customer data."""

from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from strawberry.extensions import LifecycleStep, SchemaExtension
from strawberry.extensions.tracing import OpenTelemetryExtension


class GraphQLSpans(OpenTelemetryExtension):
    """Strawberry's spans for the operation, parsing and validation, plus execution; no
    span per resolver."""

    def on_execute(self):
        operation = self._span_holder.get(LifecycleStep.OPERATION)
        parent = trace.set_span_in_context(operation) if operation else None
        span = self._tracer.start_span("GraphQL Execution", context=parent)
        yield
        span.end()

    resolve = SchemaExtension.resolve  # strawberry then wraps no resolver for this one


def tracer_provider(settings):
    """A provider exporting in batches to the OTLP/HTTP endpoint, or None when unset."""
    endpoint = settings.otel_exporter_otlp_endpoint
    if not endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel_service_name})
    )
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def instrument(provider, engine) -> list:
    """The schema extensions that trace GraphQL, after instrumenting the engine's SQL."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    # Its declared range stops below SQLAlchemy 2.1, whose engine events it uses unchanged.
    SQLAlchemyInstrumentor().instrument(
        engine=engine.sync_engine, tracer_provider=provider, skip_dep_check=True
    )
    return [lambda: GraphQLSpans(tracer_provider=provider)]


def stop(provider) -> None:
    """Export what is still batched; undo the engine's instrumentation (one per process, so
    the next app of a test run can instrument its own engine)."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    provider.shutdown()
    SQLAlchemyInstrumentor().uninstrument()


class RequestSpans:
    """The span of each HTTP request, parent of its GraphQL and SQL spans."""

    def __init__(self, provider):
        self.tracer = trace.get_tracer("customer_hub", tracer_provider=provider)

    @contextmanager
    def span(self, scope, ctx):
        name = f"{scope.get('method', 'GET')} {scope.get('path', '')}"
        with self.tracer.start_as_current_span(name, kind=SpanKind.SERVER) as span:
            span.set_attribute("http.request.method", scope.get("method", ""))
            span.set_attribute("url.path", scope.get("path", ""))
            span.set_attribute("hub.request_id", ctx.request_id)
            yield span
            outcome, principal = ctx.outcome, ctx.principal_or_none
            span.set_attribute("http.response.status_code", outcome.status)
            if outcome.operation:
                span.set_attribute("graphql.operation.name", outcome.operation)
            if outcome.codes:
                span.set_attribute("hub.error_codes", outcome.codes)
            if principal is not None:
                span.set_attribute("hub.tenant_id", principal.tenant_id)
