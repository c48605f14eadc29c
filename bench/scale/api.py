"""Talking to a real `server.py` (bench/load.py's `Server`) as a signed-in worker, and
opening plain connections to the bench's database (as the login: past row-level security)."""

from contextlib import asynccontextmanager
from datetime import timedelta

import httpx2
from sqlalchemy.ext.asyncio import create_async_engine

from bench.fanout import SECRET
from core.auth import issue_token


def token(tenant_id: int, worker_id: int) -> str:
    return issue_token(SECRET, tenant_id, worker_id, timedelta(hours=12))


class Api:
    def __init__(self, base: str, bearer: str, timeout: float = 60.0):
        self.http = httpx2.AsyncClient(base_url=base, timeout=timeout)
        self.headers = {"Authorization": f"Bearer {bearer}"}

    async def __aenter__(self) -> "Api":
        return self

    async def __aexit__(self, *_exc) -> None:
        await self.http.aclose()

    async def call(self, query: str, variables: dict | None = None) -> dict:
        """`data`, or RuntimeError with whatever came back instead."""
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.headers
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"{response.status_code}: {body}")
        return body["data"]


@asynccontextmanager
async def connect(url: str):
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            yield conn
    finally:
        await engine.dispose()
