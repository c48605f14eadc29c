"""Outgoing webhooks through the HTTP API, with a real receiving HTTP server in the test
(`receiver.py`) and the job runner of the test app sending: the signature checks with the
README's own snippet, retries after a 500 and a timeout, the order per customer under a
burst, nothing for a rolled-back write, once per event when the relay repeats it, the
delivery log and replays, switching an endpoint off after failures, tenancy, bad input."""

import re
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from core import events
from core.errors import Problem
from core.models import EventRecord
from plugins.webhooks.service import check_url
from server import create_app
from tests.fixtures import new_tenant, run
from tests.receiver import Receiver
from tests.support import Api, count_statements, gid, pk_of
from tests.support import create_customer as customer
from tests.support import create_worker as worker

README = Path(__file__).resolve().parents[3] / "README.md"
ENDPOINT = "endpoint { id url eventTypes active secretPrefix consecutiveFailures disabledAt }"
DELIVERIES = """query($endpoint: ID, $status: [WebhookDeliveryStatus!]) {
  webhookDeliveries(endpointId: $endpoint, first: 100, status: $status) {
    totalCount nodes { id event eventType status attempts replay payload responseStatus
      durationMs error finishedAt customer { id } endpoint { id }
      attemptLog { at responseStatus durationMs error } } } }"""
ENDPOINTS = "{ webhookEndpoints(first: 50) { totalCount nodes { id active secretPrefix } } }"
WAIT = 60.0


@pytest.fixture(scope="module")
def receiver():
    server = Receiver(slow_seconds=10.0).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def hooks_client(settings):
    fast = settings.model_copy(
        update={
            "job_concurrency": 4,
            "job_poll_seconds": 0,  # woken by its own commits and due times; quiet for counts
            "job_lease_seconds": 15,
            "webhook_private_targets": True,  # the receiver: http on 127.0.0.1
            "webhook_local_http": True,  # (model_copy runs no validator to derive it)
            "webhook_timeout_seconds": 4.0,
            "webhook_retry_seconds": [0.2, 0.3, 0.3],
            "webhook_disable_after": 2,
        }
    )
    with TestClient(create_app(fast)) as client:
        yield client


@pytest.fixture
def owner(hooks_client) -> Api:
    api = new_tenant(hooks_client)
    api.enable("webhooks")
    return api


def verifier():
    """The README's `verify`, run as written."""
    text = README.read_text()
    code = re.search(r"```python\n(import hashlib.*?def verify\(.*?)```", text, re.S).group(1)
    space: dict = {}
    exec(code, space)
    return space["verify"]


def path() -> str:
    return f"/hook/{uuid.uuid4().hex[:12]}"


def endpoint(api: Api, receiver: Receiver, where: str, types=("*",), **more) -> tuple[str, str]:
    made = api.ok(
        "createWebhookEndpoint",
        {"url": receiver.url(where), "eventTypes": list(types), **more},
        f"{ENDPOINT} secret",
    )
    return made["endpoint"]["id"], made["secret"]


def peek(api: Api, query: str, **variables) -> dict:
    """`data` of a query sent without waiting for the relay to drain (`Api.post` waits):
    while deliveries run, their job events keep it busy."""
    response = api.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


def burst(api: Api, name: str, inputs: list[dict]) -> None:
    """`Api.many` without waiting for the relay: one request of aliased mutations, each its
    own transaction, in order."""
    kind = f"{name[0].upper()}{name[1:]}Input!"
    params = ", ".join(f"$i{n}: {kind}" for n in range(len(inputs)))
    fields = " ".join(
        f"m{n}: {name}(input: $i{n}) {{ userErrors {{ code }} }}" for n in range(len(inputs))
    )
    variables = {f"i{n}": i for n, i in enumerate(inputs)}
    answer = peek(api, f"mutation({params}) {{ {fields} }}", **variables)
    assert all(not m["userErrors"] for m in answer.values()), answer


def deliveries(api: Api, endpoint_id: str | None = None, **more) -> list[dict]:
    found = peek(api, DELIVERIES, endpoint=endpoint_id, **more)["webhookDeliveries"]
    return found["nodes"]


