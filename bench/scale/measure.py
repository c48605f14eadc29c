"""One measurement: closed-loop clients (each sends its next request when the previous one
is answered) against a real server, after a warm-up, until the window ends or enough
requests were answered, whichever comes first. Requests still unanswered `grace` seconds
after the window are cut (counted, not waited for), so a scenario that takes seconds per
request ends in bounded time; the caller then cancels their statements and restarts the
server. CPU: the server process's own (/proc), and on PostgreSQL that of the database's backends
with their parallel workers (`BackendCpu`); each over the whole run, divided by every
request answered."""

import asyncio
import math
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.fanout import _cpu_s

REQUEST_TIMEOUT = 120.0
SAMPLE_EVERY = 0.025


@dataclass
class Measurement:
    name: str
    clients: int
    latencies: list[float] = field(default_factory=list)  # ms, answered in the window
    cut: list[float] = field(default_factory=list)  # ms each had waited when cut
    errors: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    server_cpu: float | None = None  # seconds
    db_cpu: float | None = None
    statements: int | None = None
    answered: int = 0  # warm-up included: what the CPU is shared by
    load: float = 0.0
    capped: bool = False  # stopped at --max-requests before the window ended
    path: str = ""  # the server's execution path (COMPILED_EXECUTION), when several are timed

    def percentile(self, p: float) -> tuple[float, bool]:
        """(value, is a lower bound): cut requests rank last, at least as long as they ran."""
        values = sorted(self.latencies) + sorted(self.cut)
        if not values:
            return math.nan, False
        rank = max(0, math.ceil(p * len(values)) - 1)
        return values[rank], rank >= len(self.latencies)

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed else 0.0


def _proc_cpu(pid: int) -> float | None:
    try:
        return _cpu_s(pid)
    except (OSError, IndexError, ValueError):
        return None


class BackendCpu:
    """CPU of one database's PostgreSQL processes: the postmaster's children whose title
    names the database (its backends: during a measurement only the server's connect to
    the bench's own database) and the parallel workers they lead ("parallel worker for PID
    n"), polled often since a parallel worker lives for one query."""

    def __init__(self, postmaster: int, database: str):
        self.children = Path(f"/proc/{postmaster}/task/{postmaster}/children")
        self.marker = f" {database} "
        self.kind: dict[int, int | bool] = {}  # pid: True (backend), leader pid, or False
        self.base: dict[int, float] = {}
        self.last: dict[int, float] = {}

    def _mine(self, pid: int) -> bool:
        if pid not in self.kind:
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                return False
            if not title.startswith("postgres:"):
                return False  # just forked, its title not set yet: look again next time
            if "parallel worker for PID " in title:
                self.kind[pid] = int(title.rsplit("PID ", 1)[1].split()[0])
            else:  # a client's backend names its address: "… db 127.0.0.1(5678) idle"
                self.kind[pid] = self.marker in title and "(" in title
        kind = self.kind[pid]
        return kind is True or (kind is not False and self.kind.get(kind) is True)

    def sample(self, first: bool = False) -> None:
        try:
            pids = [int(p) for p in self.children.read_text().split()]
        except OSError:
            return
        for pid in pids:
            if self._mine(pid) and (cpu := _proc_cpu(pid)) is not None:
                self.base.setdefault(pid, cpu if first else 0.0)
                self.last[pid] = cpu

    @property
    def used(self) -> float:
        return sum(self.last[pid] - self.base.get(pid, 0.0) for pid in self.last)

    async def run(self) -> None:
        self.sample(first=True)
        while True:
            await asyncio.sleep(SAMPLE_EVERY)
            self.sample()


async def postmaster_pid(url: str) -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return _parent(await conn.scalar(text("SELECT pg_backend_pid()")))
    finally:
        await engine.dispose()


def _parent(pid: int) -> int | None:
    try:
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None
    return parent if Path(f"/proc/{parent}/task/{parent}/children").exists() else None


async def drive(
    m: Measurement,
    base: str,
    path: str,
    body: dict,
    headers: dict,
    *,
    pid: int,
    warm_up: float,
    seconds: float,
    max_requests: int,
    grace: float,
    backends: BackendCpu | None = None,
) -> Measurement:
    """Latencies count from the warm-up's end; CPU counts over the whole run (warm-up
    included, so no request's work is half outside) and is divided by every request
    answered."""
    payload = orjson.dumps(body)
    headers = {**headers, "content-type": "application/json"}
    limits = httpx2.Limits(max_connections=m.clients, max_keepalive_connections=m.clients)
    http = httpx2.AsyncClient(
        base_url=base, limits=limits, timeout=httpx2.Timeout(REQUEST_TIMEOUT, connect=10)
    )
    cpu_before = _proc_cpu(pid)
    meter = asyncio.create_task(backends.run()) if backends is not None else None
    started = time.perf_counter()
    measured_from, window_end = started + warm_up, started + warm_up + seconds
    pending: dict[int, float] = {}
    last = measured_from
    enough = asyncio.Event()

    async def client(i: int) -> None:
        nonlocal last
        while (sent := time.perf_counter()) < window_end and not enough.is_set():
            pending[i] = sent
            try:
                response = await http.post(path, content=payload, headers=headers)
                error = error_of(response)
            except httpx2.HTTPError as exc:
                error = ("-", type(exc).__name__)
            done = time.perf_counter()
            del pending[i]
            m.answered += 1
            if done >= measured_from:
                m.latencies.append((done - sent) * 1000)
                last = max(last, done)
                if error:
                    m.errors[error] += 1
                if m.done >= max_requests:
                    m.capped = True
                    enough.set()

    tasks = [asyncio.create_task(client(i)) for i in range(m.clients)]
    try:
        await asyncio.wait(tasks, timeout=max(0.0, window_end + grace - time.perf_counter()))
    finally:
        now = time.perf_counter()
        m.cut = [(now - sent) * 1000 for sent in pending.values()]
        if pending:
            last = now
        cpu_after = _proc_cpu(pid)
        if backends is not None:
            backends.sample()
            m.db_cpu = backends.used
        for task in [*tasks, *([meter] if meter else [])]:
            task.cancel()
        await asyncio.gather(*tasks, *([meter] if meter else []), return_exceptions=True)
        await http.aclose()
    m.elapsed = max(last - measured_from, 1e-9)
    if cpu_before is not None and cpu_after is not None:
        m.server_cpu = cpu_after - cpu_before
    m.load = os.getloadavg()[0]
    return m


def error_of(response: httpx2.Response) -> tuple | None:
    """None for an answer with data and no errors, else (status, code)."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.status_code, "not JSON"
    errors = body.get("errors") if isinstance(body, dict) else None
    if response.status_code == 200 and not errors:
        return None
    code = ((errors or [{}])[0].get("extensions") or {}).get("code", "-")
    return response.status_code, code


async def cancel_backends(url: str, database: str, app: str) -> int:
    """Cancel what the bench's server left running in its database (only there)."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :db AND application_name = :app AND state <> 'idle'"
                ),
                {"db": database, "app": app},
            )
            return len(rows.all())
    finally:
        await engine.dispose()


def log_tail(path: Path, lines: int = 5) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
