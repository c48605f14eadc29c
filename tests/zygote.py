"""A fork server for the tests' `server.py` processes (`tests/servers.py`).

Importing the app (Strawberry types, SQLAlchemy models, every plugin) costs a new process
~4 s of CPU, and the suite starts a hundred of them on a 2-core machine. This process
imports all that once, then forks a child per request that runs the script (`server.py`
or a launcher) as `python script` would: its own environment, working directory, log,
`sys.argv`, fresh random state. The child imports nothing the fresh process would not, and
builds the app itself (`create_app()` at the script's import), so what a test proves about
a server process still holds; only the imports' work is done in advance.

Protocol: one JSON request a line on stdin (`script`, `cwd`, `env`, `log`), the child's pid
a line on stdout. Children are reaped by the kernel (SIGCHLD ignored); the parent test
process watches them through a pidfd. It exits when its stdin closes."""

import json
import os
import signal
import sys
import threading


def preload() -> None:
    """What `server.py` imports, without building an app (that reads the environment)."""
    import uvicorn
    import uvicorn.lifespan.on
    import uvicorn.loops.auto
    import uvicorn.protocols.http.auto
    import uvicorn.protocols.websockets.auto  # noqa: F401

    import core.bus
    import core.file_jobs
    import core.job_runner
    import core.outbox
    import core.storage  # noqa: F401
    import schema.customers.csv_export_route
    import schema.downloads
    import schema.graphiql
    import schema.observe
    import schema.sockets
    import schema.tracing
    import schema.view  # noqa: F401
    from schema.registry import make_plugins

    make_plugins()  # imports every installed plugin's modules; the manager is dropped


def child(request: dict) -> None:
    """In the forked child: become `python <script>` and never return."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()  # its own process group, like a process the test started itself
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.close(null)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        script = request["script"]
        sys.argv = [script]
        sys.path[0] = os.path.dirname(script)
        import random

        random.seed()
        import runpy

        runpy.run_path(script, run_name="__main__")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main() -> None:
    preload()
    assert threading.active_count() == 1, "a thread at import would not survive a fork"
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children
    replies = sys.stdout
    print(json.dumps({"ready": os.getpid()}), file=replies, flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            child(request)
        print(json.dumps({"pid": pid}), file=replies, flush=True)


if __name__ == "__main__":
    main()
