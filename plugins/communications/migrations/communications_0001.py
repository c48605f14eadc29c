"""communications: messages, read markers, hook secrets, send keys

Revision ID: communications_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "communications_0001"
down_revision = None
branch_labels = ("communications",)
depends_on = "0009_jobs"  # the jobs table sending goes through

T = "communications"


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        T,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("provider_message_id", sa.String(200), nullable=True),
        sa.Column("request_key", sa.String(220), nullable=True),
        sa.Column("from_address", sa.String(320), nullable=True),
        sa.Column("to_address", sa.String(320), nullable=True),
        sa.Column("subject", sa.String(300), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_message", sa.String(500), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communications")),
        _fk(T, "tenant_id", "tenants", "CASCADE"),
        _fk(T, "customer_id", "customers", "CASCADE"),
        _fk(T, "author_id", "workers", "SET NULL"),
        sa.UniqueConstraint(
            "tenant_id",
            "provider",
            "provider_message_id",
            name="uq_communications_tenant_id_provider_provider_message_id",
        ),
        sa.UniqueConstraint(
            "tenant_id", "request_key", name="uq_communications_tenant_id_request_key"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_communications_tenant_id_customer_id_id", T, ["tenant_id", "customer_id", "id"]
    )
    op.create_index(
        "ix_communications_tenant_id_customer_id_direction_id",
        T,
        ["tenant_id", "customer_id", "direction", "id"],
    )
    op.create_index("ix_communications_author_id", T, ["author_id"])
    R = "communication_reads"
    op.create_table(
        R,
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("last_read_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", "customer_id", name=op.f("pk_communication_reads")),
        _fk(R, "worker_id", "workers", "CASCADE"),
        _fk(R, "customer_id", "customers", "CASCADE"),
        _fk(R, "tenant_id", "tenants", "CASCADE"),
    )
    S = "communication_secrets"
    op.create_table(
        S,
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        _at("created_at"),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_communication_secrets")),
        _fk(S, "tenant_id", "tenants", "CASCADE"),
    )
    K = "communication_keys"
    op.create_table(
        K,
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        _at("created_at"),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "key", name=op.f("pk_communication_keys")),
        _fk(K, "tenant_id", "tenants", "CASCADE"),
        _fk(K, "message_id", "communications", "CASCADE"),
    )


def downgrade() -> None:
    for table in ("communication_keys", "communication_secrets", "communication_reads", T):
        op.drop_table(table)
