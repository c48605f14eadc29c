"""loyalty: customers' birthdays by (tenant, month, day), for the daily birthday bonus

Revision ID: loyalty_0002

The index is on core's `customers` table, made by this module because only its daily job
asks for customers by the month and day of their birth (`plugins/loyalty/jobs.py`
`born_on`). Its expressions are SQLAlchemy's `extract`, compiled here for the database at
hand exactly as the query compiles them (PostgreSQL `EXTRACT(month FROM date_of_birth)`,
immutable on a date; SQLite `CAST(STRFTIME('%m', date_of_birth) AS INTEGER)`), so each
database matches the query to it. Partial on a known date of birth: most customers have
none and cost nothing.
"""

import sqlalchemy as sa
from alembic import op

revision = "loyalty_0002"
down_revision = "loyalty_0001"
branch_labels = None
depends_on = "0011_standard_fields"  # customers.date_of_birth

NAME = "ix_loyalty_birthdays"


def upgrade() -> None:
    customers = sa.Table(
        "customers",
        sa.MetaData(),
        sa.Column("id", sa.Integer),
        sa.Column("tenant_id", sa.Integer),
        sa.Column("date_of_birth", sa.Date),
    )
    born = customers.c.date_of_birth
    sa.Index(
        NAME,
        customers.c.tenant_id,
        sa.extract("month", born),
        sa.extract("day", born),
        customers.c.id,
        postgresql_where=born.is_not(None),
        sqlite_where=born.is_not(None),
    ).create(op.get_bind())


def downgrade() -> None:
    op.drop_index(NAME, table_name="customers")
