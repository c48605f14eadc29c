"""Engine, pool and the one connection a request holds. One `Database` per app instance;
never shared across event loops.

Connection discipline (a request that holds one pooled connection while it waits for a
second deadlocks the pool once the in-flight requests reach its size): a request holds at
most one connection at any moment (`RequestConnection`), its reads and its write share it,
and it gives it back before the response is sent. Every wait for a connection, and on
SQLite for the writer's turn, is bounded; past it the request gets `Unavailable` (HTTP 503
with `Retry-After`), never a pool error after half a minute.

On PostgreSQL a request's transactions run as the app role with their tenant set, local to
the transaction, so row-level security keeps tenants apart (`core/rls.py`); transactions
without a tenant run as the login, across tenants, for set-up work only.

SQLite allows one writer at a time per file: inside a process writers queue on an asyncio
lock (holding no connection while they wait), and each write transaction starts with
`BEGIN IMMEDIATE`, so a second process sharing the file waits its turn (`busy_timeout`)
instead of failing half-way. Reads run outside transactions (WAL) and never wait."""

import asyncio
import base64
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import orjson
from sqlalchemy import event, exc, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    create_async_engine,
)

from core import rls, statements
from core.errors import Unavailable

log = logging.getLogger("customer_hub.database")

RETRY_AFTER = 1  # seconds a refused client is asked to wait (`Retry-After`)
BUSY = "The database is busy or unreachable; retry shortly."


def _zone_day(zone: str | None, moment: str | None) -> str | None:
    from core.tenants import sqlite_zone_day  # core.tenants reads models, which read this

    return sqlite_zone_day(zone, moment)


def _b64url(value: str | None) -> str | None:
    """Base64url without padding, as global ids and cursors are: SQLite has no base64, and
    the compiled execution path (`schema/compiled`) builds ids in SQL."""
    if value is None:
        return None
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _json_float(value: float | None) -> str | None:
    """A number as the JSON of GraphQL's `Float` (orjson's text of the float: `3` → `3.0`),
    for custom-field values the compiled path writes (SQLite has no such formatting)."""
    return None if value is None else orjson.dumps(float(value)).decode()


def _sqlite_pragmas(busy_timeout_ms: int):
    def on_connect(dbapi_connection, _record):
        dbapi_connection.create_function("hub_b64url", 1, _b64url, deterministic=True)
        dbapi_connection.create_function("hub_json_float", 1, _json_float, deterministic=True)
        dbapi_connection.create_function("hub_zone_day", 2, _zone_day, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return on_connect


def make_engine(
    url: str,
    echo: bool = False,
    *,
    pool_size: int = 20,
    max_overflow: int = 0,
    pool_timeout: float = 2.0,
    statement_timeout: float = 30.0,
    idle_in_transaction_timeout: float = 30.0,
    application_name: str = "customer-hub",
    busy_timeout: float = 10.0,
) -> AsyncEngine:
    pool = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        else:
            pool = {}  # one in-memory database: SQLAlchemy's single shared connection
        engine = create_async_engine(url, echo=echo, **pool)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(busy_timeout * 1000))
        return engine
    # JIT compiling spent 108 of an agent's count's 360 ms; the app's statements are short.
    server_settings = {
        "application_name": application_name,
        "jit": "off",
        "statement_timeout": str(int(statement_timeout * 1000)),
        "idle_in_transaction_session_timeout": str(int(idle_in_transaction_timeout * 1000)),
    }
    engine = create_async_engine(
        url,
        echo=echo,
        connect_args={"server_settings": server_settings, "timeout": max(pool_timeout, 1.0)},
        **pool,
    )
    event.listen(engine.sync_engine.pool, "checkin", _returned)
    event.listen(engine.sync_engine.pool, "checkout", _alive)
    return engine


# A connection back in the pool for longer than this is pinged before it is handed out.
PING_IDLE_SECONDS = 5.0


def _returned(dbapi_connection, record) -> None:
    record.info["returned"] = time.monotonic()


