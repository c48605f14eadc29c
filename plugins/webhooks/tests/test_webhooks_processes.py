"""Two real `server.py` processes on one database, both running the job runner: concurrent
writes through both, deliveries claimed by either runner. Every event reaches the endpoint
through exactly one delivery, and each customer's events (written through one process, so
its relay records them in commit order) arrive in event order although the first one was
retried."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.receiver import Receiver
from tests.servers import AppServer, graphql, owner_token
from tests.support import SECRET, pk_of

UPDATES = 10
LOG = """query($id: ID) { webhookDeliveries(endpointId: $id, first: 100) {
  nodes { status event payload } } }"""


@pytest.fixture(scope="module")
def servers(database_url, tmp_path_factory):
    directory = tmp_path_factory.mktemp("webhooks-processes")
    environment = {
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "DB_APPLICATION_NAME": f"hub-webhooks-{uuid.uuid4().hex[:8]}",
        "JOB_POLL_SECONDS": "0.2",
        "JOB_CONCURRENCY": "2",
        "WEBHOOK_PRIVATE_TARGETS": "true",
        "WEBHOOK_TIMEOUT_SECONDS": "5",
        "WEBHOOK_RETRY_SECONDS": "[0.2, 0.3, 0.3]",
    }
    made = [AppServer(name, directory, environment) for name in ("a", "b")]
    try:
        for server in made:
            server.launch()
        for server in made:
            server.wait_ready(within=90)  # a loaded machine starts slowly
        yield made
        for server in made:
            assert server.alive, server.log_tail()
    finally:
        for server in made:
            server.stop()


@pytest.fixture(scope="module")
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def test_two_processes_deliver_each_event_once_and_in_order(servers, receiver, database_url):
    a, b = servers
    token = owner_token(database_url, "Webhooks")
    graphql(a, token, 'mutation { enableModule(input: {module: "webhooks"}) { modules { name } } }')
    where = f"/hook/{uuid.uuid4().hex[:12]}"
    receiver.scripts[where] = [500]
    made = graphql(
        a,
        token,
        """mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
          endpoint { id } userErrors { code } } }""",
        input={"url": receiver.url(where), "eventTypes": ["customer.updated"]},
    )["createWebhookEndpoint"]
    assert made["userErrors"] == []
    endpoint_id = made["endpoint"]["id"]
    create = "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id } } }"
    ada = graphql(a, token, create, i={"name": "Ada"})["createCustomer"]["customer"]["id"]
    bea = graphql(b, token, create, i={"name": "Bea"})["createCustomer"]["customer"]["id"]
    update = """mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) {
      userErrors { code } } }"""

    def write(server, customer_id, n):
        answer = graphql(server, token, update, i={"id": customer_id, "city": f"City {n}"})
        assert answer["updateCustomer"]["userErrors"] == []

    with ThreadPoolExecutor(4) as pool:  # two writers per process, one customer per process
        jobs = [pool.submit(write, a, ada, n) for n in range(UPDATES)]
        jobs += [pool.submit(write, b, bea, n) for n in range(UPDATES)]
        for job in jobs:
            job.result()

    deadline = time.monotonic() + 90
    while True:
        rows = graphql(a, token, LOG, id=endpoint_id)["webhookDeliveries"]["nodes"]
        if len(rows) >= 2 * UPDATES and all(r["status"] == "SUCCEEDED" for r in rows):
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.2)
    assert len(rows) == 2 * UPDATES
    assert len({r["event"] for r in rows}) == 2 * UPDATES  # one delivery per event
    got = [r.json for r in receiver.at(where)]
    assert len(got) >= 2 * UPDATES + 1  # the retry (and any attempt a loaded machine timed out)
    for who in (ada, bea):
        events = [pk_of(body["id"]) for body in got if body["customerId"] == who]
        assert len(set(events)) == UPDATES and events == sorted(events), who
