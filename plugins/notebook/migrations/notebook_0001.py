"""customer notes and their mentions

Revision ID: notebook_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "notebook_0001"
down_revision = None
branch_labels = ("notebook",)
depends_on = "0008"


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "customer_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_notes")),
        _fk("customer_notes", "tenant_id", "tenants", "CASCADE"),
        _fk("customer_notes", "customer_id", "customers", "CASCADE"),
        _fk("customer_notes", "author_id", "workers", "SET NULL"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_customer_notes_tenant_id_customer_id_pinned_created_at"),
        "customer_notes",
        ["tenant_id", "customer_id", "pinned", "created_at"],
    )
    op.create_index(op.f("ix_customer_notes_author_id"), "customer_notes", ["author_id"])
    op.create_table(
        "note_mentions",
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("note_id", "worker_id", name=op.f("pk_note_mentions")),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["customer_notes.id"],
            name=op.f("fk_note_mentions_note_id_customer_notes"),
            ondelete="CASCADE",
        ),
        _fk("note_mentions", "worker_id", "workers", "CASCADE"),
        _fk("note_mentions", "tenant_id", "tenants", "CASCADE"),
    )
    op.create_index(
        op.f("ix_note_mentions_worker_id_note_id"), "note_mentions", ["worker_id", "note_id"]
    )


def downgrade() -> None:
    op.drop_table("note_mentions")
    op.drop_table("customer_notes")
