"""What keeps webhooks from harming the server and from hanging: internal addresses refused
when an endpoint is saved (userErrors) and when a delivery connects (a failed attempt, the
receiver never reached), and a delivery whose job ended without settling it (failed for good,
or cancelled) settled by another job instead of staying SENDING for ever."""

import asyncio

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from core import events
from core import jobs as j
from plugins.webhooks import delivery
from plugins.webhooks.models import DELIVERIES
from plugins.webhooks.tests.test_webhooks import (
    codes,
    deliveries,
    endpoint,
    finished,
    path,
    wait_until,
)
from server import create_app
from tests.fixtures import new_tenant, redeliver, run
from tests.receiver import Receiver
from tests.support import Api, pk_of
from tests.support import create_customer as customer

ENDPOINT = "endpoint { id url }"


@pytest.fixture(scope="module")
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def hooks_client(settings):
    fast = settings.model_copy(
        update={
            "job_concurrency": 2,
            "job_poll_seconds": 0,
            "webhook_private_targets": True,  # the receiver: http on 127.0.0.1
            "webhook_local_http": True,  # (model_copy runs no validator to derive it)
            "webhook_timeout_seconds": 4.0,
            "webhook_retry_seconds": [0.2, 0.3],
        }
    )
    with TestClient(create_app(fast)) as client:
        yield client


@pytest.fixture(scope="module")
def strict_client(settings):
    """Production's rule (no private targets), plain http on localhost allowed so that the
    address, not the scheme, is what refuses it; no job runner: it sends nothing."""
    strict = settings.model_copy(
        update={"job_concurrency": 0, "webhook_private_targets": False, "webhook_local_http": True}
    )
    with TestClient(create_app(strict)) as client:
        yield client


def admin(client: TestClient) -> Api:
    api = new_tenant(client)
    api.enable("webhooks")
    return api


INTERNAL = [
    "http://127.0.0.1:8000/hook",
    "http://localhost/hook",  # resolved: 127.0.0.1 / ::1
    "https://127.1/",  # the resolver's short form of 127.0.0.1
    "https://2130706433/",  # and its decimal one
    "https://10.1.2.3/",
    "https://192.168.0.10/",
    "https://100.64.0.1/",  # shared address space (carrier NAT)
    "https://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
    "https://0.0.0.0/",
    "https://224.0.0.1/",
    "https://240.0.0.1/",
    "https://[::1]/",
    "https://[fe80::1]/",
    "https://[fd00::1]/",
    "https://[ff02::1]/",
    "https://[::ffff:10.0.0.1]/",  # IPv4 inside IPv6
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
]


def test_internal_addresses_are_refused_when_an_endpoint_is_saved(strict_client):
    api = admin(strict_client)

    def create(url):
        made = api.mutate(
            "createWebhookEndpoint", {"url": url, "eventTypes": ["*"], "active": False}, ENDPOINT
        )
        return made

    for url in INTERNAL:
        made = create(url)
        assert codes(made) == [("input.url", "BLOCKED_ADDRESS")], url
        assert made["endpoint"] is None
    (error,) = create("http://localhost/hook")["userErrors"]
    assert (
        "localhost resolves to" in error["message"] and "public addresses only" in error["message"]
    )
    assert codes(create("ftp://8.8.8.8/")) == [("input.url", "INVALID_URL")]
    assert codes(create("http://8.8.8.8/")) == [("input.url", "INSECURE_URL")]
    public = create("https://8.8.8.8/hook")  # an address literal: no lookup needed
    assert public["userErrors"] == [] and public["endpoint"]["url"] == "https://8.8.8.8/hook"
    # a name that does not resolve now is taken: the delivery checks again when it connects
    unresolved = create("https://hooks.example.invalid/x")
    assert unresolved["userErrors"] == []
    moved = api.mutate(
        "updateWebhookEndpoint",
        {"id": public["endpoint"]["id"], "url": "https://[::1]:8443/"},
        ENDPOINT,
    )
    assert codes(moved) == [("input.url", "BLOCKED_ADDRESS")]
    listed = api.query("{ webhookEndpoints(first: 10) { nodes { url } } }")
    assert {n["url"] for n in listed["webhookEndpoints"]["nodes"]} == {
        "https://8.8.8.8/hook",
        "https://hooks.example.invalid/x",
    }


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_delivery_to_an_internal_address_fails_without_reaching_it(receiver, host):
    """The send-time check (what a name resolving elsewhere since it was saved meets): the
    connection is refused before it is opened, for good (no retry), and says why."""
    where = path()
    url = receiver.url(where).replace("127.0.0.1", host)
    attempt = delivery.Attempt(url, "whsec_x", "V2ViaG9va0RlbGl2ZXJ5OjE", {"id": "x"})

    async def send(allow_private):
        return await delivery.post(attempt, 4.0, allow_private)

    refused = run_async(send, False)
    assert refused.status is None and not refused.retry
    assert refused.error.startswith("Refused:") and "loopback address" in refused.error
    assert receiver.at(where) == []
    allowed = run_async(send, True)  # WEBHOOK_PRIVATE_TARGETS: development, these tests
    assert allowed.ok and allowed.status == 200 and len(receiver.at(where)) == 1


