"""exact customer counters, kept by triggers in the transaction of every write

`totalCount` of an unfiltered list, or of one folder, tag, status, worker or kind, counted
1,000,000 customers (50-250 ms of database CPU) on every request. `customer_counts` holds
the tenant's customers per dimension (`all`, `status`, `folder`, `tag`, `worker`,
`kind:<KIND>`), id (`ref`, 0 for none) and whether they are sub-customers (`sub`, since a
worker may hide those). Triggers rather than the app keep them: every path that changes a
customer or its links (the app's writes, merges, foreign-key cascades from deleting a folder,
tag, worker, status or parent, a module's or the bench's SQL) is covered without being
listed.

PostgreSQL: a trigger only inserts delta rows, one per key a statement changed, and never
updates one, so concurrent writers of a tenant never wait for each other on a counter row;
a read sums the few rows of its key. About one statement in `FOLD_EVERY` folds the
tenant's rows into one per key, taking only rows no one else has locked (`SKIP LOCKED`), so
folding never waits either. Statement-level triggers see a statement's rows at once (a bulk
insert writes one delta per key, not per row).

SQLite: one writer at a time anyway, so one row per key, updated in place (row triggers).

A link's counter depends on its customer being a sub-customer, read from `customers`: when
a customer is deleted its links are subtracted before the foreign-key cascade removes them
(a link whose customer is gone counts for nothing). Exact as long as a customer's row is
locked while its parent or links change, as every write of the app does (`FOR UPDATE`).
No foreign key to `tenants`: its check would refuse the deltas written while a tenant and
its customers are deleted. A table rebuild (batch mode) on SQLite drops these triggers:
re-create them as 0006 does.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FOLD_EVERY = 32
LINKS = (
    ("customer_folders", "folder", "folder_id"),
    ("customer_tags", "tag", "tag_id"),
    ("customer_workers", "worker", "worker_id"),
)
KEY = "tenant_id, dimension, ref, sub"


def _customer_rows(source: str, sign: int) -> list[str]:
    sub = "r.parent_id IS NOT NULL"
    return [
        f"SELECT r.tenant_id AS tenant_id, 'all' AS dimension, 0 AS ref, {sub} AS sub, "
        f"{sign} AS n FROM {source} r",
        f"SELECT r.tenant_id, 'status', r.status_id, {sub}, {sign} FROM {source} r "
        "WHERE r.status_id IS NOT NULL",
        f"SELECT r.tenant_id, 'kind:' || r.kind, 0, {sub}, {sign} FROM {source} r",
    ]


def _link_rows(source: str, dimension: str, column: str, sign: int) -> list[str]:
    return [
        f"SELECT l.tenant_id AS tenant_id, '{dimension}' AS dimension, l.{column} AS ref, "
        f"c.parent_id IS NOT NULL AS sub, {sign} AS n "
        f"FROM {source} l JOIN customers c ON c.id = l.customer_id"
    ]


def _links_of(owners: str, sub: str, sign: int) -> list[str]:
    """The links of the customers in `owners` (columns id, was_sub), counted as `sub`."""
    return [
        f"SELECT l.tenant_id AS tenant_id, '{dimension}' AS dimension, l.{column} AS ref, "
        f"{sub} AS sub, {sign} AS n FROM {table} l JOIN {owners} m ON l.customer_id = m.id"
        for table, dimension, column in LINKS
    ]


def _add(parts: list[str], upsert: bool) -> str:
    sql = (
        f"INSERT INTO customer_counts ({KEY}, n) SELECT {KEY}, sum(n) "
        f"FROM ({' UNION ALL '.join(parts)}) d GROUP BY {KEY} HAVING sum(n) <> 0"
    )
    if upsert:
        sql += f" ON CONFLICT ({KEY}) DO UPDATE SET n = customer_counts.n + excluded.n"
    return sql


# --- PostgreSQL --------------------------------------------------------------------------

MOVED = (
    "(SELECT n.id, o.parent_id IS NOT NULL AS was_sub FROM old_rows o "
    "JOIN new_rows n ON n.id = o.id WHERE (o.parent_id IS NULL) <> (n.parent_id IS NULL))"
)
FOLD = f"""
CREATE FUNCTION customer_counts_fold(tenant integer) RETURNS void LANGUAGE sql AS $$
    WITH keys AS (
        SELECT dimension, ref, sub FROM customer_counts WHERE tenant_id = tenant
        GROUP BY dimension, ref, sub HAVING count(*) > 1 OR sum(n) = 0
    ), gone AS (
        DELETE FROM customer_counts WHERE id IN (
            SELECT c.id FROM customer_counts c JOIN keys k USING (dimension, ref, sub)
            WHERE c.tenant_id = tenant FOR UPDATE OF c SKIP LOCKED
        ) RETURNING {KEY}, n
    )
    INSERT INTO customer_counts ({KEY}, n) SELECT {KEY}, sum(n) FROM gone
    GROUP BY {KEY} HAVING sum(n) <> 0
$$"""
MAYBE_FOLD = (
    f"IF random() < {1 / FOLD_EVERY} THEN PERFORM customer_counts_fold("
    "NULLIF(current_setting('app.tenant_id', true), '')::int); END IF;"
)


def _pg_function(name: str, inserted: list[str], deleted: list[str], extra: str = "") -> str:
    updated = _add([*deleted, *inserted], False)
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN {_add(inserted, False)};
    ELSIF TG_OP = 'DELETE' THEN {_add(deleted, False)};
    ELSE {updated}; {extra}
    END IF;
    {MAYBE_FOLD}
    RETURN NULL;
END $$"""


