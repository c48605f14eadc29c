"""Redemptions at once against a real `server.py` process: 32 clients redeeming a reward
with 5 in stock get exactly 5 of it, and 16 clients redeeming for one customer whose points
pay for 2 never overdraw the balance. The set-up and the checks go through the tests'
in-process app on the same database; the race goes over HTTP to the server process."""

import asyncio

import httpx2
import pytest

from plugins.loyalty.tests.test_loyalty import customer, loyalty, reward
from tests.servers import module_server
from tests.support import Api

REDEEM = """mutation($i: RedeemLoyaltyRewardInput!) { redeemLoyaltyReward(input: $i) {
  entry { points } userErrors { code } } }"""


@pytest.fixture
def server(database_url, tmp_path_factory):
    with module_server("loyalty", tmp_path_factory.mktemp("loyalty-race"), database_url) as app:
        yield app


def test_concurrent_redemptions_neither_oversell_nor_overdraw(api: Api, server):
    api.enable("loyalty")
    rich, poor = customer(api, "Rich"), customer(api, "Poor")
    for who, points in ((rich, 10_000), (poor, 250)):
        data = {"customerId": who, "points": points, "reason": "Start", "idempotencyKey": who}
        api.ok("adjustLoyaltyPoints", data)
    scarce = reward(api, "Scarce", cost=100, stock=5)
    plenty = reward(api, "Plenty", cost=100)
    inputs = [(rich, scarce, f"s{i}") for i in range(32)] + [
        (poor, plenty, f"p{i}") for i in range(16)
    ]

    async def race():
        headers = {"Authorization": f"Bearer {api.token}"}
        limits = httpx2.Limits(max_connections=len(inputs))
        async with httpx2.AsyncClient(base_url=server.url, timeout=30, limits=limits) as http:
            sent = [
                http.post(
                    "/graphql",
                    json={
                        "query": REDEEM,
                        "variables": {"i": {"customerId": c, "rewardId": r, "idempotencyKey": k}},
                    },
                    headers=headers,
                )
                for c, r, k in inputs
            ]
            return [r.json() for r in await asyncio.gather(*sent)]

    results = asyncio.run(race())
    outcomes = [
        tuple(e["code"] for e in r["data"]["redeemLoyaltyReward"]["userErrors"]) for r in results
    ]
    scarce_won = outcomes[:32].count(())
    assert scarce_won == 5 and outcomes[:32].count(("REWARD_OUT_OF_STOCK",)) == 27, outcomes
    assert outcomes[32:].count(()) == 2, outcomes
    assert outcomes[32:].count(("INSUFFICIENT_POINTS",)) == 14, outcomes
    for who, balance in ((rich, 10_000 - 500), (poor, 50)):
        found = loyalty(api, who)
        assert found["balance"] == balance
        assert sum(e["points"] for e in found["entries"]["nodes"]) == balance
    stock = api.query("{ loyaltyRewards { nodes { name stock redeemedCount } } }")
    assert stock["loyaltyRewards"]["nodes"] == [
        {"name": "Plenty", "stock": None, "redeemedCount": 2},
        {"name": "Scarce", "stock": 0, "redeemedCount": 5},
    ]
