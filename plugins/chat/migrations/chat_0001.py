"""chat threads, messages, read markers and idempotency keys

Revision ID: chat_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "chat_0001"
down_revision = None
branch_labels = ("chat",)
depends_on = "0008"


def _fk(table: str, column: str, target: str, ondelete: str, nullable: bool) -> sa.Column:
    return sa.Column(
        column,
        sa.Integer(),
        sa.ForeignKey(f"{target}.id", ondelete=ondelete, name=f"fk_{table}_{column}_{target}"),
        nullable=nullable,
    )


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "chat_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        _fk("chat_threads", "tenant_id", "tenants", "CASCADE", False),
        _fk("chat_threads", "customer_id", "customers", "CASCADE", False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        _fk("chat_threads", "created_by_id", "workers", "SET NULL", True),
        _at("created_at", False),
        sa.PrimaryKeyConstraint("id", name="pk_chat_threads"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_chat_threads_tenant_id_customer_id_id",
        "chat_threads",
        ["tenant_id", "customer_id", "id"],
    )
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        _fk("chat_messages", "tenant_id", "tenants", "CASCADE", False),
        _fk("chat_messages", "customer_id", "customers", "CASCADE", False),
        _fk("chat_messages", "thread_id", "chat_threads", "CASCADE", False),
        _fk("chat_messages", "author_id", "workers", "SET NULL", True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mention_ids", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        _at("created_at", False),
        _at("edited_at"),
        _at("deleted_at"),
        sa.PrimaryKeyConstraint("id", name="pk_chat_messages"),
        sqlite_autoincrement=True,
    )
    for columns in (["tenant_id", "customer_id", "id"], ["tenant_id", "thread_id", "id"]):
        op.create_index(f"ix_chat_messages_{'_'.join(columns)}", "chat_messages", columns)
    op.create_table(
        "chat_read_markers",
        _fk("chat_read_markers", "thread_id", "chat_threads", "CASCADE", False),
        _fk("chat_read_markers", "worker_id", "workers", "CASCADE", False),
        _fk("chat_read_markers", "tenant_id", "tenants", "CASCADE", False),
        sa.Column("last_read_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("thread_id", "worker_id", name="pk_chat_read_markers"),
    )
    op.create_table(
        "chat_idempotency_keys",
        _fk("chat_idempotency_keys", "tenant_id", "tenants", "CASCADE", False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        _fk("chat_idempotency_keys", "message_id", "chat_messages", "CASCADE", True),
        _at("created_at", False),
        sa.PrimaryKeyConstraint("tenant_id", "key", name="pk_chat_idempotency_keys"),
    )


def downgrade() -> None:
    op.drop_table("chat_idempotency_keys")
    op.drop_table("chat_read_markers")
    op.drop_table("chat_messages")
    op.drop_table("chat_threads")
