"""SQLite never hands out a deleted row's id again (AUTOINCREMENT)

Without AUTOINCREMENT SQLite gives a new row the largest id + 1, so deleting the newest
customer and creating another reuses its id: the new customer would inherit the old one's
events (timeline, audit log), and a global ID a client kept would name someone else. The
same goes for the other tables whose ids leave the database: workers (tokens and the actor
of every event), folders, tags and statuses (named in event data), and the events
themselves (outbox message ids).

SQLite cannot add AUTOINCREMENT to a table: each one is rebuilt (Alembic's batch copy: new
table, rows copied with their ids, old table dropped, new one renamed; indexes, constraints
and foreign keys are recreated from the reflected table). Triggers go with a dropped table,
so the ones on each table (the FTS5 search triggers on `customers`) are read first and
created again after. `migrate` runs SQLite migrations with foreign key enforcement off
(`core/migrations/env.py`), or dropping `customers` would cascade into every table that
points at it; all foreign keys are checked before the migration commits.

An id some event still names (a deleted customer, a deleted worker who acted) is never
handed out either: the tables' counters start above those.

PostgreSQL: nothing to do, a sequence never goes back.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("workers", "folders", "tags", "statuses", "customers", "events")
# Ids of a table that events name, so they stay taken: (table, events column).
NAMED_BY_EVENTS = (("customers", "customer_id"), ("workers", "actor_id"))


def _rebuild(table: str, autoincrement: bool) -> None:
    bind = op.get_bind()
    triggers = (
        bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? ORDER BY name",
            (table,),
        )
        .scalars()
        .all()
    )
    with op.batch_alter_table(
        table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
    for statement in triggers:
        op.execute(statement)


def _reserve(table: str, column: str) -> None:
    """Start `table`'s counter above every id the event log names."""
    op.execute(
        f"INSERT INTO sqlite_sequence (name, seq) SELECT '{table}', 0 "
        f"WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '{table}')"
    )
    op.execute(
        f"UPDATE sqlite_sequence SET seq = MAX(seq, "
        f"COALESCE((SELECT MAX({column}) FROM events), 0)) WHERE name = '{table}'"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        _rebuild(table, autoincrement=True)
    for table, column in NAMED_BY_EVENTS:
        _reserve(table, column)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in reversed(TABLES):
        _rebuild(table, autoincrement=False)
