"""`postChatMessage` under concurrent retries against a real `server.py` process: 12 requests
with one idempotency key make one message and all answer it; 12 first messages without a
thread, sent at once, make one "General" thread (the customer row is locked first)."""

import asyncio

import httpx2
import pytest

from tests.servers import AppServer, graphql, owner_token
from tests.support import SECRET

EACH = 12
POST = """mutation($i: PostChatMessageInput!) { postChatMessage(input: $i) {
  message { id threadId } userErrors { code } } }"""


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    app = AppServer(
        "chat",
        tmp_path_factory.mktemp("chat"),
        {"DATABASE_URL": database_url, "SECRET_KEY": SECRET},
    )
    try:
        app.launch()
        app.wait_ready(120.0)
        yield app
    finally:
        app.stop()


def burst(server, token: str, inputs: list[dict]) -> list[dict]:
    async def send():
        limits = httpx2.Limits(max_connections=len(inputs))
        async with httpx2.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
            sent = [
                http.post(
                    "/graphql",
                    json={"query": POST, "variables": {"i": data}},
                    headers={"Authorization": f"Bearer {token}"},
                )
                for data in inputs
            ]
            return [r.json() for r in await asyncio.gather(*sent)]

    found = []
    for body in asyncio.run(send()):
        assert not body.get("errors"), body
        found.append(body["data"]["postChatMessage"])
    return found


def test_concurrent_retries_make_one_message_and_one_general_thread(server, database_url):
    owner = owner_token(database_url, "chat race")
    graphql(
        server, owner, 'mutation { enableModule(input: {module: "chat"}) { userErrors { code } } }'
    )
    made = graphql(
        server, owner, 'mutation { createCustomer(input: {name: "Ada"}) { customer { id } } }'
    )
    ada = made["createCustomer"]["customer"]["id"]
    retries = burst(
        server, owner, [{"customerId": ada, "body": "Once", "idempotencyKey": "k"}] * EACH
    )
    assert all(r["userErrors"] == [] for r in retries), retries
    assert len({r["message"]["id"] for r in retries}) == 1
    firsts = burst(server, owner, [{"customerId": ada, "body": f"Hi {i}"} for i in range(EACH)])
    assert all(r["userErrors"] == [] for r in firsts), firsts
    assert len({r["message"]["threadId"] for r in firsts + retries}) == 1
    tab = graphql(
        server,
        owner,
        "query($id: ID!) { customer(id: $id) { chat { threads { id } messages { totalCount } } } }",
        id=ada,
    )["customer"]["chat"]
    assert len(tab["threads"]) == 1 and tab["messages"]["totalCount"] == EACH + 1