def wait_until(check, what: str, within: float = WAIT):
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def drained(client: TestClient) -> None:
    """Until the relay has handed over everything so far (however long that takes here)."""
    wait_until(lambda: run(client, client.app.state.outbox.drained, 1.0), "the relay is idle")


def finished(api: Api, endpoint_id: str, count: int) -> list[dict]:
    def done():
        rows = deliveries(api, endpoint_id)
        ended = [r for r in rows if r["status"] in ("SUCCEEDED", "FAILED")]
        return rows if len(rows) >= count and len(ended) == len(rows) else None

    return wait_until(done, f"{count} deliveries finished")


def test_a_delivery_is_signed_as_documented_and_logged(owner, receiver):
    verify = verifier()
    where = path()
    endpoint_id, secret = endpoint(owner, receiver, where, ["customer.created"])
    assert secret.startswith("whsec_") and len(secret) > 30
    ada = customer(owner, "Ada")
    customer(owner, "Ada")  # customer.updated etc. are not subscribed; this one is
    wait_until(lambda: len(receiver.at(where)) >= 2, "two deliveries")
    first = min(receiver.at(where), key=lambda r: pk_of(r.json["id"]))
    assert verify(secret, first.headers, first.body)
    assert not verify("whsec_wrong", first.headers, first.body)
    assert not verify(secret, first.headers, first.body + b" ")
    stale = {**first.headers, "Webhook-Timestamp": str(int(time.time()) - 3600)}
    assert not verify(secret, stale, first.body)
    body = first.json
    assert body["action"] == "customer.created" and body["customerId"] == ada
    assert body["actorId"] == gid("Worker", owner.worker_id) and body["data"] == {}
    assert body.keys() == {"id", "action", "customerId", "occurredAt", "data", "actorId"}

    rows = finished(owner, endpoint_id, 2)
    log = next(r for r in rows if r["payload"]["id"] == body["id"])
    assert first.headers["Webhook-Id"] == log["id"] and log["event"] == body["id"]
    assert log["status"] == "SUCCEEDED" and log["responseStatus"] == 200
    assert log["customer"]["id"] == ada and log["endpoint"]["id"] == endpoint_id
    assert log["durationMs"] >= 0 and log["error"] is None and log["finishedAt"]
    assert log["attemptLog"][-1]["responseStatus"] == 200
    assert len(log["attemptLog"]) == log["attempts"]
    assert log["payload"] == body

    # the secret shows once: later reads show its first characters only
    listed = owner.post(ENDPOINTS).text
    assert secret not in listed and secret[:10] in listed
    rotated = owner.ok("rotateWebhookSecret", {"id": endpoint_id}, f"{ENDPOINT} secret")
    new = rotated["secret"]
    assert new != secret and rotated["endpoint"]["secretPrefix"] == new[:10]
    assert new not in owner.post(ENDPOINTS).text
    customer(owner, "Bea")
    third = wait_until(lambda: len(receiver.at(where)) >= 3 and receiver.at(where)[2], "3rd")
    assert verify(new, third.headers, third.body)
    assert not verify(secret, third.headers, third.body)


def test_a_500_and_a_timeout_are_retried_then_succeed(owner, receiver):
    failing, slow = path(), path()
    receiver.scripts[failing] = [500, 503]
    receiver.scripts[slow] = ["slow"]
    failing_id, _ = endpoint(owner, receiver, failing, ["customer.created"])
    slow_id, _ = endpoint(owner, receiver, slow, ["customer.created"])
    customer(owner, "Ada")
    (row,) = finished(owner, failing_id, 1)
    # (an answer slower than the timeout on a loaded machine would add a timed-out attempt)
    answered = [a for a in row["attemptLog"] if a["responseStatus"] is not None]
    assert row["status"] == "SUCCEEDED" and row["attempts"] == len(row["attemptLog"]) >= 3
    assert [a["responseStatus"] for a in answered] == [500, 503, 200]
    assert [a["error"] for a in answered] == ["HTTP 500", "HTTP 503", None]
    sent = receiver.at(failing)
    assert len(sent) == row["attempts"] and len({r.headers["Webhook-Id"] for r in sent}) == 1
    assert len({r.body for r in sent}) == 1

    (row,) = finished(owner, slow_id, 1)
    assert row["status"] == "SUCCEEDED" and row["attempts"] >= 2
    timed_out, ok = row["attemptLog"][0], row["attemptLog"][-1]
    assert timed_out["responseStatus"] is None and "No answer within 4 s" in timed_out["error"]
    assert ok["responseStatus"] == 200


