"""recordings

Revision ID: recordings_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "recordings_0001"
down_revision = None
branch_labels = ("recordings",)
depends_on = "0012_imports"


def _fk(column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_recordings_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("other_party", sa.String(length=20), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activity_id", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=150), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
        _fk("tenant_id", "tenants", "CASCADE"),
        _fk("customer_id", "customers", "CASCADE"),
        _fk("worker_id", "workers", "SET NULL"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_recordings_tenant_id_customer_id_recorded_at"),
        "recordings",
        ["tenant_id", "customer_id", "recorded_at"],
    )
    op.create_index(
        op.f("ix_recordings_tenant_id_idempotency_key"),
        "recordings",
        ["tenant_id", "idempotency_key"],
        unique=True,
    )
    op.create_index(op.f("ix_recordings_worker_id"), "recordings", ["worker_id"])


def downgrade() -> None:
    op.drop_table("recordings")
