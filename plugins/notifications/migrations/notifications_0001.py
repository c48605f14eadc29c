"""worker notifications and muted kinds

Revision ID: notifications_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "notifications_0001"
down_revision = None
branch_labels = ("notifications",)
depends_on = "0008"


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("source_event_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        _fk("notifications", "tenant_id", "tenants"),
        _fk("notifications", "worker_id", "workers"),
        _fk("notifications", "customer_id", "customers"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_notifications_tenant_id_source_event_id_worker_id"),
        "notifications",
        ["tenant_id", "source_event_id", "worker_id"],
        unique=True,
    )
    op.create_index(
        op.f("ix_notifications_tenant_id_worker_id_id"),
        "notifications",
        ["tenant_id", "worker_id", "id"],
    )
    op.create_index(
        op.f("ix_notifications_tenant_id_worker_id_read_at"),
        "notifications",
        ["tenant_id", "worker_id", "read_at"],
    )
    op.create_index(op.f("ix_notifications_customer_id"), "notifications", ["customer_id"])
    op.create_table(
        "notification_preferences",
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", "kind", name=op.f("pk_notification_preferences")),
        _fk("notification_preferences", "worker_id", "workers"),
        _fk("notification_preferences", "tenant_id", "tenants"),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
    op.drop_table("notifications")
