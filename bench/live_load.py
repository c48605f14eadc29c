"""Live updates under write load, across processes: two `server.py` processes (A and B) on
one database and one Redis, `badgeCounts` subscribers spread over both (each watching the
same 50 demo customers, signed in as the demo's workers in turn), and tickets opened over
HTTP at a fixed offered rate, half through A, half through B. Reports the writes completed
per second and their latency, and how late the updates reach the subscribers (from sending
the write to each subscriber's update showing it).

    python -m bench --live-load 500 [--live-rate 50] [--live-seconds 20]

Needs `BENCH_REDIS_URL` (a Redis the bench may publish on; a channel prefix of its own keeps
it apart). Both processes, the subscribers and the writer share this machine."""

import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

import httpx2

from bench.fanout import OPEN_TICKET, SECRET, _demo, badge_updates, free_port
from schema.ids import to_global_id

ROOT = Path(__file__).resolve().parent.parent


def _start(url: str, redis_url: str, prefix: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "REDIS_CHANNEL_PREFIX": prefix,
        "SECRET_KEY": SECRET,
        "PORT": str(port),
        "LOG_LEVEL": "warning",
        "GRAPHIQL": "false",
        "SUBSCRIPTION_QUEUE": "1000",
    }
    return subprocess.Popen([sys.executable, "server.py"], cwd=ROOT, env=env)


class Subscriber:
    """Keeps when each customer's ticket count was first seen at each value."""

    def __init__(self, url: str, token: str, ids: list[str]):
        self.url, self.token, self.ids = url, token, ids
        self.ready = asyncio.Event()
        self.seen: dict[str, list[tuple[float, int]]] = defaultdict(list)
        self.error: Exception | None = None

    async def run(self) -> None:
        initial = 0
        try:
            async for update in badge_updates(self.url, self.token, self.ids):
                tabs = {t["key"]: t["badgeCount"] for t in update["tabs"]}
                self.seen[update["customerId"]].append((time.perf_counter(), tabs["tickets"]))
                initial += 1
                if initial == len(self.ids):
                    self.ready.set()
        except Exception as exc:
            self.error = exc
            self.ready.set()


async def _wait_ready(http: httpx2.AsyncClient) -> None:
    for _ in range(300):
        try:
            if (await http.get("/health")).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


async def _scenario(ports, demo, subscribers: int, rate: float, seconds: float):
    tokens, shared, admin_id = demo
    ids = [to_global_id("Customer", i) for i in shared]
    workers = sorted(tokens)
    https = [httpx2.AsyncClient(base_url=f"http://127.0.0.1:{p}", timeout=60) for p in ports]
    try:
        for http in https:
            await _wait_ready(http)
        subs = [
            Subscriber(
                f"ws://127.0.0.1:{ports[i % 2]}/graphql", tokens[workers[i % len(workers)]], ids
            )
            for i in range(subscribers)
        ]
        tasks = []
        started = time.perf_counter()
        for i in range(0, subscribers, 100):
            batch = subs[i : i + 100]
            tasks += [asyncio.create_task(s.run()) for s in batch]
            await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in batch)), 300)
        connect_s = time.perf_counter() - started
        failed = [s.error for s in subs if s.error]
        if failed:
            raise RuntimeError(f"{len(failed)} subscribers failed: {failed[0]!r}")
        base = {c: max(n for _, n in subs[0].seen[c]) for c in ids}

        admin = {"Authorization": f"Bearer {tokens[admin_id]}"}
        writes: list[tuple[str, int, float, float | None]] = []  # customer, count, sent, took
        locks = {c: asyncio.Lock() for c in ids}
        counts = dict(base)

        async def write(n: int) -> None:
            customer = ids[n % len(ids)]
            async with locks[customer]:  # one at a time per customer: counts known in order
                variables = {"input": {"customerId": customer, "subject": f"Load {n}"}}
                sent = time.perf_counter()
                try:
                    answer = await https[n % 2].post(
                        "/graphql",
                        json={"query": OPEN_TICKET, "variables": variables},
                        headers=admin,
                    )
                    ok = answer.status_code == 200 and not answer.json().get("errors")
                except httpx2.HTTPError:
                    ok = False
                took = time.perf_counter() - sent
                if ok:
                    counts[customer] += 1
                    writes.append((customer, counts[customer], sent, took))
                else:
                    writes.append((customer, -1, sent, None))

        pending = []
        began = time.perf_counter()
        n = 0
        while time.perf_counter() - began < seconds:
            pending.append(asyncio.create_task(write(n)))
            n += 1
            await asyncio.sleep(max(0.0, began + n / rate - time.perf_counter()))
        await asyncio.wait_for(asyncio.gather(*pending), 120)
        elapsed = time.perf_counter() - began
        await asyncio.sleep(3)  # the last updates
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for http in https:
            await http.aclose()

    done = [w for w in writes if w[3] is not None]
    late, missing = [], 0
    for customer, count, sent, _ in done:
        for s in subs:
            arrival = next((t for t, c in s.seen[customer] if c >= count and t >= sent), None)
            if arrival is None:
                missing += 1
            else:
                late.append(arrival - sent)
    took = sorted(w[3] for w in done)
    late.sort()

    def pct(values, p):
        return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else 0.0

    return {
        "connect_s": connect_s,
        "offered": n / elapsed,
        "completed": len(done) / elapsed,
        "failed": len(writes) - len(done),
        "write_p50": statistics.median(took) * 1000 if took else 0.0,
        "write_p99": pct(took, 0.99),
        "late_p50": pct(late, 0.5),
        "late_p99": pct(late, 0.99),
        "missing": missing,
    }


def report(url: str, redis_url: str, subscribers: int, rate: float, seconds: float) -> None:
    demo = asyncio.run(_demo(url))
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    ports = [free_port(), free_port()]
    servers = [_start(url, redis_url, prefix, port) for port in ports]
    try:
        row = asyncio.run(_scenario(ports, demo, subscribers, rate, seconds))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
    print(
        f"\nLive under load (two processes + Redis, {subscribers} badgeCounts subscribers "
        f"watching {len(demo[1])} customers, {rate:g} writes/s offered for {seconds:g} s)"
    )
    print(
        f"  writes: {row['completed']:.1f}/s completed of {row['offered']:.1f}/s offered, "
        f"{row['failed']} failed, p50 {row['write_p50']:.0f} ms, p99 {row['write_p99']:.0f} ms"
    )
    print(
        f"  updates: p50 {row['late_p50']:.0f} ms, p99 {row['late_p99']:.0f} ms late "
        f"(write sent -> subscriber shows it), {row['missing']} never arrived; "
        f"subscribers connected in {row['connect_s']:.1f} s"
    )
