"""Real server processes for tests: a throwaway `redis-server` (never the shared one on 6379)
and the app itself (`python server.py`), each on a free port of its own, stopped for sure."""

import asyncio
import atexit
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest

from core.config import Settings
from core.database import Database
from core.tenants import create_tenant
from tests.support import SECRET, token_for

REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"
REDIS_SERVER = shutil.which("redis-server")
SHARED_PORT = 6379
ROOT = Path(__file__).resolve().parent.parent  # the checkout under test


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert port != SHARED_PORT
    return port


def require_redis_server() -> None:
    if REDIS_SERVER is None:
        if REQUIRED:
            pytest.fail("redis-server is not installed but REQUIRE_SERVICES=1")
        pytest.skip("redis-server not installed")


def _stop(process: subprocess.Popen, kill: bool = False, within: float = 5.0) -> None:
    """Terminate (or kill) and reap; a process that ignores SIGTERM is killed."""
    if process.poll() is None:
        if kill:
            process.kill()
        else:
            process.terminate()
    try:
        process.wait(timeout=within)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=within)


HEALTH = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def _answers(port: int, request: bytes, expected: bytes) -> bool:
    """Whether a server on the port answers `request` with a reply starting `expected`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(request)
            return sock.recv(64).startswith(expected)
    except OSError:
        return False


class RedisServer:
    """A throwaway `redis-server` without persistence, restartable on its port."""

    def __init__(self, port: int, directory):
        self.port = port
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--daemonize", "no", "--dir", str(self.directory)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                pytest.fail(f"redis-server exited at start (port {self.port} taken?)")
            if _answers(self.port, b"PING\r\n", b"+PONG"):
                return
            time.sleep(0.02)
        self.stop(kill=True)
        pytest.fail(f"redis-server on port {self.port} did not answer")

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        _stop(process, kill)


FORK = os.environ.get("HUB_TEST_FORK", "1") != "0"  # 0: every server a fresh interpreter


class Forked:
    """A child of the fork server (`tests/zygote.py`), with the part of `subprocess.Popen`
    the tests use (`pid`, `poll`, `wait`, `terminate`, `kill`). The kernel reaps it, so its
    exit status is unknown (`returncode` is 0 once it is gone); a pidfd tells when it is gone
    without mistaking a reused pid for it."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._fd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # gone already
            self._fd, self.returncode = None, 0

    def _gone(self, timeout: float) -> bool:
        if self._fd is None:
            return True
        if select.select([self._fd], [], [], timeout)[0]:
            os.close(self._fd)
            self._fd, self.returncode = None, 0
            return True
        return False

    def poll(self) -> int | None:
        self._gone(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._gone(timeout if timeout is not None else 1e9):
            raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            signal.pidfd_send_signal(self._fd, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class _Zygote:
    """One fork server per test process, started at its first app server."""

    process: subprocess.Popen | None = None
    lock = threading.Lock()

    @classmethod
    def spawn(cls, script: Path, cwd: Path, env: dict[str, str], log: Path) -> Forked:
        with cls.lock:
            return cls._spawn(script, cwd, env, log)

    @classmethod
    def _spawn(cls, script: Path, cwd: Path, env: dict[str, str], log: Path) -> Forked:
        if cls.process is None or cls.process.poll() is not None:
            cls.process = subprocess.Popen(
                [sys.executable, str(ROOT / "tests" / "zygote.py")],
                cwd=ROOT / "tests",
                env=_base_env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            atexit.register(cls.stop)
            ready = cls.process.stdout.readline()
            assert ready.startswith('{"ready"'), f"the fork server did not start: {ready!r}"
        request = {"script": str(script), "cwd": str(cwd), "env": env, "log": str(log)}
        cls.process.stdin.write(json.dumps(request) + "\n")
        cls.process.stdin.flush()
        return Forked(json.loads(cls.process.stdout.readline())["pid"])

    @classmethod
    def stop(cls) -> None:
        if cls.process is not None:
            process, cls.process = cls.process, None
            process.stdin.close()
            _stop(process)


def _base_env() -> dict[str, str]:
    """This process's environment without any of the app's settings."""
    settings = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in settings}
    env["PYTHONPATH"] = str(ROOT)
    return env


class AppServer:
    """`python server.py` of this checkout in a process of its own, configured only by the
    environment given (plus HOST and PORT), in `directory` (its `var/`, its log).

    The venv's editable install may point at another checkout: `PYTHONPATH` puts this one
    first, and the working directory is not the checkout, so no developer's `.env` leaks in."""

    def __init__(
        self, name: str, directory: Path, environment: dict[str, str], script: Path | None = None
    ):
        self.name = name
        self.script = script or ROOT / "server.py"  # or a launcher adding test plugins
        self.port = free_port()
        self.directory = directory / name
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log_path = self.directory / "server.log"
        self.environment = environment
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def _env(self) -> dict[str, str]:
        env = _base_env()
        env.update(self.environment)
        env.update(HOST="127.0.0.1", PORT=str(self.port), PYTHONPATH=str(ROOT))
        env.setdefault("LOG_LEVEL", "warning")
        return env

    def launch(self) -> None:
        """Start the process (forked from `tests/zygote.py` unless `HUB_TEST_FORK=0`);
        `wait_ready` waits for it to answer."""
        if FORK:
            self.process = _Zygote.spawn(self.script, self.directory, self._env(), self.log_path)
            return
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(self.script)],
                cwd=self.directory,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, within: float = 120.0) -> None:
        """Long enough for a start on a machine loaded by other test workers (a start that
        takes 3 s alone took over 30 under load); a working server answers in seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                pytest.fail(f"{self.name} exited at start:\n{self.log_tail()}")
            if _answers(self.port, HEALTH, b"HTTP/1.1 200"):
                return
            time.sleep(0.05)
        pytest.fail(f"{self.name} did not answer within {within}s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down gracefully, the lifespan closes the bus), then SIGKILL."""
        if self.process is None:
            return
        process, self.process = self.process, None
        _stop(process)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(f"  {self.name}| {line}" for line in text.splitlines()[-lines:])


