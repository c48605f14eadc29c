"""Decisions on one payout under a burst of concurrent requests against a real `server.py`
process: the row is locked (customer, then payout) for every move, so exactly one wins.

1. 16 approvals by an admin and 16 cancellations by the owner, all sent from PENDING
   (`expectedStatus`): one succeeds, the 31 others get PAYOUT_CHANGED, the payout ends in
   the winner's status.
2. 16 `markPayoutSent` and 16 `cancelPayout` of an approved payout, saying nothing of what
   they saw: one succeeds, the others get INVALID_TRANSITION (SENT and CANCELLED lead to
   neither), and payments' balance holds the payout's amount exactly when SENT won."""

import asyncio
import time
from collections import Counter

import httpx2
import pytest

from core.auth import read_token
from tests.servers import graphql, module_server, owner_token
from tests.support import SECRET, pk_of, token_for

EACH = 16
MOVE = """mutation($i: %sInput!) { %s(input: $i) {
  payout { status } userErrors { code } } }"""


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    with module_server("payouts", tmp_path_factory.mktemp("payouts"), database_url) as app:
        yield app


def burst(server, requests: list[tuple[str, str, dict]]) -> list[tuple[str, list[str]]]:
    """(mutation, error codes) of each (token, mutation, input), all sent at once."""

    async def send():
        limits = httpx2.Limits(max_connections=len(requests))
        async with httpx2.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
            sent = [
                http.post(
                    "/graphql",
                    json={
                        "query": MOVE % (name[0].upper() + name[1:], name),
                        "variables": {"i": data},
                    },
                    headers={"Authorization": f"Bearer {token}"},
                )
                for token, name, data in requests
            ]
            return [r.json() for r in await asyncio.gather(*sent)]

    results = asyncio.run(send())
    found = []
    for (_, name, _), body in zip(requests, results, strict=True):
        assert not body.get("errors"), body
        found.append((name, [e["code"] for e in body["data"][name]["userErrors"]]))
    return found


def test_of_concurrent_decisions_on_one_payout_exactly_one_wins(server, database_url):
    owner = owner_token(database_url, "payouts race")
    tenant_id, _, _ = read_token(SECRET, owner)
    for module in ("payouts", "payments"):
        graphql(
            server,
            owner,
            f'mutation {{ enableModule(input: {{module: "{module}"}}) '
            "{ userErrors { code } } }",
        )
    made = graphql(
        server,
        owner,
        'mutation { createWorker(input: {name: "Alex Admin", email: "alex@example.com", '
        "role: ADMIN}) { worker { id } } }",
    )
    admin = token_for(tenant_id, pk_of(made["createWorker"]["worker"]["id"]))
    customer = graphql(
        server, owner, 'mutation { createCustomer(input: {name: "Racer"}) { customer { id } } }'
    )["createCustomer"]["customer"]["id"]

    def payout(key: str) -> str:
        data = {
            "customerId": customer,
            "amount": {"amount": 5_000, "currency": "EUR"},
            "kind": "REFUND",
            "method": "BANK_TRANSFER",
            "idempotencyKey": key,
        }
        create = "mutation($i: CreatePayoutInput!) { createPayout(input: $i) { payout { id } } }"
        return graphql(server, owner, create, i=data)["createPayout"]["payout"]["id"]

    first = payout("race-1")
    seen = {"id": first, "expectedStatus": "PENDING"}
    results = burst(
        server,
        [(admin, "approvePayout", seen)] * EACH + [(owner, "cancelPayout", seen)] * EACH,
    )
    winners = [name for name, codes in results if codes == []]
    assert len(winners) == 1, results
    assert Counter(c for _, codes in results for c in codes) == {"PAYOUT_CHANGED": 2 * EACH - 1}
    status = "APPROVED" if winners == ["approvePayout"] else "CANCELLED"
    node = "query($id: ID!) { node(id: $id) { ... on Payout { status } } }"
    assert graphql(server, owner, node, id=first)["node"]["status"] == status

    second = payout("race-2")
    graphql(
        server,
        admin,
        "mutation($id: ID!) { approvePayout(input: {id: $id}) { payout { id } } }",
        id=second,
    )
    results = burst(
        server,
        [(admin, "markPayoutSent", {"id": second})] * EACH
        + [(owner, "cancelPayout", {"id": second})] * EACH,
    )
    winners = [name for name, codes in results if codes == []]
    assert len(winners) == 1, results
    assert Counter(c for _, codes in results for c in codes) == {"INVALID_TRANSITION": 2 * EACH - 1}
    status = "SENT" if winners == ["markPayoutSent"] else "CANCELLED"
    assert graphql(server, owner, node, id=second)["node"]["status"] == status
    balance = """query($id: ID!) { customer(id: $id) {
      payouts { totalSent { amount } } payments { balance { amount } } } }"""
    expected = [{"amount": 5_000}] if status == "SENT" else []
    for _ in range(50):  # the balance entry is written by the handler right after the commit
        found = graphql(server, owner, balance, id=customer)["customer"]
        if found["payments"]["balance"] == expected:
            break
        time.sleep(0.1)
    assert found == {"payouts": {"totalSent": expected}, "payments": {"balance": expected}}
