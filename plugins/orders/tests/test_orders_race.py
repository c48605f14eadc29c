"""Order numbers under a burst of concurrent creates against a real `server.py` process:
32 `createOrder` requests at once for one tenant and kind, the last a retry of the first
(same idempotency key and data): 31 orders with the numbers 1 to 31, no gap, none twice (the
per-tenant-and-kind counter row is bumped by one upsert held until commit), and the retry
answers the first order."""

import asyncio
import uuid

import httpx2
import pytest

from tests.servers import graphql, module_server, owner_token

CREATES = 32
CREATE = """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
  order { id number } userErrors { code } } }"""


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    with module_server("orders", tmp_path_factory.mktemp("orders"), database_url) as app:
        yield app


def test_32_concurrent_creates_get_gapless_distinct_numbers(server, database_url):
    token = owner_token(database_url, f"orders race {uuid.uuid4().hex[:6]}")
    graphql(
        server,
        token,
        'mutation { enableModule(input: {module: "orders"}) { userErrors { code } } }',
    )
    made = graphql(
        server,
        token,
        'mutation { createCustomer(input: {name: "Racer"}) { customer { id } } }',
    )
    customer_id = made["createCustomer"]["customer"]["id"]

    def order(i: int) -> dict:
        i %= CREATES - 1  # the last request is a retry of the first, key and all
        return {
            "customerId": customer_id,
            "kind": "PURCHASE_ORDER",
            "currency": "EUR",
            "lines": [{"description": f"Item {i}", "unitAmount": 100 + i}],
            "idempotencyKey": f"race-{i}",
        }

    async def burst():
        limits = httpx2.Limits(max_connections=CREATES)
        async with httpx2.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
            sent = [
                http.post(
                    "/graphql",
                    json={"query": CREATE, "variables": {"input": order(i)}},
                    headers={"Authorization": f"Bearer {token}"},
                )
                for i in range(CREATES)
            ]
            return [r.json() for r in await asyncio.gather(*sent)]

    results = asyncio.run(burst())
    payloads = [r["data"]["createOrder"] for r in results]
    assert all(p["userErrors"] == [] for p in payloads), payloads
    assert payloads[0]["order"] == payloads[-1]["order"]
    numbers = sorted({p["order"]["number"] for p in payloads})
    assert numbers == list(range(1, CREATES)), numbers
