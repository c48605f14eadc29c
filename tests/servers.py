"""Real server processes for tests: a throwaway `redis-server` (never the shared one on 6379)
on a free port of its own, stopped for sure."""

import os
import shutil
import socket
import subprocess
import time

import pytest

REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"
REDIS_SERVER = shutil.which("redis-server")
SHARED_PORT = 6379


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
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        self.stop(kill=True)
        pytest.fail(f"redis-server on port {self.port} did not answer")

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        _stop(process, kill)
