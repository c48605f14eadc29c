"""The Communications tab through the HTTP API: sending through the console provider,
inbound hooks (signature, duplicates, matching), the unread badge per worker, the
message_request contract, isolation between tenants, statement counts, sanitised bodies."""

import pytest
from sqlalchemy import func, select

from core import events
from plugins.communications import service
from plugins.communications.models import Message
from plugins.communications.tests.helpers import (
    NODE,
    inbound,
    post,
    secret,
    send,
    sent,
    settled,
    tab,
)
from tests.fixtures import run
from tests.support import Api, as_worker, count_statements, pk_of, settle
from tests.support import create_customer as customer
from tests.support import create_worker as worker

EMAIL = [{"value": "ada@example.com"}]
PHONE = [{"value": "+47 555 01 234"}]
TIMELINE = """
query($id: ID!) { customer(id: $id) { timeline(first: 50) { nodes { action data } } } }"""


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("communications")
    return api


def ada(api: Api) -> str:
    return customer(api, "Ada", emails=EMAIL, phones=PHONE)


def actions(api: Api, customer_id: str) -> list[str]:
    nodes = api.query(TIMELINE, id=customer_id)["customer"]["timeline"]["nodes"]
    return [n["action"] for n in reversed(nodes) if n["action"].startswith("communication.")]


def test_sending_through_the_console_provider_delivers_after_the_commit(owner):
    who = ada(owner)
    message = sent(owner, who, "<p>Your <b>order</b> shipped.</p>", subject="Order")
    assert message["status"] in ("QUEUED", "DELIVERED")
    assert (message["direction"], message["provider"]) == ("OUTBOUND", "console")
    assert message["toAddress"] == "ada@example.com"  # the customer's primary email
    assert message["author"]["name"] == "Olivia Owner"
    assert settled(owner, message["id"])["status"] == "DELIVERED"
    text = sent(owner, who, "See you at 10", channel="SMS", subject="ignored")
    done = settled(owner, text["id"])
    assert (done["status"], done["toAddress"], done["subject"]) == (
        "DELIVERED",
        "+47 555 01 234",
        None,
    )
    shown = tab(owner, who)
    assert shown["all"]["totalCount"] == 2
    assert [n["channel"] for n in shown["all"]["nodes"]] == ["SMS", "EMAIL"]  # newest first
    assert shown["unreadCount"] == 0  # outbound messages are never unread
    assert tab(owner, who, channel="SMS")["all"]["totalCount"] == 1
    assert tab(owner, who, direction="INBOUND")["all"]["totalCount"] == 0
    assert actions(owner, who) == [
        "communication.sent",
        "communication.status_changed",
        "communication.sent",
        "communication.status_changed",
    ]


def test_bad_input_is_a_user_error_and_writes_nothing(owner):
    bare = customer(owner, "Bare")
    assert [e["code"] for e in send(owner, bare, "Hi")["userErrors"]] == ["REQUIRED"]
    who = ada(owner)
    codes = {
        "": "REQUIRED",
        "x" * 50_001: "TOO_LONG",
    }
    for body, code in codes.items():
        assert [e["code"] for e in send(owner, who, body)["userErrors"]] == [code]
    assert send(owner, who, "Hi", to="not-an-email")["userErrors"][0]["code"] == "INVALID"
    assert send(owner, who, "Hi", channel="CALL")["userErrors"][0]["code"] == "INVALID"
    assert send(owner, "Q3VzdG9tZXI6OTk5OTk5", "Hi")["userErrors"][0]["code"] == "NOT_FOUND"
    assert tab(owner, who)["all"]["totalCount"] == 0


