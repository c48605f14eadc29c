"""Concurrent writes of one deal against a real `server.py` process per database: a create
retried at once makes one deal; moves decided on the same version never both win, and every
move a client was told succeeded is in the deal (its version) and in its history (one
activity entry each): no lost update."""

import asyncio
import time
from collections import Counter

import httpx2
import pytest

from tests.servers import module_server, post_data
from tests.test_processes import new_tenant

RACERS = 24
RETRYING = 8
MOVE = """mutation($input: MoveDealInput!) { moveDeal(input: $input) {
  deal { version stage { name } } userErrors { code } } }"""
CREATE = """mutation($input: CreateDealInput!) { createDeal(input: $input) {
  deal { id version } userErrors { code } } }"""
COUNT = "query($id: ID!) { customer(id: $id) { deals { all { totalCount } } } }"
READ = "query($id: ID!) { node(id: $id) { ... on Deal { version stage { name } } } }"
ENTRIES = "query($id: ID!) { customer(id: $id) { activities { list(first: 1) { totalCount } } } }"


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    with module_server("deals", tmp_path_factory.mktemp("deals-race"), database_url) as app:
        yield app


def test_concurrent_creates_and_moves_never_double_nor_lose_an_update(server, database_url):
    async def scenario():
        limits = httpx2.Limits(max_connections=RACERS)
        async with httpx2.AsyncClient(base_url=server.url, timeout=30, limits=limits) as http:
            tenant = await new_tenant(database_url, http, 1)
            api, token, (customer_id,) = tenant.b, tenant.token, tenant.customers
            for module in ("deals", "activities"):
                await api.ok("enableModule", {"module": module}, "modules { name }")
            stages = {
                s["name"]: s["id"]
                for s in (await api.query("{ dealStages { id name } }"))["dealStages"]
            }
            # 0. A create retried many times at once (same key, same input): one deal.
            same = {
                "customerId": customer_id,
                "name": "Fleet renewal",
                "value": {"amount": 1_000_000, "currency": "EUR"},
                "idempotencyKey": "race-1",
            }
            created = await asyncio.gather(
                *(post_data(http, token, CREATE, input=same) for _ in range(16))
            )
            assert all(c["createDeal"]["userErrors"] == [] for c in created), created
            assert len({c["createDeal"]["deal"]["id"] for c in created}) == 1
            deal = created[0]["createDeal"]["deal"]
            listed = await post_data(http, token, COUNT, id=customer_id)
            assert listed["customer"]["deals"]["all"]["totalCount"] == 1
            targets = ["Qualified", "Proposal", "Negotiation"]

            def move(target: str, version: int):
                data = {"id": deal["id"], "stageId": stages[target], "version": version}
                return post_data(http, token, MOVE, input=data)

            # 1. Many moves decided on version 1 at once: exactly one wins.
            answers = await asyncio.gather(*(move(targets[i % 3], 1) for i in range(RACERS)))
            outcomes = Counter(
                a["moveDeal"]["userErrors"][0]["code"] if a["moveDeal"]["userErrors"] else "moved"
                for a in answers
            )
            assert outcomes == {"moved": 1, "VERSION_CONFLICT": RACERS - 1}, outcomes
            winner = next(a["moveDeal"]["deal"] for a in answers if a["moveDeal"]["deal"])
            now = (await post_data(http, token, READ, id=deal["id"]))["node"]
            assert now == winner and now["version"] == 2

            # 2. Clients that re-read and retry on a conflict: every one gets its move in.
            async def keep_trying(i: int) -> int:
                for attempt in range(200):
                    current = (await post_data(http, token, READ, id=deal["id"]))["node"]
                    target = next(
                        t for t in targets[i % 3 :] + targets if t != current["stage"]["name"]
                    )
                    answer = (await move(target, current["version"]))["moveDeal"]
                    if not answer["userErrors"]:
                        return attempt
                    assert answer["userErrors"][0]["code"] == "VERSION_CONFLICT", answer
                raise AssertionError("a mover never got its turn")

            retries = await asyncio.gather(*(keep_trying(i) for i in range(RETRYING)))
            final = (await post_data(http, token, READ, id=deal["id"]))["node"]
            assert final["version"] == 2 + RETRYING, (final, retries)
            # One entry per move a client was told succeeded, plus the opening one.
            expected, deadline = 1 + 1 + RETRYING, time.monotonic() + 10
            while True:
                entries = await post_data(http, token, ENTRIES, id=customer_id)
                total = entries["customer"]["activities"]["list"]["totalCount"]
                if total >= expected or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            assert total == expected
            print(f"retries per mover: {sorted(retries)}")

    asyncio.run(asyncio.wait_for(scenario(), 90))
