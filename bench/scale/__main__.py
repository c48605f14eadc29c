"""Issue 11's benchmark at scale: one tenant of a million customers (PostgreSQL, in a new
database `<name>_scale_<pid>` next to `BENCH_DATABASE_URL`) and of 200,000 (SQLite, a file
in a temp dir), generated in the project's own tables, checked against a customer created
through the API, then each scenario timed against a real `server.py` at 1 and 16 clients,
next to the raw floor F (one SQL statement building the page's JSON) and, where npm
installs it, PostGraphile 5 on the list page (`bench/scale/postgraphile.py`).

    python -m bench.scale [--customers 1000000] [--sqlite-customers 200000]
        [--sqlite-only | --pg-only] [--keep [SQLITE_PATH]] [--reuse URL ...]
        [--scenarios list,deep,...] [--clients 1,16] [--seconds 5] [--warm-up 1]
        [--max-requests 1000] [--grace 10] [--no-floor] [--no-postgraphile]
        [--execution compiled,fallback] [--generate-only]

`--keep` leaves the generated databases behind (the PostgreSQL one, and the SQLite file at
SQLITE_PATH, by default var/scale-<N>.db) and prints their URLs; `--reuse URL` skips the
generation on such a database (migrated to the newest revisions first). A measurement
stops after `--seconds` or `--max-requests` answers, whichever comes first; requests still
unanswered `--grace` seconds later are cut and reported as such, so scenarios that take
seconds per request today finish in bounded time."""

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import httpx2
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.fanout import free_port
from bench.load import Server
from bench.scale import (
    check,
    check_commerce,
    generate_pg,
    generate_sqlite,
    paired,
    postgraphile,
    report,
    shape,
    statements,
    tenant,
)
from bench.scale.api import token
from bench.scale.floor import FloorServer, page_sql
from bench.scale.floor_profile import profile_sql, same_answers
from bench.scale.measure import BackendCpu, Measurement, cancel_backends, drive, postmaster_pid
from bench.scale.rows import stamp
from bench.scale.scenarios import Scenario, build
from bench.scale.summary import summary
from core import migrate
from core.database import Database
from schema.ids import from_global_id
from schema.registry import make_plugins

ALL = (
    "list", "list_tabs", "deep", "search_common", "search_rare", "search_phone", "search_email",
    "search_agent", "count", "agent", "agent_count", "profile", "folder", "folder_count", "tag",
    "tag_count", "status", "status_count", "folder_tag", "folder_tag_count", "worker",
    "worker_count", "count_folder", "count_tag", "count_status", "count_folder_tag",
    "count_worker", "list_commerce", "by_value", "spent_over", "report", "report_agent", "board",
)  # fmt: skip
APP_NAME = f"bench-scale-{os.getpid()}"


def main() -> None:
    args = _arguments()
    reuse = {("sqlite" if u.startswith("sqlite") else "postgresql"): u for u in args.reuse}
    pg = os.environ.get("BENCH_DATABASE_URL")
    targets = []
    if not args.sqlite_only and (pg or "postgresql" in reuse):
        targets.append(("PostgreSQL", args.customers))
    if not args.pg_only:
        targets.append(("SQLite", args.sqlite_customers))
    load = os.getloadavg()
    print(f"bench.scale: load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at start")
    tables, kept = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for label, customers in targets:
            dialect = "postgresql" if label == "PostgreSQL" else "sqlite"
            table, url = _run(label, customers, reuse.get(dialect), pg, args, Path(tmp))
            tables.append(table)
            if url:
                kept.append(url)
    for table in tables:
        print(table)
    if tables and not args.generate_only:
        print(report.LEGEND)
    for url in kept:
        print(f"kept: {url}  (next time: --reuse {url})")


