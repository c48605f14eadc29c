"""appointments and prepaid appointment credits

Revision ID: appointments_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "appointments_0001"
down_revision = None
branch_labels = ("appointments",)
depends_on = "0002"

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ref(column: str, table: str, ondelete: str, nullable: bool = False) -> sa.Column:
    return sa.Column(
        column, sa.Integer(), sa.ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ref("tenant_id", "tenants", "CASCADE"),
        _ref("customer_id", "customers", "CASCADE"),
        _ref("worker_id", "workers", "SET NULL", nullable=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("location", sa.String(300), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("reminders", JSON, nullable=False),
        sa.Column("prepaid", sa.Boolean(), nullable=False),
        sa.Column("credit_used", sa.Boolean(), nullable=False),
        sa.Column("cancel_reason", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_appointments_tenant_id_customer_id_start_at_id",
        "appointments",
        ["tenant_id", "customer_id", "start_at", "id"],
    )
    op.create_index(
        "ix_appointments_tenant_id_worker_id_start_at",
        "appointments",
        ["tenant_id", "worker_id", "start_at"],
    )
    op.create_table(
        "appointment_credits",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ref("tenant_id", "tenants", "CASCADE"),
        _ref("customer_id", "customers", "CASCADE"),
        sa.Column("change", sa.Integer(), nullable=False),
        _ref("appointment_id", "appointments", "SET NULL", nullable=True),
        sa.Column("price_amount", sa.Integer(), nullable=True),
        sa.Column("price_currency", sa.String(3), nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
        _ref("worker_id", "workers", "SET NULL", nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_appointment_credits_tenant_id_customer_id",
        "appointment_credits",
        ["tenant_id", "customer_id"],
    )


def downgrade() -> None:
    op.drop_table("appointment_credits")
    op.drop_table("appointments")
