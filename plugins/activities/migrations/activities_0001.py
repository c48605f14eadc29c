"""activities: a customer's typed activity log

Revision ID: activities_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "activities_0001"
down_revision = None
branch_labels = ("activities",)
depends_on = "0008"


def _worker_fk(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["workers.id"], name=op.f(f"fk_activities_{column}_workers"), ondelete="SET NULL"
    )


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_activities_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_activities_customer_id_customers"),
            ondelete="CASCADE",
        ),
        _worker_fk("worker_id"),
        _worker_fk("created_by_id"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_activities_tenant_id_customer_id_occurred_at_id"),
        "activities",
        ["tenant_id", "customer_id", "occurred_at", "id"],
    )
    op.create_index(
        op.f("ix_activities_tenant_id_customer_id_kind_occurred_at"),
        "activities",
        ["tenant_id", "customer_id", "kind", "occurred_at"],
    )
    op.create_index(op.f("ix_activities_worker_id"), "activities", ["worker_id"])
    op.create_index(op.f("ix_activities_created_by_id"), "activities", ["created_by_id"])


def downgrade() -> None:
    op.drop_table("activities")
