"""Time the workspace's hot queries on the demo tenant, in process through the ASGI app
(no network), on SQLite and, when `BENCH_DATABASE_URL` is set, on PostgreSQL.

    python -m bench [--runs 200] [--sqlite-only] [--subscribers 1000,10000]
                    [--clients 1,16,64] [--seconds 8] [--scenarios list,writes] [--load-only]
                    [--live-load 500] [--live-rate 50] [--live-seconds 20]

Prints, per database and query: statements per request, p50 / p95 / mean in ms; then the
live fan-out (`bench/fanout.py`): subscribers one server process holds and the time one
event takes to reach all of them (`--subscribers ''` skips it); then the load mode
(`bench/load.py`): req/s, p50 / p99, errors and connections in use of a real server under
closed-loop clients on the list page and a write mix (`--clients ''` skips it,
`--load-only` runs nothing else); then, when `BENCH_REDIS_URL` is set, live updates under
write load across two processes (`bench/live_load.py`, `--live-load 0` skips it)."""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from datetime import timedelta

import httpx2
from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench import fanout, live_load, load
from bench.profile import FULL_PROFILE, richest
from core import migrate
from core.auth import issue_token
from core.config import Settings
from core.demo import seed_demo
from schema.registry import make_plugins
from server import create_app

LIST_PAGE = """
query ListPage($first: Int!, $filter: CustomerFilter) {
  customers(first: $first, filter: $filter, orderBy: {field: UPDATED_AT, direction: DESC}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id name kind avatarUrl primaryPhone primaryEmail company blocked followUpAt updatedAt
      status { id name color category }
      tags { id name color }
      folders { folder { id name color } status { id name color } }
      workers { id name avatarUrl atWork }
      parent { id name }
      subCustomerCount
    } }
  }
}"""

PROFILE = """
query Profile($id: ID!) {
  customer(id: $id) {
    id name kind avatarUrl version company leadSource city notes followUpAt
    phones { label value primary } emails { label value primary }
    status { id name } blocked blockedReason
    customFields { definition { key label type group } text number date dateTime boolean options }
    folders { folder { id name statuses { id name } } status { id name } }
    tags { id name } workers { id name } parent { id name } subCustomerCount
    subCustomers(first: 10) { nodes { id name } }
  }
}"""

CASES = [
    ("fixed cost: { __typename }", "{ __typename }", {}),
    ("list page, 50 rows", LIST_PAGE, {"first": 50}),
    ("list page, 20 rows", LIST_PAGE, {"first": 20}),
    ("search 'and', 20 rows", LIST_PAGE, {"first": 20, "filter": {"search": "and"}}),
    ("search phone '7946', 20 rows", LIST_PAGE, {"first": 20, "filter": {"search": "7946"}}),
    ("profile", PROFILE, None),
    ("profile, modules + timeline", FULL_PROFILE, "richest"),
]


async def _statement_count(engine, work) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        await work()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    return len(seen)


async def bench_database(url: str, runs: int) -> list[tuple[str, int, float, float, float]]:
    settings = Settings(
        database_url=url, secret_key="bench-secret-key-bench-secret-key", _env_file=None
    )
    app = create_app(settings)
    db = app.state.db
    tenant_id, admin_id = await seed_demo(db, app.state.plugins)
    token = issue_token(settings.signing_key, tenant_id, admin_id, timedelta(hours=1))
    headers = {"Authorization": f"Bearer {token}"}
    results = []
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def call(query, variables):
            response = await client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            body = response.json()
            assert response.status_code == 200 and not body.get("errors"), body
            return body

        first = await call(LIST_PAGE, {"first": 1})
        customer_id = first["data"]["customers"]["edges"][0]["node"]["id"]
        rich_id = await richest(call)
        for name, query, variables in CASES:
            if variables is None or variables == "richest":
                variables = {"id": rich_id if variables else customer_id}
            for _ in range(10):
                await call(query, variables)
            statements = await _statement_count(db.engine, lambda q=query, v=variables: call(q, v))
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                await call(query, variables)
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            results.append(
                (name, statements, statistics.median(times), p95, statistics.fmean(times))
            )
    await db.dispose()
    return results


async def _own_database(url: str, create: bool) -> str:
    """`<database>_bench_<pid>`, so two runs at once never drop each other's."""
    base = make_url(url)
    name = f"{base.database}_bench_{os.getpid()}"
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--subscribers", default="1000,10000", help="comma-separated counts")
    parser.add_argument("--clients", default="1,16,64", help="load mode: comma-separated")
    parser.add_argument("--seconds", type=float, default=8.0, help="load mode: per measurement")
    parser.add_argument("--scenarios", default="list,writes", help="load mode: list, writes")
    parser.add_argument("--load-only", action="store_true", help="only the load mode")
    parser.add_argument(
        "--live-load",
        type=int,
        default=500,
        help="live under write load: subscribers over two processes (needs BENCH_REDIS_URL; "
        "0 skips it)",
    )
    parser.add_argument("--live-rate", type=float, default=50.0, help="live load: writes/s")
    parser.add_argument("--live-seconds", type=float, default=20.0, help="live load: duration")
    args = parser.parse_args()
    subscribers = [int(n) for n in args.subscribers.split(",") if n.strip()]
    clients = [int(n) for n in args.clients.split(",") if n.strip()]
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    if unknown := set(scenarios) - {"list", "writes"}:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.load_only and not clients:
        parser.error("--load-only needs --clients")
    pg = os.environ.get("BENCH_DATABASE_URL")
    pg = pg if pg and not args.sqlite_only else None
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db")]
        try:
            if pg:
                targets.append(("PostgreSQL", asyncio.run(_own_database(pg, create=True))))
            for label, url in targets:
                migrate.upgrade(url, make_plugins().migration_locations())
                if not args.load_only:
                    _in_process(label, url, args.runs, subscribers)
                if clients:
                    runs += load.measure(label, url, LIST_PAGE, clients, args.seconds, scenarios)
                redis_url = os.environ.get("BENCH_REDIS_URL")
                if args.live_load and redis_url and not args.load_only:
                    live_load.report(
                        url, redis_url, args.live_load, args.live_rate, args.live_seconds
                    )
        finally:
            if pg:
                asyncio.run(_own_database(pg, create=False))
    if runs:
        load.report(runs, args.seconds)


def _in_process(label: str, url: str, runs: int, subscribers: list[int]) -> None:
    rows = asyncio.run(bench_database(url, runs))
    print(f"\n{label} (demo tenant, {runs} runs each, in-process ASGI)")
    print(f"{'query':32} {'stmts':>5} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for name, statements, p50, p95, mean in rows:
        print(f"{name:32} {statements:5d} {p50:8.2f} {p95:8.2f} {mean:8.2f}")
    if subscribers:
        fanout.report(url, subscribers)


if __name__ == "__main__":
    main()
