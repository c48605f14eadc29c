"""Engine and sessions. One `Database` per app instance; never shared across event loops.

On PostgreSQL a request's transactions run as the app role with their tenant set, local to
the transaction, so row-level security keeps tenants apart (`core/rls.py`); transactions
without a tenant run as the login, across tenants, for set-up work only."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from core import rls


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, echo: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)


class Database:
    def __init__(self, url: str, echo: bool = False):
        self.url = url
        self.engine = make_engine(url, echo)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self.rls = self.dialect == "postgresql"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self, tenant_id: int | None = None) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on any error,
        so a mutation is either written whole or not at all.

        With `tenant_id` (every request's writes), on PostgreSQL it runs as the app role and
        sees and writes that tenant's rows only. Without: as the login, across tenants, for
        set-up work alone (CLI, demo seeding, tests' set-up, bench)."""
        async with self.sessionmaker() as session, session.begin():
            if tenant_id is not None and self.rls:
                await session.execute(rls.SCOPE, rls.scope_params(tenant_id))
            yield session

    async def scope(self, conn: AsyncConnection, tenant_id: int | None) -> None:
        """The app role and this tenant (none: no rows at all) for the rest of `conn`'s
        current transaction. PostgreSQL only."""
        await conn.execute(rls.SCOPE, rls.scope_params(tenant_id))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A short Core connection for batched reads (plain rows, no ORM identity map), as
        the login: set-up work only; a request reads through its `SharedReader`."""
        async with self.engine.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()


class SharedReader:
    """One read connection for a whole request, opened on first use and shared by its
    batches in turn (a lock keeps them off it at the same time). A pool checkout costs about
    a query's worth (PostgreSQL: a reset round trip), so a page of ten batches saves ten.

    On PostgreSQL every transaction it begins runs as the app role with the request's tenant
    (`set_tenant`, from the token before the first query); until then, or without one, it
    sees no rows. A block must not commit and then query again (that would autobegin a
    transaction without the scope): the reader refuses it."""

    def __init__(self, db: Database, tenant_id: int | None = None):
        self.db = db
        self.tenant_id = tenant_id
        self._conn: AsyncConnection | None = None
        self._scoped = None  # the sync transaction the scope was set in
        self._lock = asyncio.Lock()

    async def set_tenant(self, tenant_id: int) -> None:
        """The request's tenant, once known (never from inside a `read()` block); a
        transaction already begun is re-scoped. One tenant per reader."""
        async with self._lock:
            if self.tenant_id is not None and self.tenant_id != tenant_id:
                raise RuntimeError("A request reads one tenant's rows only.")
            self.tenant_id = tenant_id
            conn = self._conn
            if self.db.rls and self._scoped is not None and self._current(conn) is self._scoped:
                await self.db.scope(conn, tenant_id)

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncConnection]:
        async with self._lock:
            if self._conn is None:
                self._conn = await self.db.engine.connect()
            conn = self._conn
            if not self.db.rls:
                yield conn
                return
            if self._scoped is None or self._current(conn) is not self._scoped:
                if conn.in_transaction():  # one that began unscoped: never use it
                    await conn.rollback()
                self._scoped = (await conn.begin()).sync_transaction
                await self.db.scope(conn, self.tenant_id)
            yield conn
            current = self._current(conn)
            if current is not None and current is not self._scoped:
                raise RuntimeError("A read block committed, then read again without its tenant.")

    @staticmethod
    def _current(conn: AsyncConnection):
        return conn.sync_connection.get_transaction() if conn.in_transaction() else None

    async def close(self) -> None:
        """After the request, and after a write (so later reads see it)."""
        async with self._lock:
            if self._conn is not None:
                conn, self._conn, self._scoped = self._conn, None, None
                await conn.close()
