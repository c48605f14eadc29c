"""The ASGI app (`uvicorn server:app`) and `python server.py`, which serves it with the
host, port and log level of the settings."""

import asyncio
import gc
import hmac
import logging
from contextlib import asynccontextmanager
from datetime import timedelta

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from core import file_jobs
from core.bus import make_bus
from core.config import Settings
from core.database import Database
from core.job_runner import JobRunner
from core.outbox import Outbox
from core.plugins import Plugins
from core.storage import make_storage
from schema import graphiql
from schema.customers.csv_export_route import ExportDownloads
from schema.downloads import Downloads
from schema.observe import Metrics, configure_logging
from schema.registry import SchemaRegistry, make_plugins
from schema.sockets import open_sockets
from schema.tracing import RequestSpans, instrument, tracer_provider
from schema.tracing import stop as stop_tracing
from schema.view import GraphQLEndpoint


def gauges(db: Database, endpoint: GraphQLEndpoint, bus, outbox: Outbox, jobs: JobRunner) -> dict:
    """The process's state at scrape time, as `{metric: (help, value)}`."""
    pool, requests, live = db.status(), endpoint.admission.status(), endpoint.live
    return {
        "hub_db_connections_in_use": ("Database connections held by requests.", pool["inUse"]),
        "hub_db_connections_waiting": ("Requests waiting for a connection.", pool["waiting"]),
        "hub_db_connections_max": ("Pool size plus overflow.", pool["size"]),
        "hub_requests_running": ("Requests admitted and running.", requests["running"]),
        "hub_requests_waiting": ("Requests queued for admission.", requests["waiting"]),
        "hub_live_sockets": ("Open websockets.", open_sockets()),
        "hub_live_subscriptions": ("Live subscriptions.", live.subscriptions if live else 0),
        "hub_outbox_waiting": ("Committed events not yet published.", outbox.status()["waiting"]),
        "hub_bus_reconnects": (
            "Times the bus connected again after losing Redis.",
            getattr(bus, "reconnects", 0),
        ),
        "hub_jobs_waiting": ("Jobs queued, of all processes.", jobs.depth["waiting"]),
        "hub_jobs_running": ("Jobs running, of all processes.", jobs.depth["running"]),
    }


log = logging.getLogger("customer_hub.server")


def ide_routes(settings: Settings) -> list:
    """GraphiQL's own files (`schema/graphiql.py`), when GraphiQL is on."""
    if not settings.graphiql:
        return []
    if not graphiql.present(settings.graphiql_assets):
        return []
    files = StaticFiles(directory=settings.graphiql_assets)
    return [Mount(graphiql.PREFIX.rstrip("/"), files, name="graphiql")]


def module_routes(plugins: Plugins) -> list:
    """The routes of every installed module (`hub_http_routes`)."""
    return [route for routes in plugins.pm.hook.hub_http_routes() for route in routes or ()]


