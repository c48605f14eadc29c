"""Live fan-out: how many `badgeCounts` subscribers one server process holds, and how long
one event takes to reach all of them. A real server (`server.py`, one uvicorn process) on
the demo tenant; the subscribers are real graphql-transport-ws sockets from this process,
each watching 50 customers, signed in as the demo's workers in turn (so several audiences:
admins see everything, agents their own customers). Each event is a ticket opened over HTTP
on a customer every subscriber watches; the time is from sending the mutation to the last
subscriber's update (the client's own reading is included: this 2-core machine runs both).

    python -m bench --subscribers 1000,10000"""

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx2
import orjson
from sqlalchemy import select
from websockets.asyncio.client import connect

from core.access import principal_for, visible_customers
from core.auth import issue_token
from core.database import Database
from core.demo import seed_demo
from core.models import Customer, Worker
from schema.ids import to_global_id
from schema.registry import make_plugins

SECRET = "bench-secret-key-bench-secret-key"
WATCHED = 50
EVENTS = 5
BADGES = """subscription($ids: [ID!]!) { badgeCounts(customerIds: $ids) {
  customerId version tabs { key badgeCount } } }"""
OPEN_TICKET = """mutation($input: OpenTicketInput!) { openTicket(input: $input) {
  userErrors { message } } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _demo(url: str) -> tuple[dict[int, str], list[int], int]:
    """Tokens per worker, up to 50 customers every worker sees, and the admin's id."""
    db = Database(url)
    plugins = make_plugins()
    tenant_id, admin_id = await seed_demo(db, plugins)
    async with db.read() as conn:
        workers = (await conn.scalars(select(Worker.id).where(Worker.tenant_id == tenant_id))).all()
        shared = None
        for worker_id in workers:
            principal = await principal_for(conn, tenant_id, worker_id, plugins.permission_grants())
            seen = set(await conn.scalars(select(Customer.id).where(visible_customers(principal))))
            shared = seen if shared is None else shared & seen
    await db.dispose()
    tokens = {w: issue_token(SECRET, tenant_id, w, timedelta(hours=2)) for w in workers}
    return tokens, sorted(shared)[:WATCHED], admin_id


class Subscriber:
    def __init__(self, url: str, token: str, ids: list[str]):
        self.url, self.token, self.ids = url, token, ids
        self.arrived = asyncio.Event()
        self.ready = asyncio.Event()
        self.watching: str | None = None
        self.task: asyncio.Task | None = None
        self.error: Exception | None = None

    async def run(self) -> None:
        try:
            await self._run()
        except Exception as exc:  # seen by the bench, which stops
            self.error = exc
            self.ready.set()
            self.arrived.set()

    async def _run(self) -> None:
        initial = 0
        async for update in badge_updates(self.url, self.token, self.ids):
            if not self.ready.is_set():
                initial += 1
                if initial == len(self.ids):
                    self.ready.set()
                continue
            if update["customerId"] == self.watching:
                self.arrived.set()


async def badge_updates(url: str, token: str, ids: list[str]):
    """A `badgeCounts` subscription's updates, as a graphql-ws client gets them (the
    server's pings answered)."""
    async with connect(
        url, subprotocols=["graphql-transport-ws"], open_timeout=120, ping_interval=None
    ) as ws:
        init = {"type": "connection_init", "payload": {"token": token}}
        await ws.send(orjson.dumps(init).decode())
        assert orjson.loads(await ws.recv())["type"] == "connection_ack"
        payload = {"query": BADGES, "variables": {"ids": ids}}
        subscribe = {"id": "1", "type": "subscribe", "payload": payload}
        await ws.send(orjson.dumps(subscribe).decode())
        async for raw in ws:
            message = orjson.loads(raw)
            if message["type"] == "ping":
                await ws.send('{"type":"pong"}')
                continue
            assert message["type"] == "next", message
            yield message["payload"]["data"]["badgeCounts"]


