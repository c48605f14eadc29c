"""Live updates over graphql-transport-ws: authenticated in `connection_init`, counts sent as
absolute values, only of the subscriber's tenant and visible customers."""

import time
from contextlib import ExitStack, contextmanager
from datetime import timedelta

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.support import Api, count_statements, gid, pk_of, token_for

BADGES = """subscription($ids: [ID!]!) { badgeCounts(customerIds: $ids) {
  customerId version tabs { key badgeCount } } }"""
EVENTS = "subscription($id: ID!) { customerEvents(customerId: $id) { action customerId data } }"
LIST = "subscription { customerListChanged { kind customerId } }"


@contextmanager
def socket(api: Api, token: str | None = None):
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json(
            {
                "type": "connection_init",
                "payload": {"Authorization": f"Bearer {token or api.token}"},
            }
        )
        assert ws.receive_json()["type"] == "connection_ack"
        yield ws


def subscribe(ws, query: str, op: str = "1", **variables) -> None:
    ws.send_json(
        {"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables}}
    )


def next_payload(ws) -> dict:
    message = ws.receive_json()
    assert message["type"] == "next", message
    return message["payload"]


def customer(api: Api, name: str, **fields) -> str:
    return api.ok("createCustomer", {"name": name, **fields}, "customer { id }")["customer"]["id"]


def tabs(payload: dict) -> dict[str, int]:
    return {t["key"]: t["badgeCount"] for t in payload["data"]["badgeCounts"]["tabs"]}


def test_badge_counts_start_current_and_follow_changes(api):
    api.enable("tickets")
    ada, bob = customer(api, "Ada"), customer(api, "Bob")
    api.ok("openTicket", {"customerId": ada, "subject": "Broken"})
    with socket(api) as ws:
        subscribe(ws, BADGES, ids=[ada, bob])
        first = [next_payload(ws), next_payload(ws)]
        by_customer = {p["data"]["badgeCounts"]["customerId"]: p for p in first}
        assert tabs(by_customer[ada])["tickets"] == 1
        assert tabs(by_customer[bob])["tickets"] == 0
        version = by_customer[ada]["data"]["badgeCounts"]["version"]
        api.ok("openTicket", {"customerId": bob, "subject": "Also broken"})
        update = next_payload(ws)
        assert update["data"]["badgeCounts"]["customerId"] == bob
        assert tabs(update)["tickets"] == 1
        assert update["data"]["badgeCounts"]["version"] > version


def test_other_tenants_and_hidden_customers_stay_silent(api, other_api):
    api.enable("tickets")
    other_api.enable("tickets")
    ada = customer(api, "Ada")
    theirs = customer(other_api, "Theirs")
    agent_id = api.ok(
        "createWorker",
        {"name": "Ann", "email": "ann@example.com", "role": "AGENT"},
        "worker { id }",
    )["worker"]["id"]
    agent = Api(api.client, api.tenant_id, pk_of(agent_id))
    mine = customer(api, "Mine", workerIds=[agent_id])
    with socket(agent) as ws:
        subscribe(ws, BADGES, ids=[ada, theirs, mine])
        initial = next_payload(ws)
        assert initial["data"]["badgeCounts"]["customerId"] == mine
        other_api.ok("openTicket", {"customerId": theirs, "subject": "Not yours"})
        api.ok("openTicket", {"customerId": ada, "subject": "Hidden from the agent"})
        api.ok("openTicket", {"customerId": mine, "subject": "Yours"})
        update = next_payload(ws)
        assert update["data"]["badgeCounts"]["customerId"] == mine
        assert tabs(update)["tickets"] == 1


def test_customer_events_and_list_changes(api):
    ada = customer(api, "Ada")
    with socket(api) as ws:
        subscribe(ws, EVENTS, id=ada)
        api.ok("updateCustomer", {"id": ada, "city": "London"})
        event = next_payload(ws)["data"]["customerEvents"]
        assert event["action"] == "customer.updated" and event["customerId"] == ada
        assert event["data"] == {"changed": ["city"]}
    with socket(api) as ws:
        subscribe(ws, LIST)
        bob = customer(api, "Bob")
        change = next_payload(ws)["data"]["customerListChanged"]
        assert change == {"kind": "CREATED", "customerId": bob}


def test_a_bad_token_closes_the_socket(api):
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"Authorization": "Bearer nope"}})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403


