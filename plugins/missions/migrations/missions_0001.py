"""missions and their assignees

Revision ID: missions_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "missions_0001"
down_revision = None
branch_labels = ("missions",)
depends_on = "0008"


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "missions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_time", sa.Time(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missions")),
        _fk("missions", "tenant_id", "tenants", "CASCADE"),
        _fk("missions", "customer_id", "customers", "CASCADE"),
        _fk("missions", "created_by_id", "workers", "SET NULL"),
        _fk("missions", "completed_by_id", "workers", "SET NULL"),
    )
    for columns in (
        ["tenant_id", "customer_id", "status", "due_at"],
        ["tenant_id", "status", "due_at"],
        ["created_by_id"],
        ["completed_by_id"],
    ):
        op.create_index(op.f(f"ix_missions_{'_'.join(columns)}"), "missions", columns)

    op.create_table(
        "mission_assignees",
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("mission_id", "worker_id", name=op.f("pk_mission_assignees")),
        _fk("mission_assignees", "mission_id", "missions", "CASCADE"),
        _fk("mission_assignees", "worker_id", "workers", "CASCADE"),
        _fk("mission_assignees", "tenant_id", "tenants", "CASCADE"),
    )
    op.create_index(
        op.f("ix_mission_assignees_tenant_id_worker_id_mission_id"),
        "mission_assignees",
        ["tenant_id", "worker_id", "mission_id"],
    )


def downgrade() -> None:
    op.drop_table("mission_assignees")
    op.drop_table("missions")
