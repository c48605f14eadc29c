"""bulk actions and their undo records (core/bulk.py)

`bulk_actions` is one row per bulk mutation (inline or a job): what it did, who, until when
it can be undone, its state. `bulk_changes` holds each customer's "before" of what the action
really changed, written in the chunk that changed it, so an undo restores exactly that.

Revision ID: 0012_bulk
Revises: 0011_standard_fields
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012_bulk"
down_revision = "0011_standard_fields"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bulk_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            sa.ForeignKey(
                "tenants.id", ondelete="CASCADE", name="fk_bulk_actions_tenant_id_tenants"
            ),
            nullable=False,
        ),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("args", JSON, nullable=False),
        sa.Column(
            "created_by",
            sa.Integer(),
            sa.ForeignKey(
                "workers.id", ondelete="SET NULL", name="fk_bulk_actions_created_by_workers"
            ),
            nullable=True,
        ),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("undo_until", TIME, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column(
            "job_id",
            sa.Integer(),
            sa.ForeignKey("jobs.id", ondelete="SET NULL", name="fk_bulk_actions_job_id_jobs"),
            nullable=True,
        ),
        sa.Column(
            "undo_job_id",
            sa.Integer(),
            sa.ForeignKey("jobs.id", ondelete="SET NULL", name="fk_bulk_actions_undo_job_id_jobs"),
            nullable=True,
        ),
        sa.Column("count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("undone", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("skipped", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_bulk_actions"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_bulk_actions_tenant_id_id", "bulk_actions", ["tenant_id", "id"])
    op.create_table(
        "bulk_changes",
        sa.Column(
            "bulk_action_id",
            sa.Integer(),
            sa.ForeignKey(
                "bulk_actions.id",
                ondelete="CASCADE",
                name="fk_bulk_changes_bulk_action_id_bulk_actions",
            ),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.Integer(),
            sa.ForeignKey(
                "customers.id", ondelete="CASCADE", name="fk_bulk_changes_customer_id_customers"
            ),
            nullable=False,
        ),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            sa.ForeignKey(
                "tenants.id", ondelete="CASCADE", name="fk_bulk_changes_tenant_id_tenants"
            ),
            nullable=False,
        ),
        sa.Column("before", JSON, nullable=False),
        sa.PrimaryKeyConstraint("bulk_action_id", "customer_id", name="pk_bulk_changes"),
    )
    op.create_index("ix_bulk_changes_customer_id", "bulk_changes", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_bulk_changes_customer_id", "bulk_changes")
    op.drop_table("bulk_changes")
    op.drop_index("ix_bulk_actions_tenant_id_id", "bulk_actions")
    op.drop_table("bulk_actions")
