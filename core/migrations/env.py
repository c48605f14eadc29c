"""Alembic environment: runs the same revisions on SQLite and PostgreSQL, over the async
engine the app uses. Plugins add their own version locations (one branch each).

On SQLite, migrations run with foreign keys unenforced, as SQLite advises for schema changes:
a table rebuild (batch mode) drops the old table, which would otherwise cascade into every
table pointing at it. Every revision checks all foreign keys before it commits instead, and
runs in one real transaction (the driver's own transaction handling would run DDL before the
first row write outside it), so a revision that fails leaves nothing behind."""

import asyncio

from alembic import context
from sqlalchemy import event

from core.database import make_engine
from core.models import Base

config = context.config
target_metadata = Base.metadata


def check_foreign_keys(ctx, step, **_) -> None:
    """After each revision on SQLite, inside its transaction: no row may point nowhere."""
    broken = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(
            f"foreign keys broken after revision {step.up_revision_id}: {broken[:10]}"
        )


def do_run_migrations(connection):
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
        on_version_apply=[check_foreign_keys] if sqlite else [],
    )
    with context.begin_transaction():
        context.run_migrations()


def sqlite_for_migrations(dbapi_connection, _record) -> None:
    """After `make_engine`'s own settings: foreign keys off, BEGIN sent by `begin`."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()
    dbapi_connection.isolation_level = None


def begin(conn) -> None:
    conn.exec_driver_sql("BEGIN")


async def run_async_migrations():
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", sqlite_for_migrations)
        event.listen(engine.sync_engine, "begin", begin)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_async_migrations())
