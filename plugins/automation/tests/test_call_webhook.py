"""CALL_WEBHOOK to a chosen endpoint, end to end: the rule names a `WebhookEndpoint` (checked
when saved, through `node(id:)`: one of another tenant, of another type, or one the author
cannot see is NOT_FOUND); its run's `automation.webhook` event carries `webhookEndpointId`
and the webhooks module delivers it to that endpoint alone, though it does not subscribe to
the type, and to no endpoint that does. Without an endpoint the call goes to the subscribers.
A real HTTP server receives (`tests/receiver.py`)."""

import time
import uuid

import pytest
from starlette.testclient import TestClient

from plugins.automation.tests.support import rule, settled_runs
from server import create_app
from tests.fixtures import new_tenant
from tests.receiver import Receiver
from tests.support import Api, as_worker, create_customer, create_worker

DELIVERIES = """query($endpoint: ID) { webhookDeliveries(endpointId: $endpoint, first: 50) {
  nodes { eventType status payload } } }"""


@pytest.fixture(scope="module")
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def hooks_client(settings):
    local = settings.model_copy(
        update={
            "webhook_private_targets": True,  # the receiver: http on 127.0.0.1
            "webhook_local_http": True,
            "webhook_timeout_seconds": 4.0,
        }
    )
    with TestClient(create_app(local)) as client:
        yield client


def tenant(client) -> Api:
    api = new_tenant(client)
    api.enable("automation", "webhooks")
    return api


def endpoint(api: Api, receiver: Receiver, types: list[str]) -> tuple[str, str]:
    where = f"/hook/{uuid.uuid4().hex[:12]}"
    made = api.ok(
        "createWebhookEndpoint",
        {"url": receiver.url(where), "eventTypes": types},
        "endpoint { id }",
    )
    return made["endpoint"]["id"], where


def received(receiver: Receiver, where: str, count: int) -> list[dict]:
    deadline = time.monotonic() + 30
    while True:
        with receiver.lock:
            found = [r.json for r in receiver.received if r.path == where]
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.05)


def deliveries(api: Api, endpoint_id: str) -> list[dict]:
    return api.query(DELIVERIES, endpoint=endpoint_id)["webhookDeliveries"]["nodes"]


def call(endpoint_id: str | None, **payload) -> dict:
    action = {"type": "CALL_WEBHOOK", "payload": payload}
    return {**action, "endpointId": endpoint_id} if endpoint_id else action


def test_a_call_goes_to_the_endpoint_it_names_alone(hooks_client, receiver):
    owner = tenant(hooks_client)
    chosen, chosen_path = endpoint(owner, receiver, ["customer.created"])  # not the type
    subscriber, subscriber_path = endpoint(owner, receiver, ["automation.webhook"])
    targeted = rule(owner, "To the CRM", {"kind": "MANUAL"}, [call(chosen, hello="chosen")])
    shown = owner.query(
        "{ automationRules(first: 5) { nodes { actions { type endpointId payload } } } }"
    )["automationRules"]["nodes"][0]["actions"]
    assert shown == [{"type": "CALL_WEBHOOK", "endpointId": chosen, "payload": {"hello": "chosen"}}]
    ada = create_customer(owner, "Ada")
    owner.ok("runAutomation", {"ruleId": targeted["id"], "customerIds": [ada]}, "runs { id }")
    [run] = settled_runs(owner, ada, 1)
    assert run["status"] == "DONE"
    bodies = received(receiver, chosen_path, 2)  # customer.created, then the call
    [sent] = [b for b in bodies if b["action"] == "automation.webhook"]
    assert sent["customerId"] == ada and sent["data"]["payload"] == {"hello": "chosen"}
    # The subscriber to the type got nothing of it: its delivery would have been recorded
    # with the chosen one's, by the same handler.
    assert [
        d for d in deliveries(owner, subscriber) if d["eventType"] == "automation.webhook"
    ] == []

    # Without an endpoint, the call goes to the subscribers of `automation.webhook` only.
    broadcast = rule(owner, "To all", {"kind": "MANUAL"}, [call(None, hello="all")])
    owner.ok("runAutomation", {"ruleId": broadcast["id"], "customerIds": [ada]}, "runs { id }")
    [sent] = received(receiver, subscriber_path, 1)
    assert sent["data"]["payload"] == {"hello": "all"}
    assert "webhookEndpointId" not in sent["data"]
    assert len(received(receiver, chosen_path, 2)) == 2  # nothing more for the chosen one


def test_an_endpoint_the_author_cannot_name_is_not_found(hooks_client, receiver):
    owner = tenant(hooks_client)
    other = tenant(hooks_client)
    theirs, _ = endpoint(other, receiver, ["*"])
    mine, _ = endpoint(owner, receiver, ["*"])
    customer = create_customer(owner, "Ada")
    manager = as_worker(owner, create_worker(owner, "Max Manager", "MANAGER"))

    def problems(api: Api, endpoint_id: str) -> list:
        data = {"name": "x", "trigger": {"kind": "MANUAL"}, "actions": [call(endpoint_id)]}
        found = api.mutate("createAutomationRule", data, "rule { id }")
        assert found["rule"] is None
        return [(e["field"], e["code"]) for e in found["userErrors"]]

    not_found = [(["input", "actions", "0", "endpointId"], "NOT_FOUND")]
    assert problems(owner, theirs) == not_found  # another tenant's
    assert problems(owner, customer) == not_found  # not an endpoint
    assert problems(manager, mine) == not_found  # managers do not see endpoints
    made = rule(owner, "Edited", {"kind": "MANUAL"}, [call(mine)])
    edit = {"id": made["id"], "name": "Edited", "trigger": {"kind": "MANUAL"}}
    answer = owner.mutate(
        "updateAutomationRule", {**edit, "actions": [call(theirs)]}, "rule { version }"
    )
    assert [(e["field"], e["code"]) for e in answer["userErrors"]] == not_found
