"""The suite runs once per database: SQLite always, PostgreSQL when `TEST_DATABASE_URL` is
set (with `REQUIRE_SERVICES=1`, a missing one fails instead of skipping). Each test gets a
fresh tenant, so tests never see each other's rows and the database is migrated once."""

import asyncio
import itertools
import os
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.testclient import TestClient

from core import events, migrate
from core.config import Settings
from core.demo import seed_demo
from core.tenants import create_tenant
from schema.registry import make_plugins
from server import create_app
from tests.support import SECRET, Api
from tests.teardown_watch import TeardownWatch

REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"
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
def own_postgres_database(
    url: str, suffix: str | None = None, template: str | None = None
) -> Iterator[str]:
    """A database of its own next to `url`'s (by default this run's, so parallel runs never
    meet), empty or a copy of `template` (a database name), dropped afterwards."""
    base = make_url(url)
    name = f"{base.database}_{suffix or f'run_{os.getpid()}'}"
    _run_database(url, f'DROP DATABASE IF EXISTS "{name}"')
    copy = f' TEMPLATE "{template}"' if template else ""
    _run_database(url, f'CREATE DATABASE "{name}"{copy}')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        _run_database(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SEEDED = "seeded_demo"  # a file marked so gets databases with the demo tenant already seeded


@dataclass
class Templates:
    """Each database migrated once per worker, as a template that each file's database is a
    copy of. pytest finalizes a parametrized session fixture whenever the next test wants
    the other parameter, and `--dist loadfile` runs a file's SQLite tests and then its
    PostgreSQL ones: each file gets fresh databases. Migrating them cost 0.6 s (SQLite) and
    3-7 s (PostgreSQL: create, migrate, drop) a file; a copy costs 0.01 s and 0.1 s. (One
    database shared across files instead made tests/test_outage.py and
    tests/test_processes.py lose events: each file keeps a fresh one.)

    Files marked `seeded_demo` copy a second template, migrated and with the demo seeded
    through an app as their own `seed_demo` would (which then finds it): seeding took 4-6 s
    a database, and eight files seed it."""

    stack: ExitStack
    sqlite: str | None = None  # the template's path
    postgresql: str | None = None  # the template's database name
    seeded_sqlite: str | None = None
    seeded_postgresql: str | None = None

    def sqlite_copy(self, tmp_path_factory, seeded: bool = False) -> str:
        if self.sqlite is None:
            path = tmp_path_factory.mktemp("template") / "template.db"
            migrate.upgrade(f"sqlite+aiosqlite:///{path}", make_plugins().migration_locations())
            self.sqlite = str(path)
        if seeded and self.seeded_sqlite is None:
            path = tmp_path_factory.mktemp("seeded") / "seeded.db"
            _copy_sqlite(self.sqlite, path)
            _seed_demo(f"sqlite+aiosqlite:///{path}", tmp_path_factory)
            self.seeded_sqlite = str(path)
        copy = tmp_path_factory.mktemp("db") / "test.db"
        _copy_sqlite(self.seeded_sqlite if seeded else self.sqlite, copy)
        return f"sqlite+aiosqlite:///{copy}"

    def postgresql_copy(self, url: str, tmp_path_factory, seeded: bool = False):
        if self.postgresql is None:
            template = own_postgres_database(url, f"template_{os.getpid()}")
            own_url = self.stack.enter_context(template)
            migrate.upgrade(own_url, make_plugins().migration_locations())
            self.postgresql = make_url(own_url).database
        if seeded and self.seeded_postgresql is None:
            made = own_postgres_database(url, f"seeded_{os.getpid()}", template=self.postgresql)
            own_url = self.stack.enter_context(made)
            _seed_demo(own_url, tmp_path_factory)
            self.seeded_postgresql = make_url(own_url).database
        return own_postgres_database(
            url,
            f"run_{os.getpid()}_{next(_copies)}",
            template=self.seeded_postgresql if seeded else self.postgresql,
        )


def _copy_sqlite(source: str, target) -> None:
    source_db, target_db = sqlite3.connect(source), sqlite3.connect(target)
    try:
        source_db.backup(target_db)
    finally:
        source_db.close()
        target_db.close()


def _seed_demo(url: str, tmp_path_factory) -> None:
    with TestClient(create_app(_settings(url, tmp_path_factory))) as client:
        run(client, lambda: seed_demo(client.app.state.db, client.app.state.plugins))


_copies = itertools.count(1)


@pytest.fixture(scope="session")
def templates() -> Iterator[Templates]:
    with ExitStack() as stack:
        yield Templates(stack)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, templates, tmp_path_factory) -> Iterator[str]:
    seeded = request._pyfuncitem.get_closest_marker(SEEDED) is not None
    if request.param == "sqlite":
        yield templates.sqlite_copy(tmp_path_factory, seeded)
        return
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if REQUIRED:
            pytest.fail("TEST_DATABASE_URL is not set but REQUIRE_SERVICES=1")
        pytest.skip("TEST_DATABASE_URL not set")
    try:
        database = templates.postgresql_copy(url, tmp_path_factory, seeded)
        own_url = database.__enter__()
    except OSError as exc:
        if REQUIRED:
            pytest.fail(f"PostgreSQL at {url} is not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        yield own_url
    finally:
        database.__exit__(None, None, None)


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory) -> Settings:
    return _settings(database_url, tmp_path_factory)


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
def client(settings):
    dialect = make_url(settings.database_url).get_backend_name()
    with TestClient(create_app(settings)) as client:
        loop = client.portal.call(asyncio.get_running_loop)
        yield client
        watch = TeardownWatch(loop, f"client-{dialect}")  # over the shutdown below
    watch.stop()


@pytest.fixture(scope="session")
def engine(client):
    return client.app.state.db.engine


def run(client: TestClient, work, *args):
    """Run a coroutine function on the app's own event loop (where its engine lives)."""
    return client.portal.call(work, *args)


def redeliver(client: TestClient, event, modules: frozenset, times: int = 3) -> None:
    """Hand an event (a `core.events.Event` with its id) to the modules' handlers again,
    `times` deliveries at once, each handler in a transaction of its own as the relay does:
    at-least-once delivery, for a handler's idempotency test."""

    async def one():
        app = client.app.state
        for impl in app.plugins.caller("hub_handle_event", modules).get_hookimpls():
            async with app.db.transaction(event.tenant_id) as session:
                events.bind(session, app.plugins, modules)
                result = impl.function(session=session, event=event)
                if asyncio.iscoroutine(result):
                    await result

    async def at_once():
        await asyncio.gather(*(one() for _ in range(times)))

    run(client, at_once)


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
