"""tickets, their comments, per-tenant ticket numbers

Revision ID: tickets_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "tickets_0001"
down_revision = None
branch_labels = ("tickets",)
depends_on = "0002"


def _tenant() -> sa.Column:
    return sa.Column("tenant_id", sa.Integer(), nullable=False)


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["tenants.id"],
        name=op.f(f"fk_{table}_tenant_id_tenants"),
        ondelete="CASCADE",
    )


def _worker_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["workers.id"], name=op.f(f"fk_{table}_{column}_workers"), ondelete="SET NULL"
    )


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        _tenant(),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        _tenant_fk("tickets"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_tickets_customer_id_customers"),
            ondelete="CASCADE",
        ),
        _worker_fk("tickets", "assignee_id"),
        _worker_fk("tickets", "opened_by_id"),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_tickets_tenant_id_number")),
    )
    op.create_index(
        op.f("ix_tickets_tenant_id_customer_id_status"),
        "tickets",
        ["tenant_id", "customer_id", "status"],
    )
    op.create_index(
        op.f("ix_tickets_tenant_id_status_priority_due_at"),
        "tickets",
        ["tenant_id", "status", "priority", "due_at"],
    )
    op.create_index(op.f("ix_tickets_assignee_id"), "tickets", ["assignee_id"])
    op.create_index(op.f("ix_tickets_opened_by_id"), "tickets", ["opened_by_id"])

    op.create_table(
        "ticket_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        _tenant(),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_comments")),
        _tenant_fk("ticket_comments"),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_comments_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        _worker_fk("ticket_comments", "author_id"),
    )
    op.create_index(
        op.f("ix_ticket_comments_ticket_id_created_at"),
        "ticket_comments",
        ["ticket_id", "created_at"],
    )
    op.create_index(op.f("ix_ticket_comments_author_id"), "ticket_comments", ["author_id"])
    op.create_index(op.f("ix_ticket_comments_tenant_id"), "ticket_comments", ["tenant_id"])

    op.create_table(
        "ticket_counters",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_ticket_counters")),
        _tenant_fk("ticket_counters"),
    )


def downgrade() -> None:
    op.drop_table("ticket_counters")
    op.drop_table("ticket_comments")
    op.drop_table("tickets")