def _arguments():
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    add = parser.add_argument
    add("--customers", type=int, default=1_000_000, help="PostgreSQL tenant's customers")
    add("--sqlite-customers", type=int, default=200_000, help="SQLite tenant's customers")
    add("--sqlite-only", action="store_true")
    add("--pg-only", action="store_true")
    add(
        "--keep",
        nargs="?",
        const="",
        default=None,
        metavar="SQLITE_PATH",
        help="keep the generated databases (SQLite: at SQLITE_PATH, default var/scale-N.db)",
    )
    add(
        "--reuse",
        action="append",
        default=[],
        metavar="URL",
        help="measure this kept database instead of generating one (repeatable)",
    )
    add("--scenarios", default=",".join(ALL), help=f"comma-separated, of: {', '.join(ALL)}")
    add("--clients", default="1,16", help="concurrent clients, comma-separated")
    add("--seconds", type=float, default=5.0, help="window of each measurement")
    add("--warm-up", type=float, default=1.0, help="seconds before the window")
    add("--max-requests", type=int, default=1000, help="end a window after this many answers")
    add("--grace", type=float, default=10.0, help="then wait this long, and cut the rest")
    add("--no-floor", action="store_true", help="skip the raw floor F")
    add("--no-postgraphile", action="store_true", help="skip PostGraphile 5's list page")
    add(
        "--execution",
        default="compiled,fallback",
        help="the server's execution paths to time, comma-separated: compiled (one SQL "
        "statement per root field where the compiler covers the operation), fallback",
    )
    add("--generate-only", action="store_true", help="generate and check, measure nothing")
    args = parser.parse_args()
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    if unknown := set(args.scenarios) - set(ALL):
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))} (known: {', '.join(ALL)})")
    args.clients = [int(c) for c in args.clients.split(",") if c.strip()]
    args.execution = [p.strip() for p in args.execution.split(",") if p.strip()]
    if set(args.execution) - {"compiled", "fallback"} or not args.execution:
        parser.error("--execution takes compiled, fallback or both")
    pg_reused = any(u.startswith("postgresql") for u in args.reuse)
    if not (os.environ.get("BENCH_DATABASE_URL") or pg_reused or args.sqlite_only):
        print("BENCH_DATABASE_URL is not set: SQLite only")
    return args


def _run(label, customers, reused, pg_base, args, tmp: Path) -> tuple[str, str | None]:
    """The database's table, and its URL when it is to be kept."""
    print(f"\n== {label} ==", flush=True)
    plugins = make_plugins()
    url = reused or _new_database(label, customers, pg_base, args, tmp)
    keep = reused is not None or args.keep is not None
    try:
        migrate.upgrade(url, plugins.migration_locations())
        if reused:
            ids, made = asyncio.run(_load(url)), "reused"
        else:
            ids, seconds = _generate(label, url, customers, plugins)
            made = f"generated in {seconds:.0f} s"
            print(f"generated {customers:,} customers in {seconds:.0f} s", flush=True)
        customers, facts = asyncio.run(summary(url, ids))
        shown = ", ".join(f"{k} {v}" for k, v in facts.items())
        print(f"shape: {shown}", flush=True)
        scenarios = asyncio.run(_prepare(url, ids, customers, check_shape=reused is None, tmp=tmp))
        table = f"\n### {label}: {made} and checked, not measured\n(tenant: {shown})"
        if not args.generate_only:
            chosen = [scenarios[name] for name in args.scenarios]
            table = asyncio.run(_measure_all(label, url, ids, chosen, scenarios, args, tmp))
            table += f"\n(tenant {made}: {shown})"
    finally:
        if not keep and label == "PostgreSQL":
            asyncio.run(_drop(url))
    return table, (url if keep and reused is None else None)


