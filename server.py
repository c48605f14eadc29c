"""The ASGI app (`uvicorn server:app`) and `python server.py`, which serves it with the
host, port and log level of the settings."""

import gc
import logging
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route, WebSocketRoute

from core.config import Settings
from core.database import Database
from schema.app import build_schema
from schema.view import GraphQLView


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    db = Database(settings.database_url, settings.sql_echo)
    view = GraphQLView(build_schema(), db, settings)

    @asynccontextmanager
    async def lifespan(_app):
        gc.collect()
        gc.freeze()  # start-up objects stay out of every later collection (PERFORMANCE.md)
        yield
        await db.dispose()

    async def health(_request):
        return JSONResponse({"status": "ok"})

    async def home(_request):
        return RedirectResponse("/graphql")

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/health", health),
            Route("/graphql", view, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", view),
        ],
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.settings = settings
    return app


app = create_app()


def main() -> None:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )
    uvicorn.run("server:app", host=settings.host, port=settings.port, log_level=settings.log_level)


if __name__ == "__main__":
    main()
