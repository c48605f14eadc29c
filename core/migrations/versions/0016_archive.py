"""archived customers: `archived_at` / `archived_by`, and counters that leave them out

Archive replaces delete as the everyday way to drop a customer: the row and everything
hanging off it stay, so a restore brings all of it back. An archived customer leaves every
list and every counter of `customer_counts` (0008), so its triggers change: a customer row
counts only while `archived_at IS NULL`, and so do its links. Archiving is to the counters a
delete of the customer and its links, restoring an insert of both; a link written while its
customer is archived counts for nothing until the restore. Only the trigger functions
change (PostgreSQL: replaced in place; SQLite: dropped and created again), no table is
rebuilt, and no counter moves (no customer is archived yet).

`archived_by` is a worker id without a foreign key, like an event's actor: the archive
says who did it even after the worker is gone.

A partial index on the archived rows `(tenant_id, archived_at, id)` serves the archive
list (`archived: ONLY`) and the count of a restricted worker's archived customers; the
main list's ordered indexes serve `archived: EXCLUDE` as before (archived rows are
skipped on the walk, which reads the row anyway). PostgreSQL analyses `customers` at
the end: without statistics for the new column the planner guesses that `archived_at IS
NULL` keeps 0.5 % of the rows and may sort a tenant instead of walking its index.

Revision ID: 0012_archive
Revises: 0012_segments
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from core.models import UTCDateTime

revision = "0012_archive"
down_revision = "0012_segments"
branch_labels = None
depends_on = None


def _counts_0008():
    """The counter migration's SQL builders (`_add`, `_row`, triggers), reused as they are."""
    path = Path(__file__).with_name("0008_customer_counts.py")
    spec = importlib.util.spec_from_file_location("hub_migration_0008", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


c8 = _counts_0008()
LINKS = c8.LINKS
ACTIVE = "archived_at IS NULL"


def _customer_rows(source: str, sign: int) -> list[str]:
    sub = "r.parent_id IS NOT NULL"
    active = f"r.{ACTIVE}"
    return [
        f"SELECT r.tenant_id AS tenant_id, 'all' AS dimension, 0 AS ref, {sub} AS sub, "
        f"{sign} AS n FROM {source} r WHERE {active}",
        f"SELECT r.tenant_id, 'status', r.status_id, {sub}, {sign} FROM {source} r "
        f"WHERE r.status_id IS NOT NULL AND {active}",
        f"SELECT r.tenant_id, 'kind:' || r.kind, 0, {sub}, {sign} FROM {source} r WHERE {active}",
    ]


def _link_rows(source: str, dimension: str, column: str, sign: int) -> list[str]:
    return [
        f"SELECT l.tenant_id AS tenant_id, '{dimension}' AS dimension, l.{column} AS ref, "
        f"c.parent_id IS NOT NULL AS sub, {sign} AS n "
        f"FROM {source} l JOIN customers c ON c.id = l.customer_id AND c.{ACTIVE}"
    ]


def _moved(old: str, new: str, join: str) -> tuple[str, str]:
    """Customers whose links stop counting under their old key (archived, or moved between
    top level and sub-customer) and those whose links start counting under the new one."""
    sub_changed = f"({old}.parent_id IS NULL) <> ({new}.parent_id IS NULL)"
    left = (
        f"(SELECT {old}.id AS id, {old}.parent_id IS NOT NULL AS was_sub {join} "
        f"WHERE {old}.{ACTIVE} "
        f"AND ({new}.archived_at IS NOT NULL OR {sub_changed}))"
    )
    entered = (
        f"(SELECT {new}.id AS id, {new}.parent_id IS NOT NULL AS is_sub {join} "
        f"WHERE {new}.{ACTIVE} "
        f"AND ({old}.archived_at IS NOT NULL OR {sub_changed}))"
    )
    return left, entered


def _relinked(left: str, entered: str) -> list[str]:
    return [*c8._links_of(left, "m.was_sub", -1), *c8._links_of(entered, "m.is_sub", 1)]


# --- PostgreSQL --------------------------------------------------------------------------


def _replace(sql: str) -> str:
    return sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def _postgresql() -> list[str]:
    left, entered = _moved("o", "n", "FROM old_rows o JOIN new_rows n ON n.id = o.id")
    changed = (
        "(SELECT FROM old_rows o JOIN new_rows n ON n.id = o.id "
        "WHERE (o.archived_at IS NULL) <> (n.archived_at IS NULL) "
        "OR (o.parent_id IS NULL) <> (n.parent_id IS NULL))"
    )
    deleting = c8._links_of(
        f"(SELECT OLD.id AS id, OLD.parent_id IS NOT NULL AS was_sub WHERE OLD.{ACTIVE})",
        "m.was_sub",
        -1,
    )
    statements = [
        _replace(
            c8._pg_function(
                "customer_counts_customers",
                _customer_rows("new_rows", 1),
                _customer_rows("old_rows", -1),
                f"IF EXISTS {changed} THEN {c8._add(_relinked(left, entered), False)}; END IF;",
            )
        ),
        f"""CREATE OR REPLACE FUNCTION customer_counts_customer_deleting() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN {c8._add(deleting, False)}; RETURN OLD; END $$""",
    ]
    for table, dimension, column in LINKS:
        statements.append(
            _replace(
                c8._pg_function(
                    f"customer_counts_{table}",
                    _link_rows("new_rows", dimension, column, 1),
                    _link_rows("old_rows", dimension, column, -1),
                )
            )
        )
    return statements


# --- SQLite ------------------------------------------------------------------------------

SQLITE_CUSTOMER_TRIGGERS = ("ai", "au", "bd", "ad")


def _sqlite_drop() -> list[str]:
    drops = [f"DROP TRIGGER IF EXISTS customer_counts_{n}" for n in SQLITE_CUSTOMER_TRIGGERS]
    for table, _, _ in LINKS:
        drops += [f"DROP TRIGGER IF EXISTS {table}_counts_{n}" for n in ("ai", "ad", "au")]
    return drops


def _sqlite() -> list[str]:
    own = ("tenant_id", "status_id", "kind", "parent_id", "archived_at")
    old, new = c8._row("old", own), c8._row("new", own)
    left, entered = _moved("old", "new", "")
    changed = (
        "old.status_id IS NOT new.status_id OR old.kind IS NOT new.kind "
        "OR (old.parent_id IS NULL) <> (new.parent_id IS NULL) "
        "OR (old.archived_at IS NULL) <> (new.archived_at IS NULL)"
    )
    deleting = f"(SELECT old.id AS id, old.parent_id IS NOT NULL AS was_sub WHERE old.{ACTIVE})"
    updated = [*_customer_rows(old, -1), *_customer_rows(new, 1), *_relinked(left, entered)]
    trigger, add = c8._sqlite_trigger, c8._add
    statements = [
        trigger(
            "customer_counts_ai", "AFTER INSERT", "customers", add(_customer_rows(new, 1), True)
        ),
        trigger(
            "customer_counts_au",
            "AFTER UPDATE OF status_id, kind, parent_id, archived_at",
            "customers",
            add(updated, True),
            changed,
        ),
        trigger(
            "customer_counts_bd",
            "BEFORE DELETE",
            "customers",
            add(c8._links_of(deleting, "m.was_sub", -1), True),
        ),
        trigger(
            "customer_counts_ad", "AFTER DELETE", "customers", add(_customer_rows(old, -1), True)
        ),
    ]
    for table, dimension, column in LINKS:
        link = ("tenant_id", "customer_id", column)
        old, new = c8._row("old", link), c8._row("new", link)
        rows_old = _link_rows(old, dimension, column, -1)
        rows_new = _link_rows(new, dimension, column, 1)
        statements += [
            trigger(f"{table}_counts_ai", "AFTER INSERT", table, add(rows_new, True)),
            trigger(f"{table}_counts_ad", "AFTER DELETE", table, add(rows_old, True)),
            trigger(
                f"{table}_counts_au",
                f"AFTER UPDATE OF customer_id, {column}",
                table,
                add([*rows_old, *rows_new], True),
            ),
        ]
    return statements


def _archived_index(create: bool) -> None:
    if create:
        op.create_index(
            "ix_customers_archived",
            "customers",
            ["tenant_id", "archived_at", "id"],
            sqlite_where=sa.text("archived_at IS NOT NULL"),
            postgresql_where=sa.text("archived_at IS NOT NULL"),
        )
    else:
        op.drop_index("ix_customers_archived", "customers")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("customers", sa.Column("archived_at", UTCDateTime()))
    op.add_column("customers", sa.Column("archived_by", sa.Integer()))
    _archived_index(True)
    for statement in [*_sqlite_drop(), *_sqlite()] if sqlite else _postgresql():
        op.execute(statement)
    if not sqlite:  # until the column has statistics, `archived_at IS NULL` is a 0.5 % guess
        op.execute("ANALYZE customers")


def downgrade() -> None:
    """Archived customers count again (the 0008 triggers know no archive): restore them
    first if the counters matter, or rebuild the counters after."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for statement in [*_sqlite_drop(), *c8._sqlite()]:
            op.execute(statement)
    else:
        for statement in c8._postgresql()[1:]:
            if statement.lstrip().startswith("CREATE FUNCTION"):
                op.execute(_replace(statement))
    _archived_index(False)
    with op.batch_alter_table("customers", recreate="never") as batch_op:
        batch_op.drop_column("archived_by")
        batch_op.drop_column("archived_at")
