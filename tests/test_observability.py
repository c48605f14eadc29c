"""What operators watch: the request log line (ids, names, timings and codes; never a token
or customer data), Prometheus metrics at `/metrics` (bounded labels, state gauges, an
optional token), and JSON log lines from a real `server.py` process."""

import json
import logging
import re

import httpx2
import pytest
from starlette.testclient import TestClient

from schema.observe import MAX_OPERATIONS, configure_logging
from server import create_app
from tests.servers import AppServer
from tests.support import SECRET

NAMED = "query Customers { customers(first: 5) { totalCount } }"


def metric(text: str, name: str, **labels) -> float | None:
    """The value of one sample of the exposition text, None when absent."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = re.escape(name) + (r"\{" + re.escape(want) + r"\}" if labels else "") + r" (\S+)"
    found = re.search(r"^" + pattern + r"$", text, re.M)
    return float(found.group(1)) if found else None


def named(api, query: str, operation: str, variables: dict | None = None):
    return api.client.post(
        "/graphql",
        json={"query": query, "operationName": operation, "variables": variables or {}},
        headers={"Authorization": f"Bearer {api.token}"},
    )


def test_requests_are_counted_by_operation_and_outcome(api):
    before = api.client.get("/metrics").text
    ok = metric(before, "hub_requests_total", operation="Customers", outcome="ok") or 0
    assert named(api, NAMED, "Customers").status_code == 200
    assert named(api, "query Broken { nope }", "Broken").status_code == 200
    api.client.post("/graphql", json={"query": "{ customers { totalCount } }"})
    text = api.client.get("/metrics").text
    assert metric(text, "hub_requests_total", operation="Customers", outcome="ok") == ok + 1
    assert metric(
        text, "hub_requests_total", operation="Broken", outcome="GRAPHQL_VALIDATION_FAILED"
    )
    assert metric(text, "hub_requests_total", operation="anonymous", outcome="UNAUTHENTICATED")
    assert metric(text, "hub_request_duration_seconds_count", operation="Customers") >= 1
    assert metric(text, "hub_request_statements_count") >= 3
    for gauge in (
        "hub_db_connections_in_use",
        "hub_db_connections_waiting",
        "hub_requests_running",
        "hub_live_sockets",
        "hub_live_subscriptions",
        "hub_outbox_waiting",
        "hub_bus_reconnects",
    ):
        assert metric(text, gauge) is not None, gauge
    assert metric(text, "hub_db_connections_in_use") == 0  # each request gave its connection back


def test_operation_names_from_clients_cannot_grow_the_labels_without_bound(api):
    for i in range(MAX_OPERATIONS + 5):
        named(api, f"query Op{i} {{ customers(first: 1) {{ totalCount }} }}", f"Op{i}")
    text = api.client.get("/metrics").text
    operations = set(re.findall(r'^hub_requests_total\{operation="([^"]+)"', text, re.M))
    assert len(operations) <= MAX_OPERATIONS + 1
    assert metric(text, "hub_requests_total", operation="other", outcome="ok") >= 5


def test_metrics_can_require_a_token(settings):
    locked = settings.model_copy(update={"metrics_token": "s3cret"})
    with TestClient(create_app(locked)) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert right.status_code == 200
        assert "hub_requests_total" in right.text or "hub_requests_created" in right.text


def test_one_log_line_per_request_with_ids_and_counts_but_no_secrets(api, caplog):
    secret_name = "Zebediah Quixote-Secretname"
    with caplog.at_level(logging.INFO, logger="customer_hub.request"):
        response = named(
            api,
            "mutation Make($input: CreateCustomerInput!) { createCustomer(input: $input) "
            "{ customer { id } userErrors { code } } }",
            "Make",
            {"input": {"name": secret_name, "emails": [{"value": "zq@example.com"}]}},
        )
    assert response.status_code == 200
    lines = [r for r in caplog.records if r.name == "customer_hub.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line.request_id == response.headers["X-Request-ID"]
    assert (line.tenant_id, line.worker_id) == (api.tenant_id, api.worker_id)
    assert (line.operation, line.status, line.codes) == ("Make", 200, [])
    assert line.statements >= 2 and line.duration_ms > 0
    text = json.dumps(line.__dict__, default=str)
    for secret in (secret_name, "zq@example.com", api.token):
        assert secret not in text


def test_a_refused_request_is_logged_with_its_code(client, caplog):
    with caplog.at_level(logging.INFO, logger="customer_hub.request"):
        client.post("/graphql", json={"query": "{ customers { totalCount } }"})
    (line,) = [r for r in caplog.records if r.name == "customer_hub.request"]
    assert (line.status, line.codes, line.tenant_id) == (401, ["UNAUTHENTICATED"], None)


@pytest.fixture
def json_server(database_url, tmp_path):
    environment = {"DATABASE_URL": database_url, "LOG_FORMAT": "json", "LOG_LEVEL": "info"}
    server = AppServer("json", tmp_path, {"SECRET_KEY": SECRET, **environment})
    server.launch()
    try:
        server.wait_ready()  # inside: a server too slow to answer is stopped too
        yield server
    finally:
        server.stop()


def test_a_real_process_logs_json_lines(json_server):
    httpx2.post(
        f"{json_server.url}/graphql", json={"query": "query Q { customers { totalCount } }"}
    )
    scraped = httpx2.get(f"{json_server.url}/metrics").text
    assert metric(scraped, "hub_requests_total", operation="Q", outcome="UNAUTHENTICATED") == 1
    json_server.stop()
    lines = [json.loads(line) for line in json_server.log_path.read_text().splitlines() if line]
    requests = [r for r in lines if r["logger"] == "customer_hub.request"]
    assert any(r["operation"] == "Q" and r["status"] == 401 for r in requests), requests
    assert all({"time", "level", "message"} <= r.keys() for r in lines)


def test_text_logs_stay_readable(capsys):
    configure_logging("info", "text")
    try:
        logging.getLogger("customer_hub.request").info("hello %s", "there", extra={"x": 1})
        assert "INFO customer_hub.request hello there" in capsys.readouterr().err
    finally:
        logging.getLogger().handlers[:] = []