def test_deliveries_of_one_customer_go_out_in_event_order(owner, receiver):
    """The first delivery fails twice: every later event of that customer waits for it."""
    where = path()
    receiver.scripts[where] = [500, 500]
    endpoint_id, _ = endpoint(owner, receiver, where, ["customer.updated"])
    ada, bea = customer(owner, "Ada"), customer(owner, "Bea")
    updates = []
    for n in range(8):
        updates += [{"id": ada, "city": f"Ada {n}"}, {"id": bea, "city": f"Bea {n}"}]
    burst(owner, "updateCustomer", updates)
    rows = finished(owner, endpoint_id, 16)
    assert all(r["status"] == "SUCCEEDED" for r in rows)
    for who in (ada, bea):
        got = [r.json for r in receiver.at(where) if r.json["customerId"] == who]
        firsts = list(dict.fromkeys(pk_of(body["id"]) for body in got))
        assert len(firsts) == 8 and firsts == sorted(firsts)
        # no later event arrived before an earlier one had succeeded
        seen = [pk_of(body["id"]) for body in got]
        assert seen == sorted(seen)


def test_a_rolled_back_write_sends_nothing_and_a_repeated_event_is_sent_once(
    owner, receiver, hooks_client
):
    where = path()
    endpoint_id, _ = endpoint(owner, receiver, where, ["customer.updated"])
    ada = customer(owner, "Ada")
    app = hooks_client.app

    async def rolled_back():
        modules = frozenset({"webhooks"})
        with pytest.raises(RuntimeError):
            async with app.state.db.transaction(owner.tenant_id) as session:
                events.bind(session, app.state.plugins, modules)
                event = events.Event("customer.updated", owner.tenant_id, pk_of(ada), {})
                await events.emit(session, event)
                await session.flush()
                raise RuntimeError("the write fails after its event")

    run(hooks_client, rolled_back)
    owner.ok("updateCustomer", {"id": ada, "city": "Paris"}, "customer { id }")
    (row,) = finished(owner, endpoint_id, 1)
    assert row["payload"]["data"] == {"changed": ["city"]}

    # the relay hands the committed event over again (a crash before it was marked)
    async def replay_outbox():
        async with app.state.db.transaction() as session:
            await session.execute(
                update(EventRecord)
                .where(EventRecord.id == pk_of(row["event"]))
                .values(published_at=None)
            )
        return await app.state.outbox.sweep(older_than=timedelta(0))

    assert run(hooks_client, replay_outbox) >= 1
    drained(hooks_client)
    time.sleep(0.5)
    assert len(deliveries(owner, endpoint_id)) == 1
    assert len(receiver.at(where)) == 1


def test_a_delivery_is_replayed_as_a_new_delivery(owner, receiver):
    where = path()
    endpoint_id, _ = endpoint(owner, receiver, where, ["customer.created"])
    customer(owner, "Ada")
    (original,) = finished(owner, endpoint_id, 1)
    made = owner.ok(
        "replayWebhookDelivery", {"id": original["id"]}, "delivery { id replay status event }"
    )
    copy = made["delivery"]
    assert copy["id"] != original["id"] and copy["replay"] == 1
    assert copy["event"] == original["event"]
    rows = finished(owner, endpoint_id, 2)
    assert {r["replay"] for r in rows} == {0, 1}
    first, second = receiver.at(where)
    assert first.body == second.body
    assert first.headers["Webhook-Id"] != second.headers["Webhook-Id"]
    missing = gid("WebhookDelivery", 2_147_480_000)
    failed = owner.mutate("replayWebhookDelivery", {"id": missing}, "delivery { id }")
    assert [e["code"] for e in failed["userErrors"]] == ["NOT_FOUND"]


