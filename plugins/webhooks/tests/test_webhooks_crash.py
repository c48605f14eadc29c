"""A delivery survives the death of the process sending it: a real `server.py` is killed
with SIGKILL while its POST waits on a slow receiver (the delivery SENDING); a process started
afterwards takes the delivery's job over once its lease has run out and sends it exactly once
more, with the same `Webhook-Id` and body (receivers dedupe), logging the lost attempt."""

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.receiver import Receiver
from tests.servers import AppServer, graphql, owner_token
from tests.support import SECRET

LOG = """query($id: ID) { webhookDeliveries(endpointId: $id, first: 10) {
  nodes { id status attempts attemptLog { responseStatus error } } } }"""


@pytest.fixture(scope="module")
def receiver():
    server = Receiver(slow_seconds=120.0).start()  # longer than the test: A never hears back
    yield server
    server.stop()


@pytest.fixture
def servers() -> Iterator[list[AppServer]]:
    made: list[AppServer] = []
    yield made
    for server in made:
        server.stop()


def started(made: list[AppServer], name: str, directory: Path, environment: dict) -> AppServer:
    server = AppServer(name, directory, environment)
    made.append(server)
    server.launch()
    server.wait_ready(within=120)  # a loaded machine starts a process slowly
    return server


def test_a_delivery_whose_process_was_killed_mid_post_is_sent_once_more(
    servers, receiver, database_url, tmp_path: Path
):
    environment = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "DB_APPLICATION_NAME": f"hub-webhooks-crash-{uuid.uuid4().hex[:8]}",
        "JOB_LEASE_SECONDS": "1.5",
        "JOB_POLL_SECONDS": "0.2",
        "WEBHOOK_PRIVATE_TARGETS": "true",
        "WEBHOOK_TIMEOUT_SECONDS": "60",
        "WEBHOOK_RETRY_SECONDS": "[0.2]",
    }
    a = started(servers, "a", tmp_path, environment)
    token = owner_token(database_url, "Webhook crash")
    graphql(a, token, 'mutation { enableModule(input: {module: "webhooks"}) { modules { name } } }')
    where = f"/hook/{uuid.uuid4().hex[:12]}"
    receiver.scripts[where] = ["slow"]  # the first POST hangs; the next one is answered
    made = graphql(
        a,
        token,
        """mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
          endpoint { id } userErrors { code } } }""",
        input={"url": receiver.url(where), "eventTypes": ["customer.created"]},
    )["createWebhookEndpoint"]
    assert made["userErrors"] == []
    endpoint_id = made["endpoint"]["id"]
    create = "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id } } }"
    graphql(a, token, create, i={"name": "Ada"})

    deadline = time.monotonic() + 60
    while not receiver.at(where):
        assert time.monotonic() < deadline, a.log_tail()
        time.sleep(0.05)
    (row,) = graphql(a, token, LOG, id=endpoint_id)["webhookDeliveries"]["nodes"]
    assert (row["status"], row["attempts"]) == ("SENDING", 1)
    a.process.kill()  # SIGKILL mid-POST: the job's lease stays with the dead process
    a.process.wait(timeout=5)

    b = started(servers, "b", tmp_path, environment)
    deadline = time.monotonic() + 60
    while True:
        (row,) = graphql(b, token, LOG, id=endpoint_id)["webhookDeliveries"]["nodes"]
        if row["status"] in ("SUCCEEDED", "FAILED"):
            break
        assert time.monotonic() < deadline, (row, b.log_tail())
        time.sleep(0.1)
    assert row["status"] == "SUCCEEDED", row
    first, second = receiver.at(where)  # exactly once more
    assert first.headers["Webhook-Id"] == second.headers["Webhook-Id"] == row["id"]
    assert first.body == second.body
    assert row["attempts"] == 2
    lost, answered = row["attemptLog"]
    assert lost["responseStatus"] is None and lost["error"].startswith("Interrupted")
    assert answered == {"responseStatus": 200, "error": None}
