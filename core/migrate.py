"""Alembic driven from code, so the CLI, the tests and `make run` migrate the same way."""

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Synchronous: call it before an event loop runs (it starts its own)."""
    command.upgrade(alembic_config(database_url), revision)