def test_an_endpoint_failing_again_and_again_is_switched_off(owner, receiver):
    where = path()
    receiver.scripts[where] = [500, 500, 500, 500, 410]  # retries run out; then final
    endpoint_id, _ = endpoint(owner, receiver, where, ["customer.created"])
    customer(owner, "Ada")
    (row,) = finished(owner, endpoint_id, 1)
    assert row["status"] == "FAILED" and row["attempts"] == 4
    customer(owner, "Bea")
    rows = finished(owner, endpoint_id, 2)
    assert [r["status"] for r in rows] == ["FAILED", "FAILED"]
    assert rows[0]["attempts"] == 1 and rows[0]["responseStatus"] == 410

    node = "query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { active disabledAt } } }"
    state = owner.query(node, id=endpoint_id)["node"]
    assert state["active"] is False and state["disabledAt"]
    audit = owner.query(
        '{ auditLog(first: 5, filter: {actions: ["webhook.endpoint_disabled"]}) '
        "{ edges { node { data } } } }"
    )["auditLog"]["edges"]
    assert audit[0]["node"]["data"] == {"endpointId": pk_of(endpoint_id), "failures": 2}
    customer(owner, "Cy")
    time.sleep(0.5)
    assert len(deliveries(owner, endpoint_id)) == 2  # switched off: nothing more
    again = owner.ok("updateWebhookEndpoint", {"id": endpoint_id, "active": True}, ENDPOINT)
    assert again["endpoint"]["active"] and again["endpoint"]["consecutiveFailures"] == 0
    assert again["endpoint"]["disabledAt"] is None


def test_another_tenant_neither_gets_nor_sees_the_endpoints(owner, other_hooks, receiver):
    where = path()
    endpoint_id, _ = endpoint(owner, receiver, where, ["customer.*"])
    customer(other_hooks, "Theirs")
    other_hooks.ok(
        "createWebhookEndpoint",
        {"url": receiver.url(path()), "eventTypes": ["*"], "active": False},
    )
    mine = customer(owner, "Mine")
    finished(owner, endpoint_id, 1)
    got = [r.json for r in receiver.at(where)]
    assert [(b["action"], b["customerId"]) for b in got] == [("customer.created", mine)]
    assert other_hooks.query(ENDPOINTS)["webhookEndpoints"]["totalCount"] == 1
    assert deliveries(other_hooks, endpoint_id) == []
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert other_hooks.query(node, id=endpoint_id)["node"] is None
    for name, input in (
        ("updateWebhookEndpoint", {"id": endpoint_id, "active": False}),
        ("rotateWebhookSecret", {"id": endpoint_id}),
        ("deleteWebhookEndpoint", {"id": endpoint_id}),
    ):
        payload = other_hooks.mutate(name, input)
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"], name
    assert owner.query(node, id=endpoint_id)["node"] == {"id": endpoint_id}


@pytest.fixture
def other_hooks(hooks_client) -> Api:
    api = new_tenant(hooks_client, "Other Business")
    api.enable("webhooks")
    return api


def codes(payload: dict) -> list[tuple[str, str]]:
    return [(".".join(e["field"]), e["code"]) for e in payload["userErrors"]]