def run_async(work, *args):
    return asyncio.run(work(*args))


def _job_of(client, delivery_id: int) -> int:
    async def read():
        async with client.app.state.db.read() as conn:
            rows = (await conn.execute(select(j.JOBS.c.id, j.JOBS.c.payload))).all()
        return max(pk for pk, payload in rows if payload.get("deliveryId") == delivery_id)

    return run(client, read)


def _ended(client, api: Api, delivery_id: int, status: str) -> None:
    """What a process that kept dying (or a cancel) leaves: the delivery SENDING for a job
    that ended FAILED (or CANCELLED) without recording an answer; then that job's
    `job.finished`, handed to the module three times at once."""
    job_id = _job_of(client, delivery_id)

    async def leave():
        async with client.app.state.db.transaction() as session:
            await session.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.id == delivery_id)
                .values(
                    status="SENDING",
                    sending_job=job_id,
                    attempts=1,
                    attempt_log=[],
                    finished_at=None,
                )
            )
            await session.execute(update(j.JOBS).where(j.JOBS.c.id == job_id).values(status=status))

    run(client, leave)
    data = {"jobId": job_id, "kind": delivery.KIND, "status": status, "done": 0, "total": None}
    event = events.Event("job.finished", api.tenant_id, None, data, id=10**9)
    redeliver(client, event, frozenset({"webhooks"}))

    async def wake():
        client.app.state.jobs.wake()  # the handlers' job.queued went by no relay here

    run(client, wake)


def test_a_delivery_left_sending_by_a_job_that_failed_is_sent_again(hooks_client, receiver):
    api = admin(hooks_client)
    where = path()
    endpoint_id, _ = endpoint(api, receiver, where, ["customer.created"])
    customer(api, "Ada")
    (row,) = finished(api, endpoint_id, 1)
    _ended(hooks_client, api, pk_of(row["id"]), j.FAILED)

    def again():
        (found,) = deliveries(api, endpoint_id)
        return found if found["status"] == "SUCCEEDED" and found["attempts"] == 2 else None

    found = wait_until(again, "the delivery sent again")
    first, second = receiver.at(where)
    assert first.headers["Webhook-Id"] == second.headers["Webhook-Id"] == found["id"]
    lost, answered = found["attemptLog"]
    assert lost["responseStatus"] is None and lost["error"].startswith("Interrupted")
    assert answered["responseStatus"] == 200


def test_a_delivery_whose_job_was_cancelled_fails_and_lets_the_next_go(hooks_client, receiver):
    api = admin(hooks_client)
    where = path()
    endpoint_id, _ = endpoint(api, receiver, where, ["customer.created"])
    customer(api, "Ada")
    (row,) = finished(api, endpoint_id, 1)
    _ended(hooks_client, api, pk_of(row["id"]), j.CANCELLED)

    def failed():
        (found,) = deliveries(api, endpoint_id)
        return found if found["status"] == "FAILED" else None

    found = wait_until(failed, "the delivery failed")
    assert found["error"] == delivery.CANCELLED and len(receiver.at(where)) == 1
    endpoints = api.query("{ webhookEndpoints(first: 5) { nodes { consecutiveFailures } } }")
    assert endpoints["webhookEndpoints"]["nodes"] == [{"consecutiveFailures": 0}]
    customer(api, "Bea")  # the endpoint goes on
    rows = finished(api, endpoint_id, 2)
    assert sorted(r["status"] for r in rows) == ["FAILED", "SUCCEEDED"]
