"""payouts and their idempotency keys

Revision ID: payouts_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "payouts_0001"
down_revision = None
branch_labels = ("payouts",)
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
        "payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        _fk("payouts", "tenant_id", "tenants", "CASCADE", False),
        _fk("payouts", "customer_id", "customers", "CASCADE", False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        _fk("payouts", "created_by_id", "workers", "SET NULL", True),
        _fk("payouts", "approved_by_id", "workers", "SET NULL", True),
        _at("created_at", False),
        _at("updated_at", False),
        _at("approved_at"),
        _at("sent_at"),
        _at("failed_at"),
        _at("cancelled_at"),
        sa.PrimaryKeyConstraint("id", name="pk_payouts"),
    )
    for columns in (
        ["tenant_id", "customer_id", "status"],
        ["tenant_id", "customer_id", "id"],
        ["tenant_id", "status", "id"],
    ):
        op.create_index(f"ix_payouts_{'_'.join(columns)}", "payouts", columns)

    op.create_table(
        "payout_idempotency_keys",
        _fk("payout_idempotency_keys", "tenant_id", "tenants", "CASCADE", False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        _fk("payout_idempotency_keys", "payout_id", "payouts", "CASCADE", True),
        _at("created_at", False),
        sa.PrimaryKeyConstraint("tenant_id", "key", name="pk_payout_idempotency_keys"),
    )


def downgrade() -> None:
    op.drop_table("payout_idempotency_keys")
    op.drop_table("payouts")
