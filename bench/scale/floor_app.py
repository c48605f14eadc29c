"""The floor's server: a bare ASGI app under uvicorn (one process, like `server.py`) that
runs the named statement and sends the text the database built, untouched. PostgreSQL
through an asyncpg pool, SQLite through a few aiosqlite connections (reads in parallel)."""

import asyncio
import json
import os
from pathlib import Path

import orjson
import uvicorn
from sqlalchemy import make_url

POOL = 16


class _Sqlite:
    def __init__(self, path: str):
        self.path, self.free = path, asyncio.Queue()

    async def open(self) -> None:
        import aiosqlite

        for _ in range(4):
            conn = await aiosqlite.connect(self.path)
            await conn.execute("PRAGMA query_only = ON")
            self.free.put_nowait(conn)

    async def fetch(self, sql: str, params: list) -> str:
        conn = await self.free.get()
        try:
            async with conn.execute(sql, params) as cursor:
                return (await cursor.fetchone())[0]
        finally:
            self.free.put_nowait(conn)


class _Postgres:
    def __init__(self, url: str):
        self.url = make_url(url).set(drivername="postgresql").render_as_string(False)

    async def open(self) -> None:
        import asyncpg

        name = f"bench-floor-{os.getpid()}"
        # Every statement prepared once per connection, whatever its size (asyncpg keeps
        # none over 15 KiB by default, and the profile's is 21 KiB: planned anew each time),
        # as SQLAlchemy keeps the API's.
        self.pool = await asyncpg.create_pool(
            self.url,
            min_size=1,
            max_size=POOL,
            max_cacheable_statement_size=0,
            server_settings={"application_name": name},
        )

    async def fetch(self, sql: str, params: list) -> str:
        async with self.pool.acquire() as conn:
            return await conn.fetchval(sql, *params)


def make_app(spec: dict):
    url = spec["url"]
    db = _Sqlite(make_url(url).database) if url.startswith("sqlite") else _Postgres(url)
    statements = spec["statements"]

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await db.open()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/health":
            status, answer = 200, b'{"status":"ok"}'
        else:
            sql, params = statements[orjson.loads(body)["scenario"]]
            status, answer = 200, (await db.fetch(sql, params)).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    return app


def serve(spec_file: Path, port: int) -> None:
    app = make_app(json.loads(spec_file.read_text()))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