def started(
    made: list[AppServer], name: str, directory: Path, environment: dict, script=None
) -> AppServer:
    """An app server launched and ready, added to `made` (which the caller stops)."""
    server = AppServer(name, directory, environment, script=script)
    made.append(server)
    server.launch()
    server.wait_ready()
    return server


@contextmanager
def module_server(name: str, directory: Path, database_url: str, **settings) -> Iterator[AppServer]:
    """A module's own `server.py` for its race test: the tests' signing key, named in
    `pg_stat_activity`, two minutes to start (a loaded machine starts a process slowly), and
    required alive at the end (a crash mid-test is a failure, not a quiet pass)."""
    environment = {
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "DB_APPLICATION_NAME": f"hub-{name}-{uuid.uuid4().hex[:8]}",
        **settings,
    }
    app = AppServer(name, directory, environment)
    app.launch()
    try:
        app.wait_ready(within=120)
        yield app
        assert app.alive, app.log_tail()
    finally:
        app.stop()


async def post_data(http: httpx2.AsyncClient, token: str, query: str, **variables) -> dict:
    """The data of an operation that must succeed, over `http` (a client of a server)."""
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


def graphql(app: AppServer, token: str, document: str, timeout: float = 10, **variables) -> dict:
    """The data of an operation that must succeed, from a server process."""
    response = httpx2.post(
        f"{app.url}/graphql",
        json={"query": document, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
    )
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


def owner_token(database_url: str, label: str) -> str:
    """A new tenant made straight in the database (processes share no fixtures): its
    owner's access token."""

    async def work():
        db = Database(database_url)
        try:
            async with db.transaction() as session:
                mark = time.monotonic_ns()
                tenant, owner = await create_tenant(
                    session, f"{label} {mark}", "Olivia Owner", f"owner-{mark}@example.com"
                )
                return tenant.id, owner.id
        finally:
            await db.dispose()

    return token_for(*asyncio.run(work()))
