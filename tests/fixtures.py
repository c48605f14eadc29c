"""The suite runs once per database: SQLite always, PostgreSQL when `TEST_DATABASE_URL` is
set (with `REQUIRE_SERVICES=1`, a missing one fails instead of skipping). Each test gets a
fresh tenant, so tests never see each other's rows and the database is migrated once."""

import asyncio
import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TypeVar

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.testclient import TestClient

from core import migrate
from core.config import Settings
from core.tenants import create_tenant
from schema.registry import make_plugins
from server import create_app
from tests.support import SECRET, Api

REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"
T = TypeVar("T")
_tenant_numbers = itertools.count(1)


def _run_database(url: str, statement: str) -> None:
    async def work():
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(work())


@contextmanager
def own_postgres_database(url: str, suffix: str | None = None) -> Iterator[str]:
    """An empty database of its own next to `url`'s (by default this run's, so parallel runs
    never meet), dropped afterwards."""
    base = make_url(url)
    name = f"{base.database}_{suffix or f'run_{os.getpid()}'}"
    _run_database(url, f'DROP DATABASE IF EXISTS "{name}"')
    _run_database(url, f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        _run_database(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Kept:
    """What a worker makes once per database and keeps to the end of its session: the
    migrated database, its settings and its app. pytest finalizes a parametrized session
    fixture whenever the next test wants the other parameter, and `--dist loadfile` runs a
    file's SQLite tests and then its PostgreSQL ones, so without this every file created,
    migrated and dropped both databases again and started two apps (2-8 s of set-up for
    each file's first test on each database). Kept, the databases are shared across files
    as in a serial run (`-n 0`), which groups each database's tests together: every test
    has its own tenant."""

    def __init__(self, stack: ExitStack):
        self.stack = stack
        self.made: dict = {}

    def get(self, key, make: Callable[[], T]) -> T:
        if key not in self.made:
            self.made[key] = make()
        return self.made[key]


@pytest.fixture(scope="session")
def kept_databases() -> Iterator[Kept]:
    with ExitStack() as stack:
        yield Kept(stack)


def _sqlite(tmp_path_factory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrate.upgrade(url, make_plugins().migration_locations())
    return url


def _postgresql(url: str, stack: ExitStack) -> str:
    own_url = stack.enter_context(own_postgres_database(url))
    migrate.upgrade(own_url, make_plugins().migration_locations())
    return own_url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, kept_databases, tmp_path_factory) -> str:
    if request.param == "sqlite":
        return kept_databases.get("sqlite", lambda: _sqlite(tmp_path_factory))
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if REQUIRED:
            pytest.fail("TEST_DATABASE_URL is not set but REQUIRE_SERVICES=1")
        pytest.skip("TEST_DATABASE_URL not set")
    try:
        return kept_databases.get("postgresql", lambda: _postgresql(url, kept_databases.stack))
    except OSError as exc:
        if REQUIRED:
            pytest.fail(f"PostgreSQL at {url} is not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")


def _settings(database_url: str, tmp_path_factory) -> Settings:
    # No periodic outbox sweep nor job polling: their statements would land in
    # statement-count windows.
    return Settings(
        database_url=database_url,
        storage_dir=tmp_path_factory.mktemp("uploads"),
        secret_key=SECRET,
        redis_url=None,
        outbox_sweep_seconds=0,
        files_sweep_seconds=0,
        job_poll_seconds=0,
        _env_file=None,
    )


@pytest.fixture(scope="session")
def settings(database_url, kept_databases, tmp_path_factory) -> Settings:
    return kept_databases.get(
        ("settings", database_url), lambda: _settings(database_url, tmp_path_factory)
    )


@pytest.fixture(scope="session")
def client(settings, kept_databases) -> TestClient:
    return kept_databases.get(
        ("client", settings.database_url),
        lambda: kept_databases.stack.enter_context(TestClient(create_app(settings))),
    )


@pytest.fixture(scope="session")
def engine(client):
    return client.app.state.db.engine


def run(client: TestClient, work, *args):
    """Run a coroutine function on the app's own event loop (where its engine lives)."""
    return client.portal.call(work, *args)


def new_tenant(client: TestClient, name: str | None = None) -> Api:
    number = next(_tenant_numbers)

    async def work():
        async with client.app.state.db.transaction() as session:
            tenant, owner = await create_tenant(
                session, name or f"Tenant {number}", "Olivia Owner", f"owner{number}@example.com"
            )
            return tenant.id, owner.id

    tenant_id, owner_id = run(client, work)
    return Api(client, tenant_id, owner_id)


@pytest.fixture
def api(client) -> Api:
    """The owner of a brand-new tenant."""
    return new_tenant(client)


@pytest.fixture
def other_api(client) -> Api:
    """The owner of another brand-new tenant, for isolation checks."""
    return new_tenant(client, "Other Business")
