"""Statements per request, counted in process: the app of `server.py` served through
`httpx2.ASGITransport` in the bench's own process, each statement seen by an engine event
(bench/__main__.py's `_statement_count`), one request per scenario after one to warm up.
The load measurements run against a separate server process, which cannot be counted
from outside without `pg_stat_statements` (not installed everywhere)."""

import httpx2

from bench.__main__ import _statement_count
from bench.fanout import SECRET
from bench.scale import api
from bench.scale.scenarios import Scenario
from bench.scale.tenant import Ids
from core.config import Settings
from schema.ids import from_global_id
from server import create_app


async def count(
    url: str, ids: Ids, scenarios: list[Scenario]
) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Statements per scenario, and the customer ids of each list page answered (what the
    raw floor's page must hold too)."""
    settings = Settings(database_url=url, secret_key=SECRET, _env_file=None)
    app = create_app(settings)
    tokens = {
        "admin": api.token(ids.tenant_id, ids.admin_id),
        "agent": api.token(ids.tenant_id, ids.agent_id),
    }
    counts, pages = {}, {}
    transport = httpx2.ASGITransport(app=app)
    try:
        async with httpx2.AsyncClient(
            transport=transport, base_url="http://bench", timeout=120
        ) as client:
            for scenario in scenarios:
                headers = {"Authorization": f"Bearer {tokens[scenario.worker]}"}
                body = {"query": scenario.query, "variables": scenario.variables}

                async def call(body=body, headers=headers, name=scenario.name):
                    response = await client.post("/graphql", json=body, headers=headers)
                    answer = response.json()
                    if response.status_code != 200 or answer.get("errors"):
                        raise RuntimeError(f"{name}: {answer}")
                    pages[name] = answer["data"]

                await call()
                counts[scenario.name] = await _statement_count(app.state.db.engine, call)
    finally:
        await app.state.db.dispose()
    listed = {}
    for name, data in pages.items():
        if isinstance(data.get("customer"), dict):
            listed[name] = [from_global_id(data["customer"]["id"], "Customer")]
        edges = (data.get("customers") or {}).get("edges")
        if edges is not None:
            listed[name] = [from_global_id(e["node"]["id"], "Customer") for e in edges]
    return counts, listed
