"""subscriptions: plans, customers' subscriptions, billed periods

Revision ID: subscriptions_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "subscriptions_0001"
down_revision = None
branch_labels = ("subscriptions",)
depends_on = "0009_jobs"  # core revision with the jobs table the schedule uses


def _tenant(table: str) -> sa.Column:
    return sa.Column(
        "tenant_id",
        sa.Integer(),
        sa.ForeignKey("tenants.id", ondelete="CASCADE", name=f"fk_{table}_tenant_id_tenants"),
        nullable=False,
    )


def _ref(table: str, column: str, target: str, ondelete: str, nullable: bool = False):
    return sa.Column(
        column,
        sa.Integer(),
        sa.ForeignKey(f"{target}.id", ondelete=ondelete, name=f"fk_{table}_{column}_{target}"),
        nullable=nullable,
    )


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "subscription_plans",
        sa.Column("id", sa.Integer()),
        _tenant("subscription_plans"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("interval_count", sa.Integer(), nullable=False),
        sa.Column("trial_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_subscription_plans"),
    )
    op.create_index(
        "ix_subscription_plans_tenant_id_active_id",
        "subscription_plans",
        ["tenant_id", "active", "id"],
    )

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer()),
        _tenant("subscriptions"),
        _ref("subscriptions", "customer_id", "customers", "CASCADE"),
        _ref("subscriptions", "plan_id", "subscription_plans", "CASCADE"),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("trial_end", sa.Date(), nullable=True),
        sa.Column("anchor_date", sa.Date(), nullable=False),
        sa.Column("periods_billed", sa.Integer(), nullable=False),
        sa.Column("current_period_start", sa.Date(), nullable=False),
        sa.Column("current_period_end", sa.Date(), nullable=False),
        sa.Column("next_billing_date", sa.Date(), nullable=True),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        _ref("subscriptions", "created_by_id", "workers", "SET NULL", True),
        _at("created_at"),
        _at("updated_at"),
        _at("paused_at", True),
        _at("cancelled_at", True),
        _at("ended_at", True),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
    )
    op.create_index(
        "ix_subscriptions_tenant_id_customer_id_id",
        "subscriptions",
        ["tenant_id", "customer_id", "id"],
    )
    op.create_index(
        "ix_subscriptions_tenant_id_status_next_billing_date",
        "subscriptions",
        ["tenant_id", "status", "next_billing_date"],
    )
    op.create_index(
        "ix_subscriptions_tenant_id_idempotency_key",
        "subscriptions",
        ["tenant_id", "idempotency_key"],
        unique=True,
    )
    op.create_index("ix_subscriptions_plan_id", "subscriptions", ["plan_id"])

    op.create_table(
        "subscription_periods",
        sa.Column("id", sa.Integer()),
        _tenant("subscription_periods"),
        _ref("subscription_periods", "customer_id", "customers", "CASCADE"),
        _ref("subscription_periods", "subscription_id", "subscriptions", "CASCADE"),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        _at("billed_at"),
        sa.PrimaryKeyConstraint("id", name="pk_subscription_periods"),
    )
    op.create_index(
        "ix_subscription_periods_subscription_id_period_start",
        "subscription_periods",
        ["subscription_id", "period_start"],
        unique=True,
    )
    op.create_index(
        "ix_subscription_periods_tenant_id_customer_id",
        "subscription_periods",
        ["tenant_id", "customer_id"],
    )


def downgrade() -> None:
    for table in ("subscription_periods", "subscriptions", "subscription_plans"):
        op.drop_table(table)
