"""indexes for the customer filter language: name, company, city and lead source compare
(equality, `IN`, prefixes) and sort through the expressions these index

Text filters are case-insensitive: `lower(city)` and the like. On PostgreSQL the
expressions are in byte order (`COLLATE "C"`), so a prefix is one index range whatever the
database's collation; the name's lower-cased `sort_name` gets the same (its list order keeps
its own index). SQLite's default collation is byte order already. The id ends each index,
so a sort on the column pages by a row comparison.

Revision ID: 0009_filters
Revises: 0009_jobs
"""

from alembic import op

revision = "0009_filters"
down_revision = "0009_jobs"
branch_labels = None
depends_on = None

COLUMNS = ("company", "city", "lead_source")


def _expression(column: str, postgresql: bool) -> str:
    lowered = column if column == "sort_name" else f"lower({column})"
    return f'({lowered} COLLATE "C")' if postgresql else lowered


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    columns = (*COLUMNS, "sort_name") if postgresql else COLUMNS
    for column in columns:
        op.execute(
            f"CREATE INDEX ix_customers_filter_{column} ON customers "
            f"(tenant_id, {_expression(column, postgresql)}, id)"
        )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for column in (*COLUMNS, "sort_name") if postgresql else COLUMNS:
        op.execute(f"DROP INDEX ix_customers_filter_{column}")
