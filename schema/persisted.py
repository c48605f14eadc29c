"""Persisted queries: Apollo's automatic persisted queries (a client sends the document's
sha256 alone; only an unknown hash costs one round trip with the whole document) and, for
production, an allow-list mode where only the documents of a manifest run.

The automatic store is this process's bounded LRU, plus Redis when `REDIS_URL` is set, so a
document registered through one process is known to all. Redis is a cache here, never a
dependency: when it fails, the client is told the hash is unknown and sends the document
again, and the request runs.

The manifest is Apollo's persisted query list (`{"operations": [{"id", "body", ...}]}`,
`PERSISTED_QUERIES_MANIFEST`); a document's id there must be the sha256 of its body."""

import asyncio
import hashlib
import json
import logging
from collections import OrderedDict
from pathlib import Path

from graphql import GraphQLError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

log = logging.getLogger("customer_hub.persisted")

LOCAL_SIZE = 5_000
REDIS_TTL = 30 * 24 * 3600
REDIS_TIMEOUT = 0.5


def digest(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class Refused(Exception):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code

    def result(self) -> ExecutionResult:
        error = GraphQLError(str(self), extensions={"code": self.code})
        return ExecutionResult(data=None, errors=[error])


def load_manifest(path: Path) -> dict[str, str]:
    operations = json.loads(path.read_text())["operations"]
    found = {}
    for operation in operations:
        body, given = operation["body"], operation["id"]
        if digest(body) != given:
            raise ValueError(f"{path}: operation {given} is not the sha256 of its body")
        found[given] = body
    return found


class PersistedQueries:
    def __init__(self, mode: str, manifest: Path | None, redis_url: str | None, prefix: str):
        self.mode = mode
        self.allowed = load_manifest(manifest) if manifest else {}
        if mode == "only" and not self.allowed:
            raise ValueError("PERSISTED_QUERIES=only needs PERSISTED_QUERIES_MANIFEST")
        self.local: OrderedDict[str, str] = OrderedDict()
        self.redis_url, self.prefix = redis_url, f"{prefix}apq:"
        self._redis = None

    @classmethod
    def from_settings(cls, settings) -> "PersistedQueries":
        return cls(
            settings.persisted_queries,
            settings.persisted_queries_manifest,
            settings.redis_url,
            settings.redis_channel_prefix,
        )

    def _client(self):
        if self._redis is None and self.redis_url:
            from redis.asyncio import Redis

            self._redis = Redis.from_url(self.redis_url, socket_timeout=REDIS_TIMEOUT)
        return self._redis

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    def _remember(self, key: str, document: str) -> None:
        self.local[key] = document
        self.local.move_to_end(key)
        while len(self.local) > LOCAL_SIZE:
            self.local.popitem(last=False)

    async def _get(self, key: str) -> str | None:
        if key in self.local:
            self.local.move_to_end(key)
            return self.local[key]
        client = self._client()
        if client is None:
            return None
        try:
            async with asyncio.timeout(REDIS_TIMEOUT):
                found = await client.get(self.prefix + key)
        except Exception as exc:  # a cache: the client resends the document
            log.warning("persisted queries: Redis unavailable (%s)", type(exc).__name__)
            return None
        if found is not None:
            self._remember(key, found.decode())
            return found.decode()
        return None

    async def _put(self, key: str, document: str) -> None:
        self._remember(key, document)
        client = self._client()
        if client is None:
            return
        try:
            async with asyncio.timeout(REDIS_TIMEOUT):
                await client.set(self.prefix + key, document, ex=REDIS_TTL)
        except Exception as exc:
            log.warning("persisted queries: not shared, Redis unavailable (%s)", type(exc).__name__)

    async def resolve(self, data: GraphQLRequestData) -> GraphQLRequestData:
        """The request with its document, or `Refused` (a coded GraphQL error)."""
        extension = (data.extensions or {}).get("persistedQuery")
        if extension is None:
            if self.mode == "only" and (
                data.query is None or digest(data.query) not in self.allowed
            ):
                raise Refused(
                    "Only registered documents run here (persisted queries only).",
                    "PERSISTED_QUERY_NOT_ALLOWED",
                )
            return data
        if not isinstance(extension, dict) or extension.get("version") != 1:
            raise Refused("Persisted query `version` must be 1.", "PERSISTED_QUERY_INVALID")
        key = extension.get("sha256Hash")
        if not isinstance(key, str) or len(key) != 64:
            raise Refused("`sha256Hash` must be 64 hex digits.", "PERSISTED_QUERY_INVALID")
        key = key.lower()
        if self.mode == "only":
            document = self.allowed.get(key)
            if document is None or (data.query is not None and digest(data.query) != key):
                raise Refused("This document is not registered.", "PERSISTED_QUERY_NOT_ALLOWED")
        elif data.query is not None:
            if digest(data.query) != key:
                raise Refused(
                    "`sha256Hash` is not the SHA-256 of the query.",
                    "PERSISTED_QUERY_HASH_MISMATCH",
                )
            document = data.query
            await self._put(key, document)
        else:
            document = self.allowed.get(key) or await self._get(key)
            if document is None:
                raise Refused("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        return GraphQLRequestData(
            query=document,
            variables=data.variables,
            operation_name=data.operation_name,
            extensions=data.extensions,
            protocol=getattr(data, "protocol", "http"),
        )
