"""uploaded files (`core/files.py`): which object of the storage belongs to whom

`customer_id` has no foreign key: a deleted customer's rows stay (invisible) until their
objects are removed, so no object is ever left without a row that names it.

Revision ID: 0010_files
Revises: 0009_filters
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_files"
down_revision = "0009_filters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE", name="fk_files_tenant_id_tenants"),
            nullable=False,
        ),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(150), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column(
            "uploaded_by",
            sa.Integer(),
            sa.ForeignKey("workers.id", ondelete="SET NULL", name="fk_files_uploaded_by_workers"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_files"),
        sa.UniqueConstraint("key", name="uq_files_key"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_files_tenant_id_customer_id_id", "files", ["tenant_id", "customer_id", "id"]
    )
    op.create_index("ix_files_state_created_at", "files", ["state", "created_at"])


def downgrade() -> None:
    op.drop_table("files")
