"""Text no database stores (a NUL character, an unpaired surrogate) anywhere in a request:
variables at any depth, object keys, IDs, literals (escaped and in block strings), websocket
subscribe payloads: `BAD_USER_INPUT` before anything runs, on both databases (PostgreSQL
refused them in the driver: `INTERNAL`)."""

import json

import pytest

from tests.support import Api, gid

JSON = "application/json"
SEARCH = "query($s: String) { customers(filter: {search: $s}) { totalCount } }"

UNSTORABLE = ["\x00", "\ud800", "\udfff", "a\x00", "x\udc00y"]


def post_raw(api: Api, payload: dict):
    """`payload` as JSON with unpaired surrogates escaped (`"\\ud800"`), as a JavaScript
    client's `JSON.stringify` sends them."""
    headers = {"Authorization": f"Bearer {api.token}", "Content-Type": JSON}
    body = json.dumps(payload, ensure_ascii=True).encode()
    return api.client.post("/graphql", content=body, headers=headers)


def refused_input(response) -> str:
    assert response.status_code == 200, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    return error["message"]


@pytest.mark.parametrize("text", UNSTORABLE, ids=ascii)
def test_search_variable(api, text):
    message = refused_input(post_raw(api, {"query": SEARCH, "variables": {"s": text}}))
    assert "'$s'" in message


def literal(text: str) -> str:
    """`text` as a GraphQL string literal (a NUL as the escape `\\u0000`)."""
    return json.dumps(text, ensure_ascii=True)


def test_literals_in_arguments_and_ids(api):
    for query in (
        f"{{ customers(filter: {{search: {literal('a' + chr(0))}}}) {{ totalCount }} }}",
        f"{{ customer(id: {literal(chr(0))}) {{ id }} }}",
        f"{{ nodes(ids: [{literal(gid('Customer', 1))}, {literal(chr(0))}]) {{ id }} }}",
        f'{{ customers(filter: {{search: """a{chr(0)}"""}}) {{ totalCount }} }}',
    ):
        message = refused_input(post_raw(api, {"query": query}))
        assert "NUL character" in message


@pytest.mark.parametrize("text", UNSTORABLE, ids=ascii)
def test_ids_and_nested_inputs(api, text):
    """IDs (base64 global ids) and strings deep in input objects and lists, custom field
    values included: refused before anything runs, and nothing is written."""
    cases = [
        ("query($id: ID!) { node(id: $id) { id } }", {"id": text}, "$id"),
        ("query($id: ID!) { customer(id: $id) { id } }", {"id": gid("Customer", 1) + text}, "$id"),
        (
            "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) "
            "{ customer { id } } }",
            {"input": {"name": "Ada", "customFields": [{"key": "tags", "options": ["a", text]}]}},
            "$input.customFields[0].options[1]",
        ),
        (
            "query($f: CustomerFilter) { customers(filter: $f) { totalCount } }",
            {"f": {"search" + text: "x"}},
            "$f (a key)",
        ),
    ]
    for query, variables, where in cases:
        message = refused_input(post_raw(api, {"query": query, "variables": variables}))
        assert f"'{where}'" in message.encode("ascii", "backslashreplace").decode(), message
    assert api.query("{ customers { totalCount } }") == {"customers": {"totalCount": 0}}


def test_a_websocket_subscribe_payload_is_checked_too(api):
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {api.token}"}}
        ws.send_json(init)
        assert ws.receive_json()["type"] == "connection_ack"
        query = "subscription($id: ID!) { customerEvents(customerId: $id) { action } }"
        payload = {"query": query, "variables": {"id": "\x00"}}
        ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
        message = ws.receive_json()
        assert message["type"] in ("next", "error"), message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"]