def test_errors_on_the_socket_carry_codes(api):
    with socket(api) as ws:
        ids = [gid("Customer", i) for i in range(1, 202)]
        subscribe(ws, BADGES, ids=ids)
        message = ws.receive_json()
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


def agent_of(api: Api, name: str = "Ann") -> tuple[Api, str]:
    agent_id = api.ok(
        "createWorker",
        {"name": name, "email": f"{name.lower()}@example.com", "role": "AGENT"},
        "worker { id }",
    )["worker"]["id"]
    return Api(api.client, api.tenant_id, pk_of(agent_id)), agent_id


def test_revoking_an_api_key_closes_the_sockets_that_use_it(api):
    key = api.ok(
        "createApiKey",
        {"name": "Zapier", "permissions": ["customers.view_all"]},
        "apiKey { id } secret",
    )
    with socket(api, key["secret"]) as keyed, socket(api) as signed_in:
        subscribe(keyed, LIST)
        subscribe(signed_in, LIST)
        ada = customer(api, "Ada")
        assert next_payload(keyed)["data"]["customerListChanged"]["customerId"] == ada
        assert next_payload(signed_in)["data"]["customerListChanged"]["customerId"] == ada
        api.ok("revokeApiKey", {"id": key["apiKey"]["id"]})
        with pytest.raises(WebSocketDisconnect) as closed:
            keyed.receive_json()
        assert closed.value.code == 4403
        bob = customer(api, "Bob")
        assert next_payload(signed_in)["data"]["customerListChanged"]["customerId"] == bob


def test_a_permission_change_reaches_live_subscriptions(api):
    api.enable("tickets")
    agent, agent_id = agent_of(api)
    hidden = customer(api, "Hidden")
    mine = customer(api, "Mine", workerIds=[agent_id])
    with socket(agent) as ws:
        subscribe(ws, BADGES, ids=[hidden, mine])
        assert next_payload(ws)["data"]["badgeCounts"]["customerId"] == mine
        grant = {"workerId": agent_id, "permission": "customers.view_all", "granted": True}
        api.ok("setWorkerPermission", grant)
        resynced = {next_payload(ws)["data"]["badgeCounts"]["customerId"] for _ in range(2)}
        assert resynced == {hidden, mine}
        api.ok("setWorkerPermission", {**grant, "granted": False})
        assert next_payload(ws)["data"]["badgeCounts"]["customerId"] == mine
        api.ok("openTicket", {"customerId": hidden, "subject": "Not for the agent any more"})
        api.ok("openTicket", {"customerId": mine, "subject": "Yours"})
        update = next_payload(ws)["data"]["badgeCounts"]
        assert update["customerId"] == mine


def test_removing_the_worker_closes_their_sockets(api):
    agent, agent_id = agent_of(api)
    with socket(agent) as ws:
        subscribe(ws, LIST)
        api.ok("deleteWorker", {"id": agent_id})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403


def test_the_customer_events_end_with_the_customer(api):
    ada = customer(api, "Ada")
    with socket(api) as ws:
        subscribe(ws, EVENTS, id=ada)
        api.ok("deleteCustomer", {"id": ada})
        assert next_payload(ws)["data"]["customerEvents"]["action"] == "customer.deleted"
        assert ws.receive_json() == {"id": "1", "type": "complete"}


def _statements_until_updated(api, engine, sockets: int) -> int:
    """Statements from opening a ticket until every subscriber has its new counts."""
    ada = customer(api, "Ada")
    with ExitStack() as stack:
        sockets_ = [stack.enter_context(socket(api)) for _ in range(sockets)]
        for ws in sockets_:
            subscribe(ws, BADGES, ids=[ada])
            next_payload(ws)
        with count_statements(engine) as counter:
            api.ok("openTicket", {"customerId": ada, "subject": "Broken"})
            for ws in sockets_:
                assert tabs(next_payload(ws))["tickets"] == 1
        return counter.count


def test_counts_are_recomputed_once_for_all_subscribers_who_see_alike(api, engine):
    api.enable("tickets")
    one = _statements_until_updated(api, engine, 1)
    five = _statements_until_updated(api, engine, 5)
    assert one == five


