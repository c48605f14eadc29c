"""deals: the tenant's pipeline stages and the deals of its customers

Revision ID: deals_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "deals_0001"
down_revision = None
branch_labels = ("deals",)
depends_on = "0008"


def _fk(table: str, column: str, target: str, ondelete: str | None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "deal_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_stages")),
        _fk("deal_stages", "tenant_id", "tenants", "CASCADE"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_deal_stages_tenant_id_position"), "deal_stages", ["tenant_id", "position"]
    )
    op.create_table(
        "deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("lost_reason", sa.Text(), nullable=True),
        sa.Column("won_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lost_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
        _fk("deals", "tenant_id", "tenants", "CASCADE"),
        _fk("deals", "customer_id", "customers", "CASCADE"),
        _fk("deals", "stage_id", "deal_stages", None),
        _fk("deals", "owner_id", "workers", "SET NULL"),
        _fk("deals", "created_by_id", "workers", "SET NULL"),
        sqlite_autoincrement=True,
    )
    for columns, unique in (
        (["tenant_id", "customer_id", "status", "created_at"], False),
        (["tenant_id", "customer_id", "created_at", "id"], False),
        (["tenant_id", "stage_id"], False),
        (["owner_id"], False),
        (["tenant_id", "idempotency_key"], True),
    ):
        op.create_index(op.f(f"ix_deals_{'_'.join(columns)}"), "deals", columns, unique=unique)


def downgrade() -> None:
    op.drop_table("deals")
    op.drop_table("deal_stages")