def test_bad_urls_and_event_types_are_user_errors(owner):
    def create(url="https://example.com/hook", types=("*",)):
        made = owner.mutate(
            "createWebhookEndpoint", {"url": url, "eventTypes": list(types)}, ENDPOINT
        )
        assert made["endpoint"] is None or not made["userErrors"]
        return codes(made)

    assert create("ftp://example.com/x") == [("input.url", "INVALID_URL")]
    assert create("not a url") == [("input.url", "INVALID_URL")]
    assert create("http://example.com/x") == [("input.url", "INSECURE_URL")]
    assert create("https://user:pw@example.com/") == [("input.url", "INVALID_URL")]
    assert create("") == [("input.url", "REQUIRED")]
    assert create(types=["customer.created", "nope.nothing"]) == [
        ("input.eventTypes.1", "UNKNOWN_EVENT_TYPE")
    ]
    assert create(types=["job.queued"]) == [("input.eventTypes.0", "UNKNOWN_EVENT_TYPE")]
    assert create(types=[]) == [("input.eventTypes", "REQUIRED")]
    assert create(types=["ticket.*", "customer.updated"]) == []
    assert create("http://localhost:8080/x") == []  # allowed by the test settings
    assert owner.query(ENDPOINTS)["webhookEndpoints"]["totalCount"] == 2

    problems: list[Problem] = []
    check_url("http://127.0.0.1:9/", False, problems)  # WEBHOOK_LOCAL_HTTP off
    assert [p.code for p in problems] == ["INSECURE_URL"]

    endpoint_id = owner.query(ENDPOINTS)["webhookEndpoints"]["nodes"][0]["id"]
    changed = owner.mutate(
        "updateWebhookEndpoint",
        {"id": endpoint_id, "url": "http://example.org/", "eventTypes": ["x"]},
        ENDPOINT,
    )
    assert codes(changed) == [
        ("input.url", "INSECURE_URL"),
        ("input.eventTypes.0", "UNKNOWN_EVENT_TYPE"),
    ]
    types = owner.query("{ webhookEventTypes }")["webhookEventTypes"]
    assert "customer.created" in types and "webhook.endpoint_disabled" in types
    assert not [t for t in types if t.startswith("job.")]


def test_only_owners_and_admins_see_and_manage_endpoints(owner):
    manager = Api(owner.client, owner.tenant_id, pk_of(worker(owner, "Max", "MANAGER")))
    errors = manager.errors(ENDPOINTS)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    body = manager.post(
        "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret } }",
        {"i": {"url": "https://example.com/", "eventTypes": ["*"]}},
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert owner.query(ENDPOINTS)["webhookEndpoints"]["totalCount"] == 0


def test_the_delivery_log_costs_the_same_for_3_and_12_rows(owner, receiver, hooks_client):
    where = path()
    endpoint_id, _ = endpoint(owner, receiver, where, ["customer.created"])
    burst(owner, "createCustomer", [{"name": f"C{n}"} for n in range(12)])
    rows = finished(owner, endpoint_id, 12)
    assert {r["status"] for r in rows} == {"SUCCEEDED"} and len(rows) == 12
    assert len(deliveries(owner, endpoint_id, status=["FAILED", "RETRYING"])) == 0
    page = """query($first: Int) { webhookDeliveries(first: $first) { nodes { id status
      attemptLog { responseStatus } endpoint { id url } customer { id name } } } }"""
    wait_until(lambda: not hooks_client.app.state.jobs.running, "the runner is idle")
    drained(hooks_client)
    counts = []
    for first in (3, 12):
        with count_statements(hooks_client.app.state.db.engine) as counter:
            found = peek(owner, page, first=first)["webhookDeliveries"]["nodes"]
        assert len(found) == first and all(n["customer"] for n in found)
        counts.append(counter.count)
    print(f"\nwebhookDeliveries statements, 3 vs 12 rows: {counts}")
    assert counts[0] == counts[1], counts


def test_erasing_a_customer_erases_their_deliveries_and_secrets_stay_out_of_the_log(
    owner, receiver
):
    where = path()
    endpoint_id, secret = endpoint(owner, receiver, where, ["customer.created"])
    ada, bea = customer(owner, "Ada"), customer(owner, "Bea")
    finished(owner, endpoint_id, 2)
    owner.ok("deleteCustomer", {"id": ada}, "deletedId")
    left = deliveries(owner, endpoint_id)
    assert [r["customer"]["id"] for r in left] == [bea]
    audit = peek(owner, "{ auditLog(first: 100) { edges { node { action data } } } }")
    assert secret not in str(audit) and secret[6:] not in str(audit)