def test_one_update_sent_to_many_keeps_each_subscribers_selection(api):
    api.enable("tickets")
    ada = customer(api, "Ada")
    shaped = """subscription($ids: [ID!]!, $tabs: Boolean!) { badgeCounts(customerIds: $ids) {
      customerId tabs @include(if: $tabs) { key badgeCount } } }"""
    with socket(api) as a, socket(api) as b, socket(api) as c:
        subscribe(a, shaped, ids=[ada], tabs=True)
        subscribe(b, shaped, ids=[ada], tabs=False)
        subscribe(c, BADGES, ids=[ada])
        for ws in (a, b, c):
            next_payload(ws)
        api.ok("openTicket", {"customerId": ada, "subject": "Broken"})
        with_tabs, without, full = (next_payload(ws)["data"]["badgeCounts"] for ws in (a, b, c))
    assert {t["key"]: t["badgeCount"] for t in with_tabs["tabs"]}["tickets"] == 1
    assert without == {"customerId": ada}
    assert set(full) == {"customerId", "version", "tabs"}


def test_a_merge_removes_the_source_from_the_list(api):
    source, target = customer(api, "Ada Duplicate"), customer(api, "Ada")
    with socket(api) as ws:
        subscribe(ws, LIST)
        api.ok("mergeCustomers", {"sourceId": source, "targetId": target})
        changes = [next_payload(ws)["data"]["customerListChanged"] for _ in range(2)]
    kinds = {c["customerId"]: c["kind"] for c in changes}
    assert kinds == {source: "REMOVED", target: "CHANGED"}


def test_health_counts_the_live_subscriptions(api):
    ada = customer(api, "Ada")
    before = api.client.get("/health").json()["subscriptions"]
    with socket(api) as ws:
        subscribe(ws, BADGES, ids=[ada])
        next_payload(ws)
        subscribe(ws, LIST, op="2")
        api.ok("updateCustomer", {"id": ada, "city": "Oslo"})
        while ws.receive_json()["id"] != "2":
            pass
        assert api.client.get("/health").json()["subscriptions"] == before + 2
    for _ in range(50):
        if api.client.get("/health").json()["subscriptions"] == before:
            break
        time.sleep(0.02)
    assert api.client.get("/health").json()["subscriptions"] == before


def test_a_socket_ends_with_its_access_token(api):
    # a token's `exp` is whole seconds: this one lives 2-3 s, time to sign in under load
    short = token_for(api.tenant_id, api.worker_id, timedelta(seconds=3))
    with socket(api, short) as ws:
        subscribe(ws, LIST)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4403


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("subscription { customerListChanged { kind ", "GRAPHQL_PARSE_FAILED"),
        ("subscription {" + " __typename" * 6000 + " }", "GRAPHQL_PARSE_FAILED"),
        ("subscription { nope }", "GRAPHQL_VALIDATION_FAILED"),
    ],
    ids=["unterminated", "over MAX_TOKENS", "unknown field"],
)
def test_a_refused_document_is_an_error_message_and_the_socket_goes_on(api, document, code):
    with socket(api) as ws:
        subscribe(ws, document, op="bad")
        message = ws.receive_json()
        assert message["type"] == "error" and message["id"] == "bad", message
        assert message["payload"][0]["extensions"]["code"] == code, message
        subscribe(ws, LIST, op="good")
        api.ok("createCustomer", {"name": "Still here"})
        assert next_payload(ws)["data"]["customerListChanged"]["kind"] == "CREATED"


def test_the_first_counts_are_one_statement_however_many_modules_count(api, engine):
    """As the compiled list page reads its badges: the newest event id, which customers the
    subscriber may see, their folders (tabs hidden by folder) and every module's counts."""
    for module in ("tickets", "payments", "insurance", "appointments"):
        api.enable(module)
    ids = [customer(api, name) for name in ("Ada", "Bob", "Cy")]
    api.ok("openTicket", {"customerId": ids[1], "subject": "Broken"})
    with socket(api) as ws:
        with count_statements(engine) as counter:
            subscribe(ws, BADGES, ids=[*ids, ids[0]])
            first = [next_payload(ws)["data"]["badgeCounts"] for _ in ids]
        work = [s for s in counter.statements if not s.startswith("SELECT set_config")]
    assert len(work) == 1, work  # PostgreSQL sets the read's tenant first, as every request
    assert [f["customerId"] for f in first] == ids
    assert [{t["key"]: t["badgeCount"] for t in f["tabs"]}["tickets"] for f in first] == [0, 1, 0]
    assert len({f["version"] for f in first}) == 1 and first[0]["version"] > 0
