"""Alembic driven from code, so the CLI, the tests and `make run` migrate the same way: core's
revisions plus one branch per installed module."""

from collections.abc import Iterable
from pathlib import Path

from alembic import command
from alembic.config import Config

from core import rls

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str, locations: Iterable[str] = ()) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    paths = [str(MIGRATIONS / "versions"), *locations]
    cfg.set_main_option("version_locations", " ".join(paths))
    cfg.set_main_option("path_separator", "space")
    return cfg


def upgrade(database_url: str, locations: Iterable[str] = (), revision: str = "heads") -> None:
    """Synchronous: call it before an event loop runs (it starts its own). `locations` are
    the modules' version folders (`Plugins.migration_locations()`). On PostgreSQL, then the
    row-level security of every tenant table, new ones included (`core/rls.py`)."""
    command.upgrade(alembic_config(database_url, locations), revision)
    rls.apply(database_url)
