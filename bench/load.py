"""Load mode: closed-loop clients against a real server process (`python server.py` of this
checkout, one uvicorn process, in a temp directory), on the list page and on a write mix,
at several concurrencies, for each database.

    python -m bench --load-only [--clients 1,16,64] [--seconds 8] [--scenarios list,writes]

Each measurement gets a fresh server, so one that wedged its pool cannot spoil the next.
Each client sends its next request when the previous one is answered, until the window
ends. Counted are the requests answered after a 1 s warm-up; every request sent is waited
for (up to the client timeout plus 5 s after the window), so a request the server holds for
30 s shows in p99 and in req/s (= counted requests / time from the warm-up's end to the last
answer) instead of vanishing. Errors: any status other than 200, any `errors` entry, any
user error but an idempotency refusal, any client timeout or connection failure, any
request still unanswered at that cap. Connections: on PostgreSQL the bench database's
sessions in `pg_stat_activity` (all, and those not idle), on SQLite the server process's
open handles of the database file, both sampled every 50 ms; and `database.inUse` of
`/health` when the server reports it."""

import asyncio
import contextlib
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx2
import orjson
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.fanout import SECRET, free_port
from core.auth import issue_token
from core.config import Settings
from core.database import Database
from core.demo import seed_demo
from schema.registry import make_plugins

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 1.0
REQUEST_TIMEOUT = 35.0  # past the server's 30 s pool wait, so its answer is what we see
GRACE = REQUEST_TIMEOUT + 5
SAMPLE_EVERY = 0.05
REFUSED = "IDEMPOTENCY_KEY_REUSED"
EXCEPTION = re.compile(r"[A-Za-z_][\w.]*(Error|Exception|Timeout)\b")

CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  customer { id } userErrors { field message code } } }"""
UPDATE = """mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
  customer { id version } userErrors { field message code } } }"""
OPEN_TICKET = """mutation($input: OpenTicketInput!) { openTicket(input: $input) {
  ticket { id } userErrors { field message code } } }"""
PAY = """mutation($input: RecordPaymentInput!) { recordPayment(input: $input) {
  payment { id } userErrors { field message code } } }"""
IDS = "query($first: Int!) { customers(first: $first) { nodes { id } } }"


@dataclass
class Run:
    """One (database, scenario, clients) measurement."""

    database: str
    scenario: str
    clients: int
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    conns: int | None = None
    busy: int | None = None
    in_use: int | None = None
    answered: int = 0
    keys: dict[str, set[str]] = field(default_factory=dict)
    shared: int = 0
    refused: int = 0
    log: Counter = field(default_factory=Counter)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)] if ordered else math.nan


class Process:
    """A server a bench starts: launched with its log, waited for at `/health`, stopped for
    sure (SIGTERM, then SIGKILL), Ctrl-C included, since every caller stops it in a
    `finally`."""

    port: int
    log: Path
    process: subprocess.Popen

    def _launch(self, command: list[str], cwd: Path, env: dict) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_ready(self, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        async with httpx2.AsyncClient(timeout=2) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.log.name}: exited at start:\n{self.tail()}")
                try:
                    if (await http.get(f"{self.base}/health")).status_code == 200:
                        return
                except httpx2.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.log.name}: no answer at /health within {within:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class Server(Process):
    """`python server.py` with only the settings given (`settings`: more of them, by
    environment name)."""

    def __init__(self, url: str, directory: Path, log: str, settings: dict | None = None):
        self.port = free_port()
        self.log = directory / log
        self.sqlite_file = None
        if url.startswith("sqlite"):
            self.sqlite_file = os.path.realpath(make_url(url).database)
        names = {name.upper() for name in Settings.model_fields}
        env = {k: v for k, v in os.environ.items() if k.upper() not in names}
        env.update(DATABASE_URL=url, SECRET_KEY=SECRET, HOST="127.0.0.1", PORT=str(self.port))
        env.update(LOG_LEVEL="warning", PYTHONPATH=str(ROOT), **(settings or {}))
        self._launch([sys.executable, str(ROOT / "server.py")], directory, env)

    def exceptions(self) -> Counter:
        """The exceptions the server logged (a traceback's last line), shortened."""
        found = Counter()
        for line in self.log.read_text(errors="replace").splitlines():
            if EXCEPTION.match(line):
                found[line.split(" (Background on this error", 1)[0][:140]] += 1
        return found


def _outcome(response: httpx2.Response, name: str | None, run: Run, key: str | None):
    """None when the request succeeded, else the error's (status, code)."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = {}
    errors = body.get("errors") if isinstance(body, dict) else None
    if response.status_code != 200 or errors:
        code = ((errors or [{}])[0].get("extensions") or {}).get("code", "-")
        return response.status_code, code
    if name is None:
        return None
    payload = body["data"][name]
    codes = [e["code"] for e in payload["userErrors"]]
    if key is not None and codes == [REFUSED]:
        run.refused += 1
        return None
    if codes:
        return 200, f"userError {codes[0]}"
    if key is not None:
        run.shared += 1
        run.keys.setdefault(key, set()).add(payload["payment"]["id"])
    return None


def _list_page(query: str):
    def request(_client: int, _n: int):
        return query, {"first": 50}, None, None

    return request


def _write_mix(customers: list[str], tag: str):
    """Round-robin, each client starting at its own step. Every other payment uses a key
    shared by whoever pays in the same 200 ms (same customer and amount: a replay), one in
    five of those with another amount (a refusal)."""

    def request(client: int, n: int):
        step = (client + n) % 4
        customer = customers[(client * 7 + n) % len(customers)]
        if step == 0:
            return CREATE, {"input": {"name": f"Load {tag} {client}-{n}"}}, "createCustomer", None
        if step == 1:
            variables = {"input": {"id": customer, "city": f"Town {n % 50}"}}
            return UPDATE, variables, "updateCustomer", None
        if step == 2:
            variables = {"input": {"customerId": customer, "subject": f"Load {client}-{n}"}}
            return OPEN_TICKET, variables, "openTicket", None
        if (n // 4) % 2:
            key, amount = f"{tag}-{client}-{n}", 1_000 + n % 100
        else:
            bucket = int(time.monotonic() * 5)
            key, amount = f"{tag}-shared-{bucket}", 500 + (n % 5 == 4)
            customer = customers[bucket % len(customers)]
        money = {"amount": amount, "currency": "EUR"}
        variables = {"customerId": customer, "amount": money, "idempotencyKey": key}
        shared = key if "-shared-" in key else None
        return PAY, {"input": {**variables, "methodKind": "CASH"}}, "recordPayment", shared

    return request


async def _sample_pg(url: str, run: Run, stop: asyncio.Event) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT", pool_size=1)
    query = text(
        "SELECT count(*), count(*) FILTER (WHERE state <> 'idle') FROM pg_stat_activity "
        "WHERE datname = :db AND pid <> pg_backend_pid()"
    )
    database = make_url(url).database
    try:
        async with engine.connect() as conn:
            while not stop.is_set():
                total, busy = (await conn.execute(query, {"db": database})).one()
                run.conns = max(run.conns or 0, total)
                run.busy = max(run.busy or 0, busy)
                await asyncio.sleep(SAMPLE_EVERY)
    finally:
        await asyncio.wait_for(engine.dispose(), 5)


async def _sample_sqlite(pid: int, path: str, run: Run, stop: asyncio.Event) -> None:
    """Each pooled SQLite connection holds the database file open once."""
    fds = Path(f"/proc/{pid}/fd")
    while not stop.is_set():
        count = 0
        with contextlib.suppress(OSError):
            for fd in os.listdir(fds):
                with contextlib.suppress(OSError):
                    count += os.readlink(fds / fd) == path
        run.conns = max(run.conns or 0, count)
        await asyncio.sleep(SAMPLE_EVERY)


async def _sample_health(base: str, run: Run, stop: asyncio.Event) -> None:
    async with httpx2.AsyncClient(base_url=base, timeout=2) as http:
        while not stop.is_set():
            try:
                database = (await http.get("/health")).json().get("database")
                if isinstance(database, dict) and isinstance(database.get("inUse"), int):
                    run.in_use = max(run.in_use or 0, database["inUse"])
            except (httpx2.HTTPError, ValueError):
                pass
            await asyncio.sleep(SAMPLE_EVERY)


async def _drive(server: Server, url: str, run: Run, request, headers, seconds: float) -> None:
    limits = httpx2.Limits(max_connections=run.clients, max_keepalive_connections=run.clients)
    timeout = httpx2.Timeout(REQUEST_TIMEOUT, connect=10)
    stop = asyncio.Event()
    if url.startswith("postgresql"):
        sampler = _sample_pg(url, run, stop)
    else:
        sampler = _sample_sqlite(server.process.pid, server.sqlite_file, run, stop)
    samplers = [asyncio.create_task(sampler)]
    samplers.append(asyncio.create_task(_sample_health(server.base, run, stop)))
    pending: dict[int, float] = {}
    started = time.perf_counter()
    measured_from, window_end = started + WARM_UP, started + WARM_UP + seconds
    last_answer = window_end
    http = httpx2.AsyncClient(base_url=server.base, limits=limits, timeout=timeout)

    async def client(i: int) -> None:
        nonlocal last_answer
        n = 0
        while (sent := time.perf_counter()) < window_end:
            query, variables, name, key = request(i, n)
            pending[i] = sent
            try:
                response = await http.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=headers
                )
                error = _outcome(response, name, run, key)
            except httpx2.TimeoutException:
                error = ("-", "client timeout")
            except httpx2.HTTPError as exc:
                error = ("-", type(exc).__name__)
            done = time.perf_counter()
            del pending[i]
            if done >= measured_from:
                run.answered += 1
                last_answer = max(last_answer, done)
                run.latencies.append((done - sent) * 1000)
                if error is not None:
                    run.errors[error] += 1
            n += 1

    tasks = [asyncio.create_task(client(i)) for i in range(run.clients)]
    try:
        await asyncio.wait(tasks, timeout=WARM_UP + seconds + GRACE)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await http.aclose()
        await asyncio.wait(samplers, timeout=5)
        for task in samplers:
            task.cancel()
    if pending:
        run.errors[("-", "unfinished")] += len(pending)
        last_answer = time.perf_counter()
    run.elapsed = max(seconds, last_answer - measured_from)
    for payments in run.keys.values():
        if len(payments) > 1:
            run.errors[("-", f"one key, {len(payments)} payments")] += 1


async def _customers(server: Server, headers) -> list[str]:
    async with httpx2.AsyncClient(base_url=server.base, timeout=30) as http:
        response = await http.post(
            "/graphql", json={"query": IDS, "variables": {"first": 100}}, headers=headers
        )
    return [node["id"] for node in response.json()["data"]["customers"]["nodes"]]


async def _seed(url: str) -> tuple[int, int]:
    db = Database(url)
    try:
        return await seed_demo(db, make_plugins())
    finally:
        await db.dispose()


async def _load(label, url, list_query, clients, seconds, scenarios, directory) -> list[Run]:
    tenant_id, admin_id = await _seed(url)
    token = issue_token(SECRET, tenant_id, admin_id, timedelta(hours=2))
    headers = {"Authorization": f"Bearer {token}"}
    customers, runs = [], []
    for scenario in scenarios:
        for count in clients:
            run = Run(label, scenario, count)
            server = Server(url, directory, f"server-{scenario}-{count}.log")
            try:
                await server.wait_ready()
                if scenario == "list":
                    request = _list_page(list_query)
                else:
                    customers = customers or await _customers(server, headers)
                    request = _write_mix(customers, f"{os.getpid()}-{count}-{time.time_ns()}")
                await _drive(server, url, run, request, headers, seconds)
            finally:
                server.stop()
            run.log = server.exceptions()
            runs.append(run)
            print(_row(run), flush=True)
    return runs


def measure(label: str, url: str, list_query: str, clients, seconds: float, scenarios) -> list[Run]:
    """Seeds the demo (idempotent) and measures every scenario at every client count, each
    on a server of its own that is stopped whatever happens."""
    print(f"\nLoad on {label} ({WARM_UP:.0f} s warm-up, {seconds:g} s each, closed loop)")
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory() as directory:
        return asyncio.run(
            _load(label, url, list_query, clients, seconds, scenarios, Path(directory))
        )


HEADER = (
    "| database | scenario | clients | requests | req/s | p50 ms | p99 ms | errors "
    "| db conns max | pg busy max | server inUse max |\n"
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
)


def _row(run: Run) -> str:
    def num(value):
        return "n/a" if value is None else str(value)

    cells = [run.database, run.scenario, run.clients, run.answered]
    cells += [f"{run.answered / run.elapsed:.1f}" if run.elapsed else "n/a"]
    cells += [f"{run.percentile(0.5):.1f}", f"{run.percentile(0.99):.1f}"]
    cells += [sum(run.errors.values()), num(run.conns), num(run.busy), num(run.in_use)]
    return "| " + " | ".join(str(c) for c in cells) + " |"


def report(runs: list[Run], seconds: float) -> None:
    print(f"\nLoad summary ({WARM_UP:.0f} s warm-up, {seconds:g} s window, closed loop)")
    print(HEADER)
    for run in runs:
        print(_row(run))
    print("(requests: answered after the warm-up; req/s: those / time until the last answer;")
    print(" p50/p99 over all of them, errors too; db conns: PostgreSQL sessions on the")
    print(" bench database, or the server's open handles of the SQLite file; pg busy: sessions")
    print(" not idle; server inUse: /health `database.inUse`, n/a when not reported)")
    failed = [run for run in runs if run.errors]
    if failed:
        print("\nErrors by (status, code):")
    for run in failed:
        breakdown = ", ".join(f"{s} {c}: {n}" for (s, c), n in run.errors.most_common())
        print(f"- {run.database} {run.scenario} x{run.clients}: {breakdown}")
        for line, n in run.log.most_common(3):
            print(f"  server log, {n}x: {line}")
    writes = [run for run in runs if run.shared or run.refused]
    if writes:
        print("\nShared idempotency keys (every key must answer with one payment):")
    for run in writes:
        print(
            f"- {run.database} x{run.clients}: {len(run.keys)} keys paid, "
            f"{run.shared - len(run.keys)} replays, {run.refused} refused ({REFUSED})"
        )