def _alive(dbapi_connection, record, proxy) -> None:
    """The pool's liveness check, at most one round trip: SQLAlchemy's `pool_pre_ping` on
    asyncpg costs three (`BEGIN`, `;`, `ROLLBACK`) on every checkout, as much as a page's
    own work at a million customers. A backend cut while the connection sat in the pool
    (`pg_terminate_backend`, a restart) has closed its socket, which asyncpg has seen;
    only a connection idle for a while is asked, since a silent network can hide a
    close. `DisconnectionError` makes the pool open a fresh connection instead."""
    driver = dbapi_connection.driver_connection
    if driver.is_closed():
        raise exc.DisconnectionError("connection closed while pooled")
    returned = record.info.get("returned")  # none yet: opened for this checkout
    if returned is not None and time.monotonic() - returned > PING_IDLE_SECONDS:
        try:
            dbapi_connection.run_async(lambda conn: conn.execute(";"))
        except Exception as error:
            raise exc.DisconnectionError("connection failed its ping") from error


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database could not serve now, so the same request may
    succeed when retried: no connection within the wait, a connection lost or refused, a
    statement cancelled by `statement_timeout`."""
    if isinstance(error, Unavailable | exc.TimeoutError | ConnectionError | TimeoutError):
        return True
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        name = type(error.orig).__name__ if error.orig is not None else ""
        if name == "OperationalError" and "database is locked" in str(error.orig):
            return True  # SQLite: another process held the file past `busy_timeout`
        # SQLAlchemy's asyncpg adapter wraps the driver's error: its class is the cause's.
        cause = getattr(error.orig, "__cause__", None)
        names = {name, type(cause).__name__ if cause is not None else ""}
        return bool(names & _RETRYABLE_DRIVER_ERRORS) or isinstance(error.orig, OSError)
    return False


# asyncpg's names (sqlite3 has no such errors: a busy database waits `busy_timeout`).
_RETRYABLE_DRIVER_ERRORS = {
    "QueryCanceledError",
    "ConnectionDoesNotExistError",
    "ConnectionFailureError",
    "CannotConnectNowError",
    "AdminShutdownError",
    "TooManyConnectionsError",
    "InterfaceError",
    "IdleInTransactionSessionTimeoutError",
    "InternalClientError",
    "DeadlockDetectedError",
    "SerializationError",
}


class Database:
    def __init__(
        self,
        url: str,
        echo: bool = False,
        *,
        write_timeout: float = 10.0,
        **engine_options,
    ):
        self.url = url
        self.engine = make_engine(url, echo, **engine_options)
        statements.watch(self.engine)
        self.rls = self.dialect == "postgresql"
        self.sqlite = self.dialect == "sqlite"
        self.write_timeout = write_timeout
        self._writer = asyncio.Lock() if self.sqlite else None
        self.in_use = 0
        self.peak = 0
        self.waiting = 0

    @classmethod
    def from_settings(cls, settings) -> "Database":
        return cls(
            settings.database_url,
            settings.sql_echo,
            write_timeout=settings.db_write_timeout,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
            statement_timeout=settings.db_statement_timeout,
            idle_in_transaction_timeout=settings.db_idle_in_transaction_timeout,
            application_name=settings.db_application_name,
            busy_timeout=settings.db_write_timeout,
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def status(self) -> dict:
        """For `/health`: connections this process holds now and at most since it started."""
        pool = self.engine.pool
        return {
            "inUse": self.in_use,
            "peak": self.peak,
            "waiting": self.waiting,
            "size": pool.size() + getattr(pool, "_max_overflow", 0),
        }

    async def connect(self) -> AsyncConnection:
        """A pooled connection within the pool's wait, or `Unavailable`."""
        self.waiting += 1
        try:
            conn = await self.engine.connect()
        except Exception as error:
            if is_unavailable(error):
                raise Unavailable(BUSY) from error
            raise
        finally:
            self.waiting -= 1
        self.in_use += 1
        self.peak = max(self.peak, self.in_use)
        return conn

    async def release(self, conn: AsyncConnection) -> None:
        """Back to the pool; a broken one is discarded (the pool opens a new one later).
        Never raises: the request's answer does not depend on it."""
        self.in_use -= 1
        try:
            await conn.close()
        except Exception:
            log.debug("discarding a broken connection", exc_info=True)
            with contextlib.suppress(Exception):
                await conn.invalidate()

    @asynccontextmanager
    async def writer_turn(self) -> AsyncIterator[None]:
        """SQLite: this process's one writer at a time, waited for within `write_timeout`
        (nothing to wait for on PostgreSQL)."""
        if self._writer is None:
            yield
            return
        try:
            async with asyncio.timeout(self.write_timeout):
                await self._writer.acquire()
        except TimeoutError as error:
            raise Unavailable("Too many writes are waiting; retry shortly.") from error
        try:
            yield
        finally:
            self._writer.release()

    @asynccontextmanager
    async def session_on(
        self, conn: AsyncConnection, tenant_id: int | None
    ) -> AsyncIterator[AsyncSession]:
        """One write transaction on `conn`: committed on success, rolled back on any error,
        so a mutation is written whole or not at all. The caller holds the writer's turn."""
        if conn.in_transaction():
            await conn.rollback()
        session = AsyncSession(bind=conn, expire_on_commit=False)
        async with session, session.begin():
            if self.sqlite:
                await session.execute(text("BEGIN IMMEDIATE"))
            elif tenant_id is not None:
                await session.execute(rls.SCOPE, rls.scope_params(tenant_id))
            yield session

    @asynccontextmanager
    async def transaction(self, tenant_id: int | None = None) -> AsyncIterator[AsyncSession]:
        """A write transaction on a connection of its own, for work outside a request
        (outbox handlers, the CLI, demo seeding, tests' set-up).

        With `tenant_id`, on PostgreSQL it runs as the app role and sees and writes that
        tenant's rows only. Without: as the login, across tenants, for set-up work alone."""
        async with self.writer_turn():
            conn = await self.connect()
            try:
                async with self.session_on(conn, tenant_id) as session:
                    yield session
            finally:
                await self.release(conn)

    async def scope(self, conn: AsyncConnection, tenant_id: int | None) -> None:
        """The app role and this tenant (none: no rows at all) for the rest of `conn`'s
        current transaction. PostgreSQL only."""
        await conn.execute(rls.SCOPE, rls.scope_params(tenant_id))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A short Core connection for batched reads (plain rows, no ORM identity map), as
        the login: set-up work only; a request reads through its `RequestConnection`."""
        conn = await self.connect()
        try:
            yield conn
        finally:
            await self.release(conn)

    async def dispose(self) -> None:
        await self.engine.dispose()


class RequestConnection:
    """The one pooled connection of a request (or of one burst of live updates): opened on
    first use, shared in turn by its read batches (a lock keeps them off it at the same
    time) and by its write, given back by `close` (after the operation, before the response
    is sent). A pool checkout costs about a query's worth (PostgreSQL: a reset round trip),
    so a page of ten batches saves ten.

    On PostgreSQL every transaction it begins runs as the app role with the request's tenant
    (`set_tenant`, from the token before the first query); until then, or without one, it
    sees no rows. A block must not commit and then query again (that would autobegin a
    transaction without the scope): the reader refuses it.

    A write (`transaction`) ends the read transaction first, so the reads after it see it.
    On SQLite the connection goes back to the pool while the write waits for its turn."""

    def __init__(self, db: Database, tenant_id: int | None = None):
        self.db = db
        self.tenant_id = tenant_id
        self._conn: AsyncConnection | None = None
        self._scoped = None  # the sync transaction the scope was set in
        self._lock = asyncio.Lock()
        self._writing = False

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
    async def __call__(self, scopes_itself: bool = False) -> AsyncIterator[AsyncConnection]:
        """`scopes_itself`: the block's first statement sets the scope (`core.rls.SCOPE`'s
        settings) along with its own work, as the request's principal read does; the
        block must then run exactly such a statement first."""
        if self._writing:
            raise RuntimeError("Read through the write's session inside a write.")
        async with self._lock:
            conn = await self._connection()
            scoping = self.db.rls
            if scoping and (self._scoped is None or self._current(conn) is not self._scoped):
                if conn.in_transaction():  # one that began unscoped: never use it
                    await conn.rollback()
                self._scoped = (await conn.begin()).sync_transaction
                if not scopes_itself:
                    await self.db.scope(conn, self.tenant_id)
            try:
                yield conn
            except BaseException:
                await self._after_error()
                raise
            current = self._current(conn) if scoping else None
            if current is not None and current is not self._scoped:
                raise RuntimeError("A read block committed, then read again without its tenant.")

    @asynccontextmanager
    async def transaction(self, tenant_id: int) -> AsyncIterator[AsyncSession]:
        """The request's write, on its own connection: whole or not at all."""
        if self.tenant_id is not None and self.tenant_id != tenant_id:
            raise RuntimeError("A request writes one tenant's rows only.")
        async with self._lock:
            self._writing = True
            try:
                if self.db.sqlite:
                    await self._release()  # hold nothing while waiting for the turn
                async with self.db.writer_turn():
                    conn = await self._connection()
                    self._scoped = None
                    try:
                        async with self.db.session_on(conn, tenant_id) as session:
                            yield session
                    except BaseException:
                        await self._after_error()
                        raise
            finally:
                self._writing = False

    async def _connection(self) -> AsyncConnection:
        if self._conn is None:
            self._conn = await self.db.connect()
        return self._conn

    async def _after_error(self) -> None:
        """A failed block leaves nothing behind for the next one: a broken connection goes
        back (the pool replaces it), a transaction PostgreSQL marked failed is ended."""
        conn = self._conn
        if conn is None:
            return
        self._scoped = None
        try:
            if conn.invalidated or conn.closed:
                await self._release()
            elif conn.in_transaction():
                await conn.rollback()
        except Exception:
            await self._release()

    async def _release(self) -> None:
        if self._conn is not None:
            conn, self._conn, self._scoped = self._conn, None, None
            await self.db.release(conn)

    @staticmethod
    def _current(conn: AsyncConnection):
        return conn.sync_connection.get_transaction() if conn.in_transaction() else None

    async def close(self) -> None:
        """After the operation: the connection goes back to the pool."""
        async with self._lock:
            await self._release()
