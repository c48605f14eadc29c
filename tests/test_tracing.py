"""Traces reach a real OTLP/HTTP endpoint (a small collector this file runs) when one is
configured: the request span with its GraphQL operation, parsing, validation, execution and
SQL statements below it, and no variable value anywhere in them."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.testclient import TestClient

from server import create_app
from tests.fixtures import new_tenant

SECRET_VALUE = "Philomena Tracewell"


class Collector(ThreadingHTTPServer):
    def __init__(self):
        self.spans: list = []

        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest.FromString(body)
                for resource in request.resource_spans:
                    for scope in resource.scope_spans:
                        collector.spans.extend(scope.spans)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def collector():
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()


def attributes(span) -> dict:
    found = {}
    for a in span.attributes:
        value = a.value
        kind = value.WhichOneof("value")
        found[a.key] = getattr(value, kind) if kind else None
    return found


def test_a_request_is_traced_down_to_its_sql(settings, collector):
    traced = settings.model_copy(update={"otel_exporter_otlp_endpoint": collector.url})
    with TestClient(create_app(traced)) as client:
        api = new_tenant(client)
        response = client.post(
            "/graphql",
            json={
                "query": "mutation Make($input: CreateCustomerInput!) { createCustomer("
                "input: $input) { customer { id } } }",
                "variables": {"input": {"name": SECRET_VALUE}},
            },
            headers={"Authorization": f"Bearer {api.token}"},
        )
        assert response.status_code == 200
        assert client.app.state.tracing.force_flush()
    spans = collector.spans
    by_name = {s.name: s for s in spans}
    request = by_name["POST /graphql"]
    assert attributes(request)["graphql.operation.name"] == "Make"
    assert attributes(request)["hub.tenant_id"] == api.tenant_id
    assert attributes(request)["http.response.status_code"] == 200
    trace_ids = {s.trace_id for s in spans if s.trace_id == request.trace_id}
    assert trace_ids == {request.trace_id}
    ours = [s for s in spans if s.trace_id == request.trace_id]
    names = {s.name for s in ours}
    assert {"GraphQL Query: Make", "GraphQL Parsing", "GraphQL Validation"} <= names
    assert "GraphQL Execution" in names
    sql = [s for s in ours if "db.statement" in attributes(s)]
    assert any("INSERT INTO customers" in attributes(s)["db.statement"] for s in sql)
    assert all(s.parent_span_id for s in ours if s is not request)
    assert not any(SECRET_VALUE in str(attributes(s)) for s in spans)
    assert not any(api.token in str(attributes(s)) for s in spans)


def test_without_an_endpoint_nothing_is_traced(client):
    assert client.app.state.tracing is None