def test_an_idempotency_key_sends_once(owner):
    who = ada(owner)
    first = sent(owner, who, "Once", idempotencyKey="k-1")
    again = sent(owner, who, "Once", idempotencyKey="k-1")
    assert first["id"] == again["id"]
    other = send(owner, who, "Twice?", idempotencyKey="k-1")
    assert other["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert tab(owner, who)["all"]["totalCount"] == 1


def test_an_email_body_is_sanitised(owner):
    who = ada(owner)
    evil = '<p onclick="steal()">Hi</p><script>alert(1)</script><a href="javascript:x()">go</a>'
    body = sent(owner, who, evil)["body"]
    assert "script" not in body and "onclick" not in body and "javascript" not in body
    assert "<p>Hi</p>" in body
    key = secret(owner)
    inbound(owner, key, "x-1", "ada@example.com", body='<img src=x onerror="alert(1)">ok')
    (node,) = tab(owner, who, direction="INBOUND")["all"]["nodes"]
    assert "onerror" not in node["body"] and "ok" in node["body"]
    text = sent(owner, who, "<b>a < b</b>", channel="SMS")["body"]
    assert text == "<b>a < b</b>"  # plain text: kept as written, shown as text


def test_inbound_hooks_check_the_signature_and_store_a_provider_id_once(owner, other_api):
    who = ada(owner)
    key = secret(owner)
    data = {"messageId": "p-1", "channel": "EMAIL", "from": "ADA@example.com", "body": "Hi"}
    assert post(owner, data, None).status_code == 401
    assert post(owner, data, "wrong").status_code == 401
    assert post(owner, data, key, provider="nope").status_code == 404
    assert post(owner, {"messageId": "p-2"}, key).status_code == 400
    first = post(owner, data, key).json()
    assert first["customerId"] == who and first["duplicate"] is False
    again = post(owner, data, key).json()
    assert again == {**first, "duplicate": True}
    assert tab(owner, who)["all"]["totalCount"] == 1
    # the same provider id through another provider is another message
    assert post(owner, data, key, provider="smtp").json()["duplicate"] is False
    # matched by phone; an unknown sender is kept, on no customer
    text = {"messageId": "p-3", "channel": "SMS", "from": "0047 555 01 234", "body": "Yes"}
    assert post(owner, text, key).json()["customerId"] == who
    stranger = {**data, "messageId": "p-4", "from": "who@nowhere.example"}
    assert post(owner, stranger, key).json()["customerId"] is None
    assert tab(owner, who)["all"]["totalCount"] == 3
    assert "communication.received" in actions(owner, who)
    # a rotated secret replaces the old one
    assert post(owner, {**data, "messageId": "p-5"}, secret(owner)).status_code == 200
    assert post(owner, {**data, "messageId": "p-6"}, key).status_code == 401
    # another tenant's hook, with this tenant's secret, or with the module off: 404 / 401
    assert post(owner, data, key, tenant=other_api.tenant_id).status_code == 404
    owner.ok("disableModule", {"module": "communications"}, "modules { name }")
    assert post(owner, {**data, "messageId": "p-7"}, key).status_code == 404


def test_the_unread_badge_is_per_worker(owner):
    who = ada(owner)
    sam = as_worker(owner, worker(owner, "Sam Agent", "ADMIN"))
    key = secret(owner)
    for n in range(3):
        inbound(owner, key, f"u-{n}", "ada@example.com")
    sent(owner, who, "Reply")
    assert tab(owner, who)["unreadCount"] == tab(sam, who)["unreadCount"] == 3
    newest_inbound = tab(owner, who, direction="INBOUND")["all"]["nodes"]
    up_to = newest_inbound[1]["id"]  # the second newest
    read = owner.ok("markCommunicationsRead", {"customerId": who, "upToId": up_to}, "unreadCount")
    assert read["unreadCount"] == 1
    assert tab(sam, who)["unreadCount"] == 3
    owner.ok("markCommunicationsRead", {"customerId": who}, "unreadCount")
    assert tab(owner, who)["unreadCount"] == 0
    # never backwards
    owner.ok("markCommunicationsRead", {"customerId": who, "upToId": up_to})
    assert tab(owner, who)["unreadCount"] == 0
    other = customer(owner, "Bob")  # a message of another customer is not found
    wrong = owner.mutate("markCommunicationsRead", {"customerId": other, "upToId": up_to})
    assert [(e["field"], e["code"]) for e in wrong["userErrors"]] == [
        (["input", "upToId"], "NOT_FOUND")
    ]
    inbound(owner, key, "u-9", "ada@example.com")
    assert (tab(owner, who)["unreadCount"], tab(sam, who)["unreadCount"]) == (1, 4)
    tabs = "query($id: ID!) { customer(id: $id) { profileTabs { key badgeCount } } }"
    badges = owner.query(tabs, id=who)["customer"]["profileTabs"]
    assert {t["key"]: t["badgeCount"] for t in badges}["communications"] == 1


def test_permissions_and_visibility(owner):
    who = ada(owner)
    agent = as_worker(owner, worker(owner, "Amy Agent"))
    errors = agent.errors(NODE.replace("node(id: $id)", "customer(id: $id)"), id=who)
    assert errors  # an agent not assigned to the customer does not see it
    assert send(agent, who, "Hi")["userErrors"][0]["code"] == "NOT_FOUND"
    (error,) = agent.errors("mutation { rotateCommunicationsHookSecret { secret } }")
    assert error["extensions"]["code"] == "FORBIDDEN"
    message = sent(owner, who, "Mine")
    assert agent.query(NODE, id=message["id"])["node"] is None


def test_another_tenant_sees_nothing(owner, other_api):
    who = ada(owner)
    message = sent(owner, who, "Private")
    other_api.enable("communications")
    assert other_api.query(NODE, id=message["id"])["node"] is None
    assert send(other_api, who, "Hi")["userErrors"][0]["code"] == "NOT_FOUND"
    payload = other_api.mutate("markCommunicationsRead", {"customerId": who}, "unreadCount")
    assert payload["userErrors"][0]["code"] == "NOT_FOUND"
    other = customer(other_api, "Ada", emails=EMAIL)
    assert tab(other_api, other)["all"]["totalCount"] == 0
    # an inbound message to the first tenant does not land on the other's Ada
    inbound(owner, secret(owner), "t-1", "ada@example.com")
    assert tab(other_api, other)["all"]["totalCount"] == 0


def _emit_request(api: Api, customer_id: str, request: dict) -> None:
    """Another module's event carrying a message_request, through the real outbox."""
    state = api.client.app.state

    async def work():
        async with state.db.transaction(api.tenant_id) as session:
            events.bind(session, state.plugins, frozenset({"communications"}))
            data = {"changed": ["name"], "message_request": request}
            event = events.Event("customer.updated", api.tenant_id, pk_of(customer_id), data)
            await events.emit(session, event)
            written = list(session.info["records"])
        state.outbox.after_commit(written)
        return event

    return run(api.client, work)


def test_message_requests_send_once_per_key(owner):
    who = ada(owner)
    request = {"key": "rule-7:1", "channel": "SMS", "subject": None, "body": "Reminder"}
    event = _emit_request(owner, who, request)
    settle(owner.client)
    state = owner.client.app.state

    async def replay():  # at-least-once delivery: the handler runs again
        async with state.db.transaction(owner.tenant_id) as session:
            events.bind(session, state.plugins, frozenset({"communications"}))
            await service.handle_request(session, event)

    run(owner.client, replay)
    _emit_request(owner, who, {**request, "body": "Other body, same key"})
    _emit_request(owner, who, {"key": "rule-7:2", "channel": "EMAIL", "body": "Mail"})
    _emit_request(owner, who, {"key": "", "channel": "EMAIL", "body": "no key"})
    _emit_request(owner, who, {"key": "bad", "channel": "FAX", "body": "bad channel"})
    settle(owner.client)
    nodes = tab(owner, who)["all"]["nodes"]
    assert sorted((n["channel"], n["body"]) for n in nodes) == [
        ("EMAIL", "Mail"),
        ("SMS", "Reminder"),
    ]
    assert {settled(owner, n["id"])["status"] for n in nodes} == {"DELIVERED"}

    async def count():
        async with state.db.transaction(owner.tenant_id) as session:
            query = select(func.count()).where(Message.tenant_id == owner.tenant_id)
            return await session.scalar(query.select_from(Message))

    assert run(owner.client, count) == 2


def test_merging_moves_the_messages(owner):
    who = ada(owner)
    twin = customer(owner, "Ada Twin")
    sent(owner, twin, "To the twin", to="twin@example.com")
    owner.ok("mergeCustomers", {"targetId": who, "sourceId": twin})
    assert tab(owner, who)["all"]["totalCount"] == 1


PAGE = """
query($first: Int) {
  customers(first: $first) {
    nodes {
      name
      profileTabs { key badgeCount }
      communications {
        unreadCount
        all(first: 3) { totalCount nodes { body status author { name } customer { name } } }
      }
    }
  }
}"""


def test_a_page_of_12_customers_costs_what_a_page_of_3_does(owner, engine):
    names = [{"name": f"C{i:02}", "emails": [{"value": f"c{i}@example.com"}]} for i in range(12)]
    ids = [p["customer"]["id"] for p in owner.many("createCustomer", names, "customer { id }")]
    key = secret(owner)
    for i, _ in enumerate(ids):
        if i % 2:
            inbound(owner, key, f"s-{i}", f"c{i}@example.com")
    owner.many("sendMessage", [{"customerId": c, "channel": "EMAIL", "body": "x"} for c in ids])
    owner.query(PAGE, first=1)
    with count_statements(engine) as three:
        small = owner.query(PAGE, first=3)["customers"]["nodes"]
    with count_statements(engine) as twelve:
        large = owner.query(PAGE, first=12)["customers"]["nodes"]
    print(f"statements: first 3 -> {three.count}, first 12 -> {twelve.count}")
    assert len(small) == 3 and len(large) == 12
    assert three.count == twelve.count, (three.statements, twelve.statements)
    for node in large:
        comms = node["communications"]
        badge = {t["key"]: t["badgeCount"] for t in node["profileTabs"]}["communications"]
        assert badge == comms["unreadCount"] == comms["all"]["totalCount"] - 1


def test_delivery_receipts_move_the_status_forward_only(owner):
    who = ada(owner)
    message = settled(owner, sent(owner, who, "Hi")["id"])
    provider_id = f"console-{owner.tenant_id}-{pk_of(message['id'])}"
    key = secret(owner)

    def receipt(status: str, message_id: str = provider_id):
        data = {"type": "status", "messageId": message_id, "status": status}
        return post(owner, data, key)

    assert receipt("READ").json() == {"id": message["id"], "customerId": who, "duplicate": False}
    assert owner.query(NODE, id=message["id"])["node"]["status"] == "READ"
    assert receipt("DELIVERED").json()["duplicate"] is True  # late: nothing moves
    assert receipt("FAILED").json()["duplicate"] is True
    assert receipt("READ", "console-unknown").status_code == 404
    assert receipt("LOST").status_code == 400
    assert actions(owner, who).count("communication.status_changed") == 2
