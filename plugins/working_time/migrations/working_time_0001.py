"""time entries (running timers: ended_at null) and work sessions (the workers' clocks)

Revision ID: working_time_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "working_time_0001"
down_revision = None
branch_labels = ("working_time",)
depends_on = "0008"

OPEN = sa.text("ended_at IS NULL")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "time_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("billable", sa.Boolean(), nullable=False),
        sa.Column("rate_minor", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("amount_minor", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_entries")),
        _fk("time_entries", "tenant_id", "tenants", "CASCADE"),
        _fk("time_entries", "customer_id", "customers", "CASCADE"),
        _fk("time_entries", "worker_id", "workers", "SET NULL"),
    )
    op.create_index(
        op.f("ix_time_entries_tenant_id_customer_id_started_at"),
        "time_entries",
        ["tenant_id", "customer_id", "started_at"],
    )
    op.create_index(
        op.f("ix_time_entries_tenant_id_work_date"), "time_entries", ["tenant_id", "work_date"]
    )
    op.create_index(
        op.f("ix_time_entries_worker_id_work_date"), "time_entries", ["worker_id", "work_date"]
    )
    op.create_index(
        "ix_time_entries_running_worker",
        "time_entries",
        ["tenant_id", "worker_id"],
        unique=True,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_index(
        "ix_time_entries_running_customer",
        "time_entries",
        ["tenant_id", "customer_id"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )

    op.create_table(
        "work_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_sessions")),
        _fk("work_sessions", "tenant_id", "tenants", "CASCADE"),
        _fk("work_sessions", "worker_id", "workers", "CASCADE"),
    )
    op.create_index(
        op.f("ix_work_sessions_worker_id_started_at"), "work_sessions", ["worker_id", "started_at"]
    )
    op.create_index(
        "ix_work_sessions_open_worker",
        "work_sessions",
        ["tenant_id", "worker_id"],
        unique=True,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_table("work_sessions")
    op.drop_table("time_entries")