def _pg_triggers(table: str, function: str) -> list[str]:
    made = []
    for event, tables in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        made.append(
            f"CREATE TRIGGER customer_counts_{event.lower()} AFTER {event} ON {table} "
            f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    return made


def _postgresql() -> list[str]:
    moved = _add([*_links_of(MOVED, "m.was_sub", -1), *_links_of(MOVED, "NOT m.was_sub", 1)], False)
    deleting = _links_of(
        "(SELECT OLD.id AS id, OLD.parent_id IS NOT NULL AS was_sub)", "m.was_sub", -1
    )
    statements = [
        FOLD,
        _pg_function(
            "customer_counts_customers",
            _customer_rows("new_rows", 1),
            _customer_rows("old_rows", -1),
            f"IF EXISTS (SELECT FROM {MOVED} m) THEN {moved}; END IF;",
        ),
        *_pg_triggers("customers", "customer_counts_customers"),
        f"""CREATE FUNCTION customer_counts_customer_deleting() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN {_add(deleting, False)}; RETURN OLD; END $$""",
        "CREATE TRIGGER customer_counts_deleting BEFORE DELETE ON customers FOR EACH ROW "
        "EXECUTE FUNCTION customer_counts_customer_deleting()",
    ]
    for table, dimension, column in LINKS:
        function = f"customer_counts_{table}"
        statements.append(
            _pg_function(
                function,
                _link_rows("new_rows", dimension, column, 1),
                _link_rows("old_rows", dimension, column, -1),
            )
        )
        statements += _pg_triggers(table, function)
    return statements


# --- SQLite ------------------------------------------------------------------------------


def _row(alias: str, columns: tuple[str, ...]) -> str:
    return "(SELECT " + ", ".join(f"{alias}.{c} AS {c}" for c in columns) + ")"


def _sqlite_trigger(name: str, when: str, table: str, sql: str, condition: str = "") -> str:
    condition = f" WHEN {condition}" if condition else ""
    return f"CREATE TRIGGER {name} {when} ON {table}{condition} BEGIN {sql}; END"


def _sqlite() -> list[str]:
    own = ("tenant_id", "status_id", "kind", "parent_id")
    old, new = _row("old", own), _row("new", own)
    moved = (
        "(SELECT new.id AS id, old.parent_id IS NOT NULL AS was_sub "
        "WHERE (old.parent_id IS NULL) <> (new.parent_id IS NULL))"
    )
    deleting = "(SELECT old.id AS id, old.parent_id IS NOT NULL AS was_sub)"
    changed = (
        "old.status_id IS NOT new.status_id OR old.kind IS NOT new.kind "
        "OR (old.parent_id IS NULL) <> (new.parent_id IS NULL)"
    )
    updated = [
        *_customer_rows(old, -1),
        *_customer_rows(new, 1),
        *_links_of(moved, "m.was_sub", -1),
        *_links_of(moved, "NOT m.was_sub", 1),
    ]
    statements = [
        _sqlite_trigger(
            "customer_counts_ai", "AFTER INSERT", "customers", _add(_customer_rows(new, 1), True)
        ),
        _sqlite_trigger(
            "customer_counts_au",
            "AFTER UPDATE OF status_id, kind, parent_id",
            "customers",
            _add(updated, True),
            changed,
        ),
        _sqlite_trigger(
            "customer_counts_bd",
            "BEFORE DELETE",
            "customers",
            _add(_links_of(deleting, "m.was_sub", -1), True),
        ),
        _sqlite_trigger(
            "customer_counts_ad", "AFTER DELETE", "customers", _add(_customer_rows(old, -1), True)
        ),
    ]
    for table, dimension, column in LINKS:
        link = ("tenant_id", "customer_id", column)
        old, new = _row("old", link), _row("new", link)
        prefix = f"{table}_counts"
        statements += [
            _sqlite_trigger(
                f"{prefix}_ai",
                "AFTER INSERT",
                table,
                _add(_link_rows(new, dimension, column, 1), True),
            ),
            _sqlite_trigger(
                f"{prefix}_ad",
                "AFTER DELETE",
                table,
                _add(_link_rows(old, dimension, column, -1), True),
            ),
            _sqlite_trigger(
                f"{prefix}_au",
                f"AFTER UPDATE OF customer_id, {column}",
                table,
                _add(
                    [
                        *_link_rows(old, dimension, column, -1),
                        *_link_rows(new, dimension, column, 1),
                    ],
                    True,
                ),
            ),
        ]
    return statements


def _backfill() -> str:
    parts = _customer_rows("customers", 1)
    for table, dimension, column in LINKS:
        parts += _link_rows(table, dimension, column, 1)
    return _add(parts, False)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "customer_counts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=40), nullable=False),
        sa.Column("ref", sa.Integer(), nullable=False),
        sa.Column("sub", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_counts")),
    )
    op.create_index(
        "ix_customer_counts_key",
        "customer_counts",
        ["tenant_id", "dimension", "ref", "sub"],
        unique=sqlite,
    )
    # Triggers first: they lock the tables, so no write falls between them and the backfill.
    for statement in _sqlite() if sqlite else _postgresql():
        op.execute(statement)
    op.execute(_backfill())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("ai", "au", "bd", "ad"):
            op.execute(f"DROP TRIGGER IF EXISTS customer_counts_{name}")
        for table, _, _ in LINKS:
            for name in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_counts_{name}")
    else:
        for table in ("customers", *(t for t, _, _ in LINKS)):
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS customer_counts_{event} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS customer_counts_{table}()")
        op.execute("DROP TRIGGER IF EXISTS customer_counts_deleting ON customers")
        op.execute("DROP FUNCTION IF EXISTS customer_counts_customer_deleting()")
        op.execute("DROP FUNCTION IF EXISTS customer_counts_fold(integer)")
    op.drop_index("ix_customer_counts_key", "customer_counts")
    op.drop_table("customer_counts")