def _new_database(label, customers, pg_base, args, tmp: Path) -> str:
    if label == "PostgreSQL":
        base = make_url(pg_base)
        name = f"{base.database}_scale_{os.getpid()}"
        asyncio.run(_create(pg_base, name))
        return base.set(database=name).render_as_string(hide_password=False)
    path = Path(args.keep or f"var/scale-{customers}.db") if args.keep is not None else None
    path = (path or tmp / "scale.db").resolve()
    if path.exists():
        raise SystemExit(f"{path} exists: reuse it with --reuse sqlite+aiosqlite:///{path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{path}"


async def _create(base_url: str, name: str) -> None:
    engine = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


async def _drop(url: str) -> None:
    name = make_url(url).database
    assert "_scale_" in name, name
    base = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


async def _load(url: str) -> tenant.Ids:
    db = Database(url)
    try:
        return await tenant.load(db)
    finally:
        await db.dispose()


def _generate(label: str, url: str, customers: int, plugins) -> tuple[tenant.Ids, float]:
    began = time.perf_counter()
    end = shape.end_of_data()
    start = end - shape.SPAN

    async def setup():
        db = Database(url)
        try:
            return await tenant.create(db, plugins, start)
        finally:
            await db.dispose()

    ids = asyncio.run(setup())
    if label == "PostgreSQL":
        asyncio.run(generate_pg.fill(url, ids, customers, start, end))
        asyncio.run(check_commerce.categorise(url, ids))
    else:
        generate_sqlite.fill(make_url(url).database, ids, customers, start, end)
    return ids, time.perf_counter() - began


async def _prepare(url, ids, customers, check_shape: bool, tmp: Path) -> dict[str, Scenario]:
    server = Server(url, tmp, "server-prepare.log")
    try:
        await server.wait_ready()
        if check_shape:
            print(await check.verify(url, server.base, ids, customers), flush=True)
            if url.startswith("postgresql"):
                print(await check_commerce.verify(url, ids, make_plugins()), flush=True)
        return await build(url, server.base, ids, customers)
    finally:
        server.stop()


async def _measure_all(label, url, ids, chosen, scenarios, args, tmp: Path) -> str:
    if not args.no_floor:
        await same_answers(url, ids, chosen, args.execution)
    counts, pages = await statements.count(url, ids, chosen)
    tokens = {"admin": token(ids.tenant_id, ids.admin_id)}
    tokens["agent"] = token(ids.tenant_id, ids.agent_id)
    pg = url.startswith("postgresql")
    database = make_url(url).database
    timing = {
        "warm_up": args.warm_up,
        "seconds": args.seconds,
        "max_requests": args.max_requests,
        "grace": args.grace,
    }
    print(
        f"\n{label}: {args.warm_up:g} s warm-up, then {args.seconds:g} s or "
        f"{args.max_requests} answers, cut {args.grace:g} s after the window",
        flush=True,
    )
    print(report.HEADER, flush=True)
    postmaster = await postmaster_pid(url) if pg else None
    results = []
    for scenario, path in [(s, p) for s in chosen for p in args.execution]:
        server = None
        try:
            for clients in args.clients:
                if server is None:
                    server = Server(url, tmp, f"server-{scenario.name}-{path}.log", {
                        "DB_APPLICATION_NAME": APP_NAME,
                        "COMPILED_EXECUTION": str(path == "compiled").lower()})  # fmt: skip
                    await server.wait_ready()
                backends = BackendCpu(postmaster, database) if postmaster else None
                m = Measurement(scenario.name, clients, statements=counts[scenario.name])
                m.path = path if len(args.execution) > 1 else ""
                body = {"query": scenario.query, "variables": scenario.variables}
                headers = {"Authorization": f"Bearer {tokens[scenario.worker]}"}
                await drive(m, server.base, "/graphql", body, headers,
                            pid=server.process.pid, backends=backends, **timing)  # fmt: skip
                results.append(m)
                print(report.row(m, scenario.title), flush=True)
                if m.cut:
                    await _stop(server, url, database, pg, hard=True)
                    server = None
        finally:
            if server is not None:
                await _stop(server, url, database, pg, hard=False)
    floors, in_turn = {}, ""
    if not args.no_floor:
        floors, in_turn = await _floors(url, ids, chosen, pages, args, timing, tokens, tmp)
    if pg and "list" in pages and not args.no_postgraphile:
        results += await _postgraphile(url, ids, pages["list"], args, timing, tmp)
    return report.table(label, scenarios, results, floors) + in_turn


async def _postgraphile(url, ids, page: list[int], args, timing, tmp: Path) -> list:
    """The list page from PostGraphile 5, checked to be the API's customers in its order."""
    why = postgraphile.install()
    if why is not None:
        print(f"PostGraphile 5 not run ({why}): the list page is compared with F only")
        return []
    server = postgraphile.PostGraphileServer(url, tmp, free_port())
    postmaster = await postmaster_pid(url)
    database = make_url(url).database
    body = {"query": postgraphile.LIST, "variables": {"tenant": ids.tenant_id}}
    found = []
    try:
        await server.wait_ready()
        async with httpx2.AsyncClient(base_url=server.base, timeout=60) as http:
            answer = (await http.post("/graphql", json=body)).json()
        if postgraphile.customer_ids(answer) != page:
            raise RuntimeError(f"PostGraphile's page differs from the API's: {answer}"[:500])
        for clients in args.clients:
            m = Measurement("list", clients, statements=1, path="PostGraphile 5")
            await drive(m, server.base, "/graphql", body, {}, pid=server.process.pid,
                        backends=BackendCpu(postmaster, database), **timing)  # fmt: skip
            print(report.row(m, "PostGraphile 5: list page"), flush=True)
            found.append(m)
    finally:
        server.stop()
    return found


async def _stop(server: Server, url: str, database: str, pg: bool, hard: bool) -> None:
    """Hard: the server still works on cut requests: cancel its statements, kill it."""
    if hard:
        if pg:
            await cancel_backends(url, database, APP_NAME)
        server.process.kill()
    server.stop()


async def _floors(url, ids, chosen, pages, args, timing, tokens, tmp: Path) -> tuple:
    """F's measurements by (scenario, clients), and the table of the API's compiled path and
    F asked in turn at one client (`bench/scale/paired.py`), while F still runs."""
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    specs = {}
    for scenario in chosen:
        if scenario.floor is None:
            continue
        spec = dict(scenario.floor)
        if "profile" in spec:
            if dialect == "postgresql":  # SQLite has no hand-written profile
                specs[scenario.name] = profile_sql(ids.tenant_id, spec["profile"], ids.admin_id)
            continue
        if "after" in spec:
            moment, row_id = spec["after"]
            spec["after"] = (moment.isoformat() if dialect == "postgresql" else stamp(moment),
                             row_id)  # fmt: skip
        specs[scenario.name] = page_sql(dialect, ids.tenant_id, spec)
    if not specs:
        return {}, ""
    floor = FloorServer(url, specs, tmp, free_port())
    postmaster = await postmaster_pid(url) if dialect == "postgresql" else None
    database = make_url(url).database
    floors = {}
    try:
        await floor.wait_ready()
        await _same_pages(floor, pages, specs)
        for name in specs:
            for clients in args.clients:
                backends = BackendCpu(postmaster, database) if postmaster else None
                m = Measurement(f"F {name}", clients, statements=1)
                await drive(m, floor.base, "/floor", {"scenario": name}, {},
                            pid=floor.process.pid, backends=backends, **timing)  # fmt: skip
                floors[(name, clients)] = m
                print(report.row(m, f"F: {name}"), flush=True)
        in_turn = ""
        if 1 in args.clients and "compiled" in args.execution:
            chosen = [s for s in chosen if s.name in specs]
            in_turn = await _in_turn(url, floor, chosen, args, timing, tokens, tmp)
    finally:
        floor.stop()
    return floors, in_turn


async def _in_turn(url, floor, chosen, args, timing, tokens, tmp: Path) -> str:
    server = Server(url, tmp, "server-in-turn.log",
                    {"DB_APPLICATION_NAME": APP_NAME, "COMPILED_EXECUTION": "true"})  # fmt: skip
    lines = ["", paired.HEADER]
    print(paired.HEADER, flush=True)
    try:
        await server.wait_ready()
        for scenario in chosen:
            body = {"query": scenario.query, "variables": scenario.variables}
            bearer = {"Authorization": f"Bearer {tokens[scenario.worker]}"}
            ours = paired.Target(scenario.name, server.base, "/graphql", body, bearer)
            raw = paired.Target("F", floor.base, "/floor", {"scenario": scenario.name}, {})
            found = await paired.in_turn([ours, raw], timing["warm_up"], timing["seconds"],
                                         timing["max_requests"])  # fmt: skip
            lines.append(paired.row(scenario.title, *found))
            print(lines[-1], flush=True)
    finally:
        server.stop()
    return "\n".join(lines) + "\n"


async def _same_pages(floor: FloorServer, pages: dict, specs: dict) -> None:
    """The floor answers each page with the customers the API lists, in the same order."""
    async with httpx2.AsyncClient(base_url=floor.base, timeout=60) as http:
        for name in specs:
            data = (await http.post("/floor", json={"scenario": name})).json()["data"]
            if "customer" in data:  # the profile
                found = [_customer_id(data["customer"]["id"])]
            else:
                found = [_customer_id(e["node"]["id"]) for e in data["customers"]["edges"]]
            if found != pages[name]:
                raise RuntimeError(f"floor {name}: customers {found[:5]}…, API {pages[name][:5]}…")


def _customer_id(value: str) -> int:
    """The floor's ids: Relay ids (PostgreSQL) or "Customer:42" (SQLite)."""
    if value.startswith("Customer:"):
        return int(value.split(":", 1)[1])
    return from_global_id(value, "Customer")


if __name__ == "__main__":
    main()
