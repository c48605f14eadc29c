"""Concurrent triage of one unmatched message against a real `server.py` process per
database: assigns to two customers at once put it on exactly one (the retries onto the
winner succeed, the others are COMMUNICATION_ALREADY_ASSIGNED) and announce it once; a lead
made while an assign races it leaves no stray lead behind."""

import asyncio
from collections import Counter

import httpx2
import orjson
import pytest

from plugins.communications.inbound import signature
from tests.servers import module_server
from tests.test_processes import new_tenant

RACERS = 8
ROTATE = "mutation { rotateCommunicationsHookSecret { secret } }"
ASSIGN = """mutation($input: AssignCommunicationInput!) { assignCommunication(input: $input) {
  communication { customer { id } } userErrors { code } } }"""
LEAD = """mutation($input: CreateLeadFromCommunicationInput!) {
  createLeadFromCommunication(input: $input) { communication { customer { id } }
  userErrors { code } } }"""
RECEIVED = """query($id: ID!) { customer(id: $id) { communications { all { totalCount } }
  timeline(first: 50) { nodes { action } } } }"""
COUNT = "{ customers(first: 1) { totalCount } }"


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    directory = tmp_path_factory.mktemp("communications-race")
    with module_server(
        "communications", directory, database_url, STORAGE_DIR=str(directory / "uploads")
    ) as app:
        yield app


def code(payload: dict) -> str:
    return payload["userErrors"][0]["code"] if payload["userErrors"] else "ok"


async def unmatched(http, tenant_id: int, key: str, message_id: str) -> str:
    body = orjson.dumps(
        {"messageId": message_id, "channel": "SMS", "from": "+1 555 0100", "body": "hi"}
    )
    response = await http.post(
        f"/hooks/communications/console/{tenant_id}",
        content=body,
        headers={"content-type": "application/json", "x-hub-signature-256": signature(key, body)},
    )
    assert response.status_code == 200, response.text
    assert response.json()["customerId"] is None
    return response.json()["id"]


async def announced(api, customer_id: str) -> tuple[int, int]:
    data = (await api.query(RECEIVED, id=customer_id))["customer"]
    events = [n for n in data["timeline"]["nodes"] if n["action"] == "communication.received"]
    return data["communications"]["all"]["totalCount"], len(events)


def test_one_assign_of_a_message_wins(server, database_url):
    async def scenario():
        limits = httpx2.Limits(max_connections=2 * RACERS)
        async with httpx2.AsyncClient(base_url=server.url, timeout=30, limits=limits) as http:
            tenant = await new_tenant(database_url, http, 2)
            api, (ada, bob) = tenant.b, tenant.customers
            await api.ok("enableModule", {"module": "communications"}, "modules { name }")
            key = (await api.query(ROTATE))["rotateCommunicationsHookSecret"]["secret"]

            # 1. Assigns to Ada and to Bob at once: one of them gets it, once.
            message = await unmatched(http, tenant.id, key, "race-1")
            targets = [ada, bob] * (RACERS // 2)
            answers = await asyncio.gather(
                *(
                    api.query(ASSIGN, input={"id": message, "customerId": target})
                    for target in targets
                )
            )
            payloads = [a["assignCommunication"] for a in answers]
            winners = {p["communication"]["customer"]["id"] for p in payloads if code(p) == "ok"}
            assert len(winners) == 1, payloads
            (winner,) = winners
            loser = bob if winner == ada else ada
            outcomes = Counter((t, code(p)) for t, p in zip(targets, payloads, strict=True))
            assert outcomes == {
                (winner, "ok"): RACERS // 2,
                (loser, "COMMUNICATION_ALREADY_ASSIGNED"): RACERS // 2,
            }
            assert await announced(api, winner) == (1, 1)
            assert await announced(api, loser) == (0, 0)

            # 2. Leads and assigns at once: one wins; a losing lead is rolled back.
            message = await unmatched(http, tenant.id, key, "race-2")
            before = (await api.query(COUNT))["customers"]["totalCount"]
            racing = [
                api.query(LEAD, input={"id": message})
                if n % 2
                else api.query(ASSIGN, input={"id": message, "customerId": bob})
                for n in range(RACERS)
            ]
            answers = await asyncio.gather(*racing)
            payloads = [next(iter(a.values())) for a in answers]
            owners = {p["communication"]["customer"]["id"] for p in payloads if code(p) == "ok"}
            assert len(owners) == 1, payloads
            assert {code(p) for p in payloads} <= {"ok", "COMMUNICATION_ALREADY_ASSIGNED"}
            made = (await api.query(COUNT))["customers"]["totalCount"] - before
            assert made == (0 if owners == {bob} else 1)

    asyncio.run(asyncio.wait_for(scenario(), 120))