def create_app(settings: Settings | None = None, plugins: Plugins | None = None) -> Starlette:
    """`plugins` defaults to every installed one (the `customer_hub` entry points); the
    schemas are checked here, so a broken plugin stops the start, named."""
    settings = settings or Settings()
    plugins = plugins or make_plugins()
    db = Database.from_settings(settings)
    tracing = tracer_provider(settings)
    extensions = instrument(tracing, db.engine) if tracing else []
    registry = SchemaRegistry(plugins, extensions)
    bus = make_bus(settings.redis_url, settings.redis_channel_prefix)
    outbox = Outbox(db, plugins, bus)
    jobs = JobRunner.from_settings(db, plugins, outbox, settings)
    endpoint = GraphQLEndpoint(db, settings, plugins, registry, outbox)
    endpoint.metrics = metrics = Metrics(lambda: gauges(db, endpoint, bus, outbox, jobs))
    endpoint.spans = RequestSpans(tracing) if tracing else None
    endpoint.storage = jobs.storage = storage = make_storage(settings)
    downloads = Downloads(db, settings, plugins, storage)

    @asynccontextmanager
    async def lifespan(_app):
        if settings.graphiql and not graphiql.present(settings.graphiql_assets):
            log.warning(  # here, not at import: the process's logging is set up by now
                "GraphiQL's files are not in %s (run `make install`): the page loads them "
                "from a CDN, which an offline network blocks",
                settings.graphiql_assets,
            )
        await bus.start()
        outbox.start()
        await outbox.sweep(older_than=timedelta(0))  # what a crash left unpublished
        sweeps = None
        if settings.outbox_sweep_seconds:
            sweeps = asyncio.create_task(outbox.run_sweeps(settings.outbox_sweep_seconds))
        jobs.start()
        files_sweeps = None
        if settings.files_sweep_seconds:  # what a crash left, before the first request
            await file_jobs.sweep_once(db, storage, settings.upload_pending_seconds)
            files_sweeps = asyncio.create_task(
                file_jobs.run_sweeps(
                    db,
                    storage,
                    settings.files_sweep_seconds,
                    settings.upload_pending_seconds,
                    settings.job_keep_days,
                )
            )
        gc.collect()
        gc.freeze()  # start-up objects stay out of every later collection (PERFORMANCE.md)
        try:
            yield
        finally:
            if sweeps is not None:
                sweeps.cancel()
            if files_sweeps is not None:
                files_sweeps.cancel()
            await jobs.stop()
            await outbox.stop()
            await bus.close()
            if endpoint.persisted is not None:
                await endpoint.persisted.close()
            await db.dispose()
            if tracing:
                stop_tracing(tracing)

    async def health(_request):
        live = endpoint.live
        return JSONResponse(
            {
                "status": "ok",
                "subscriptions": live.subscriptions if live else 0,
                "database": db.status(),
                "requests": endpoint.admission.status(),
                "outbox": outbox.status(),
            }
        )

    async def home(_request):
        return RedirectResponse("/graphql")

    async def scrape(request):
        expected = settings.metrics_token
        if expected and not hmac.compare_digest(
            request.headers.get("authorization", ""), f"Bearer {expected}"
        ):
            return PlainTextResponse("Unauthorized", 401, {"WWW-Authenticate": "Bearer"})
        try:
            await jobs.measure()
        except Exception:  # the database is away: the other gauges still say so
            log.warning("job queue depth unavailable", exc_info=True)
        return await metrics.endpoint(request)

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/health", health),
            *([Route("/metrics", scrape)] if settings.metrics else []),
            *ide_routes(settings),
            Route("/graphql", endpoint),  # other methods: a coded 405 from the view
            WebSocketRoute("/graphql", endpoint),
            Route("/files/{token}", downloads.serve, methods=["GET"]),
            Route("/avatars/{ticket}/{key}/{size}", downloads.avatar, methods=["GET"]),
            Route(
                "/exports/{token}",
                ExportDownloads(db, settings, plugins, storage).serve,
                methods=["GET"],
            ),
            *module_routes(plugins),
        ],
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.settings = settings
    app.state.plugins = plugins
    app.state.registry = registry
    app.state.bus = bus
    app.state.outbox = outbox
    app.state.jobs = jobs
    app.state.tracing = tracing
    app.state.live = endpoint.live
    app.state.storage = storage
    return app


app = create_app()


def main() -> None:
    settings = app.state.settings
    configure_logging(settings.log_level, settings.log_format)
    uvicorn.run(
        app,  # this module's (a "server:app" string would import and build it again)
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=None,  # the root logger's handler, text or JSON (configure_logging)
        access_log=settings.log_format == "text",  # JSON has the request line instead
        ws_max_size=settings.max_body_bytes,  # a websocket message is bounded like a body
        ws_per_message_deflate=False,  # a third of the memory per socket (PERFORMANCE.md)
        ws_ping_interval=None,  # keep-alive is graphql-transport-ws's (schema/sockets.py)
        ws_ping_timeout=None,
    )


if __name__ == "__main__":
    main()