def _start_server(url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "PORT": str(port),
        "LOG_LEVEL": "warning",
        "GRAPHIQL": "false",
        "SUBSCRIPTION_QUEUE": "1000",
    }
    env.pop("REDIS_URL", None)
    root = Path(__file__).resolve().parent.parent
    return subprocess.Popen([sys.executable, "server.py"], cwd=root, env=env)


async def _run(port: int, pid: int, demo, counts: list[int]) -> list[tuple]:
    tokens, shared, admin_id = demo
    results = []
    async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        for _ in range(200):
            try:
                if (await http.get("/health")).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            await asyncio.sleep(0.1)
        ids = [to_global_id("Customer", i) for i in shared]
        for count in counts:
            results.append(await _fan_out(http, port, pid, tokens, ids, admin_id, count))
    return results


async def _fan_out(http, port, pid, tokens, ids, admin_id, count):
    workers = sorted(tokens)
    base_rss = _rss_mb(pid)
    subscribers = [
        Subscriber(f"ws://127.0.0.1:{port}/graphql", tokens[workers[i % len(workers)]], ids)
        for i in range(count)
    ]
    started = time.perf_counter()
    for i in range(0, count, 200):
        batch = subscribers[i : i + 200]
        for s in batch:
            s.task = asyncio.create_task(s.run())
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in batch)), 300)
        _raise_any(batch)
    connect_s = time.perf_counter() - started
    rss = _rss_mb(pid)
    admin = {"Authorization": f"Bearer {tokens[admin_id]}"}
    latencies = []
    cpu = _cpu_s(pid)
    for n in range(EVENTS):
        watching = ids[n % len(ids)]
        for s in subscribers:
            s.watching = watching
            s.arrived.clear()
        await asyncio.sleep(0.5)
        variables = {"input": {"customerId": watching, "subject": f"Bench {n}"}}
        sent = time.perf_counter()
        answer = await http.post(
            "/graphql", json={"query": OPEN_TICKET, "variables": variables}, headers=admin
        )
        assert not answer.json().get("errors"), answer.text
        await asyncio.wait_for(asyncio.gather(*(s.arrived.wait() for s in subscribers)), 120)
        _raise_any(subscribers)
        latencies.append((time.perf_counter() - sent) * 1000)
    cpu_us = (_cpu_s(pid) - cpu) / EVENTS / count * 1e6
    for s in subscribers:
        s.task.cancel()
    await asyncio.gather(*(s.task for s in subscribers), return_exceptions=True)
    per_subscriber_kb = (rss - base_rss) * 1024 / count
    p50, worst = statistics.median(latencies), max(latencies)
    return count, connect_s, p50, worst, cpu_us, per_subscriber_kb


def _raise_any(subscribers: list[Subscriber]) -> None:
    for s in subscribers:
        if s.error is not None:
            raise RuntimeError(f"a subscriber failed: {s.error!r}") from s.error


def report(url: str, counts: list[int]) -> None:
    demo = asyncio.run(_demo(url))
    port = free_port()
    server = _start_server(url, port)
    try:
        rows = asyncio.run(_run(port, server.pid, demo, counts))
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    print(f"\nLive fan-out (one server process, {len(demo[1])} customers watched by each, ", end="")
    print(f"{EVENTS} events, {len(demo[0])} workers' tokens)")
    print(f"{'subscribers':>11} {'connect s':>9} {'p50 ms':>8} {'max ms':>8} ", end="")
    print(f"{'server µs/sub':>13} {'KiB/sub':>8}")
    for count, connect_s, p50, worst, cpu_us, kib in rows:
        print(f"{count:11d} {connect_s:9.1f} {p50:8.1f} {worst:8.1f} {cpu_us:13.1f} {kib:8.1f}")
    print("(p50/max: from sending the mutation to the last subscriber's update; server µs/sub:")
    print(" the server process's CPU per event per subscriber, the mutation included)")
