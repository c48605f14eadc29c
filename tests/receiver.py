"""A real HTTP server for the tests of outgoing calls (webhooks, automation's
`CALL_WEBHOOK`): `http.server` on a free port of 127.0.0.1 in a thread. Each path answers
from its script (statuses in order, then 200; `"slow"` answers 200 only after the test
app's timeout), and every request is kept as it arrived."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    slow_seconds: float = 5.0
    scripts: dict[str, list] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    headers = {k.title(): v for k, v in self.headers.items()}
                    receiver.received.append(Received(self.path, headers, body))
                    script = receiver.scripts.get(self.path) or []
                    answer = script.pop(0) if script else 200
                if answer == "slow":
                    time.sleep(receiver.slow_seconds)
                    answer = 200
                try:
                    self.send_response(answer)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the client gave up (timeout)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]
