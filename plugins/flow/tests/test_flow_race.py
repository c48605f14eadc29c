"""Concurrent moves against a real `server.py` process per database: many workers dragging
the same card on one version get one winner and VERSION_CONFLICT for the rest; bursts of
moves by clients that re-read and retry lose no move, and the board's counts then equal
what the database holds (each card in the column of its last successful move)."""

import asyncio
from collections import Counter

import httpx2
import pytest
from sqlalchemy import func, select

from core.database import Database
from plugins.flow.models import FlowPosition
from tests.servers import module_server
from tests.support import gid, pk_of
from tests.test_processes import new_tenant

FLOW = """mutation { createFlow(input: {name: "Race"}) {
  flow { id columns { id } } userErrors { code } } }"""
MOVE = """mutation($input: MoveFlowCardInput!) { moveFlowCard(input: $input) {
  card { version columnId } userErrors { code } } }"""
READ = """query($id: ID!) { flowBoard(flowId: $id, first: 100) {
  columns { count column { id } cards { nodes { version customer { id } } } } } }"""
RACERS = 16
CARDS = 6
MOVERS = 4


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    with module_server("flow", tmp_path_factory.mktemp("flow-race"), database_url) as app:
        yield app


async def stored(database_url: str, tenant_id: int, flow_id: str) -> dict[str, int]:
    """Cards per column as the database holds them (every card here has a position)."""
    db = Database(database_url)
    try:
        async with db.transaction(tenant_id) as session:
            rows = await session.execute(
                select(FlowPosition.column_id, func.count())
                .where(FlowPosition.flow_id == pk_of(flow_id), FlowPosition.hidden.is_(False))
                .group_by(FlowPosition.column_id)
            )
            return {gid("FlowColumn", column): n for column, n in rows.all()}
    finally:
        await db.dispose()


def test_racing_moves_have_one_winner_and_counts_match_after_bursts(server, database_url):
    async def scenario():
        limits = httpx2.Limits(max_connections=RACERS)
        async with httpx2.AsyncClient(base_url=server.url, timeout=30, limits=limits) as http:
            tenant = await new_tenant(database_url, http, CARDS)
            api, cards = tenant.b, tenant.customers
            await api.ok("enableModule", {"module": "flow"}, "modules { name }")
            made = (await api.query(FLOW))["createFlow"]["flow"]
            columns = [c["id"] for c in made["columns"]]

            def move(customer_id: str, column: str, version: int):
                data = {
                    "flowId": made["id"],
                    "customerId": customer_id,
                    "columnId": column,
                    "expectedVersion": version,
                }
                return api.query(MOVE, input=data)

            # 1. The same card dragged by many at once, all on version 0: one winner.
            answers = await asyncio.gather(
                *(move(cards[0], columns[1 + i % 2], 0) for i in range(RACERS))
            )
            outcomes = Counter(
                a["moveFlowCard"]["userErrors"][0]["code"]
                if a["moveFlowCard"]["userErrors"]
                else "moved"
                for a in answers
            )
            assert outcomes == {"moved": 1, "VERSION_CONFLICT": RACERS - 1}, outcomes

            # 2. Bursts: movers per card that re-read the board and retry on a conflict.
            final: dict[str, tuple[int, str]] = {}

            async def board() -> dict:
                return (await api.query(READ, id=made["id"]))["flowBoard"]

            def where(found: dict, customer_id: str) -> tuple[str, int]:
                for column in found["columns"]:
                    for node in column["cards"]["nodes"]:
                        if node["customer"]["id"] == customer_id:
                            return column["column"]["id"], node["version"]
                raise AssertionError(f"{customer_id} is not on the board")

            async def mover(customer_id: str, n: int) -> None:
                for _ in range(3):  # moves each mover gets in
                    for _attempt in range(200):
                        column, version = where(await board(), customer_id)
                        target = columns[(columns.index(column) + 1 + n) % len(columns)]
                        answer = (await move(customer_id, target, version))["moveFlowCard"]
                        if not answer["userErrors"]:
                            card = answer["card"]
                            if card["version"] > final.get(customer_id, (0, ""))[0]:
                                final[customer_id] = (card["version"], card["columnId"])
                            break
                        assert answer["userErrors"][0]["code"] == "VERSION_CONFLICT", answer
                    else:
                        raise AssertionError("a mover never got its turn")

            await asyncio.gather(
                *(mover(customer_id, n) for customer_id in cards for n in range(MOVERS))
            )
            found = await board()
            counts = {c["column"]["id"]: c["count"] for c in found["columns"]}
            placed = {customer_id: where(found, customer_id) for customer_id in final}
            assert {k: v[0] for k, v in placed.items()} == {k: v[1] for k, v in final.items()}
            # every card on the board once; versions count every move a client was told won
            assert sum(counts.values()) == CARDS
            for customer_id, (version, _) in final.items():
                moves = 3 * MOVERS + (1 if customer_id == cards[0] else 0)
                assert placed[customer_id][1] == version == moves
            for column in columns:
                shown = sum(1 for c in cards if where(found, c)[0] == column)
                assert counts[column] == shown
            assert await stored(database_url, tenant.id, made["id"]) == {
                k: v for k, v in counts.items() if v
            }

    asyncio.run(asyncio.wait_for(scenario(), 120))
