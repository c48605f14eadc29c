"""CSV imports of customers (`core/csv_import.py`), and `customers.external_id`

`external_id` is the customer's id in another system: unique per tenant where set (a plain
unique index, NULLs never collide), added as a column, never a table rebuild (a SQLite
rebuild would drop the counter triggers of 0008). `customer_imports` is one upload and
its run; `customer_import_rows` one outcome per data line, written in the chunk that did
the line, so a resumed run starts after the last line written; `customer_import_mappings`
are the tenant's saved column mappings.

Revision ID: 0012_imports
Revises: 0012_archive
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from core.models import UTCDateTime

revision = "0012_imports"
down_revision = "0012_archive"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _tenant(table: str) -> list:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE", name=f"fk_{table}_tenant_id_tenants"),
            nullable=False,
        ),
    ]


def upgrade() -> None:
    op.add_column("customers", sa.Column("external_id", sa.String(100)))
    op.create_index(
        "uq_customers_tenant_id_external_id", "customers", ["tenant_id", "external_id"], unique=True
    )
    op.create_table(
        "customer_imports",
        *_tenant("customer_imports"),
        sa.Column(
            "created_by",
            sa.Integer(),
            sa.ForeignKey(
                "workers.id", ondelete="SET NULL", name="fk_customer_imports_created_by_workers"
            ),
        ),
        sa.Column("file_key", sa.String(200), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("encoding", sa.String(20), nullable=False),
        sa.Column("delimiter", sa.String(1), nullable=False),
        sa.Column("headers", JSON, nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("mapping", JSON, nullable=False),
        sa.Column("duplicate_mode", sa.String(10), nullable=False),
        sa.Column("match_by", sa.String(12), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("job_id", sa.Integer()),
        sa.Column("revert_job_id", sa.Integer()),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_customer_imports_tenant_id_id", "customer_imports", ["tenant_id", "id"])
    op.create_table(
        "customer_import_rows",
        *_tenant("customer_import_rows"),
        sa.Column(
            "import_id",
            sa.Integer(),
            sa.ForeignKey(
                "customer_imports.id",
                ondelete="CASCADE",
                name="fk_customer_import_rows_import_id_customer_imports",
            ),
            nullable=False,
        ),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("customer_id", sa.Integer()),
        sa.Column("reason_code", sa.String(64)),
        sa.Column("reason", sa.String(1000)),
        sa.Column("before", JSON),
        sa.UniqueConstraint("import_id", "line", name="uq_customer_import_rows_import_id_line"),
    )
    op.create_index(
        "ix_customer_import_rows_import_id_outcome_line",
        "customer_import_rows",
        ["import_id", "outcome", "line"],
    )
    op.create_table(
        "customer_import_mappings",
        *_tenant("customer_import_mappings"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("columns", JSON, nullable=False),
        sa.Column("duplicate_mode", sa.String(10), nullable=False),
        sa.Column("match_by", sa.String(12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("tenant_id", "name", name="uq_customer_import_mappings_tenant_id_name"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("customer_import_mappings")
    op.drop_table("customer_import_rows")
    op.drop_table("customer_imports")
    op.drop_index("uq_customers_tenant_id_external_id", "customers")
    with op.batch_alter_table("customers", recreate="never") as batch_op:
        batch_op.drop_column("external_id")
