"""loyalty: programs, tiers, rewards, accounts, ledger entries

Revision ID: loyalty_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "loyalty_0001"
down_revision = None
branch_labels = ("loyalty",)
depends_on = "0002"


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE"):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _id():
    return sa.Column("id", sa.Integer(), nullable=False)


def _int(name: str, nullable: bool = False):
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _at(name: str, nullable: bool = False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "loyalty_programs",
        _int("tenant_id"),
        _int("earn_points"),
        _int("earn_per"),
        sa.Column("currency", sa.String(length=3), nullable=True),
        _int("birthday_points"),
        _int("anniversary_points"),
        _int("expiry_months", nullable=True),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_loyalty_programs")),
        _fk("loyalty_programs", "tenant_id", "tenants"),
    )
    op.create_table(
        "loyalty_tiers",
        _id(),
        _int("tenant_id"),
        sa.Column("name", sa.String(length=100), nullable=False),
        _int("threshold"),
        sa.Column("benefits", sa.Text(), nullable=True),
        _at("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_tiers")),
        _fk("loyalty_tiers", "tenant_id", "tenants"),
        sa.UniqueConstraint(
            "tenant_id", "threshold", name=op.f("uq_loyalty_tiers_tenant_id_threshold")
        ),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_loyalty_tiers_tenant_id_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "loyalty_rewards",
        _id(),
        _int("tenant_id"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        _int("points_cost"),
        _int("stock", nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _int("redeemed_count"),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_rewards")),
        _fk("loyalty_rewards", "tenant_id", "tenants"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_loyalty_rewards_tenant_id_name_id"), "loyalty_rewards", ["tenant_id", "name", "id"]
    )
    op.create_table(
        "loyalty_accounts",
        _int("customer_id"),
        _int("tenant_id"),
        _int("balance"),
        _int("lifetime_points"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_loyalty_accounts")),
        _fk("loyalty_accounts", "customer_id", "customers"),
        _fk("loyalty_accounts", "tenant_id", "tenants"),
    )
    op.create_index(op.f("ix_loyalty_accounts_tenant_id"), "loyalty_accounts", ["tenant_id"])
    op.create_table(
        "loyalty_entries",
        _id(),
        _int("tenant_id"),
        _int("customer_id"),
        sa.Column("kind", sa.String(length=16), nullable=False),
        _int("points"),
        _int("balance_after"),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("source_key", sa.String(length=220), nullable=False),
        _int("reward_id", nullable=True),
        _int("payment_ref", nullable=True),
        _int("amount", nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        _int("actor_id", nullable=True),
        _at("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_entries")),
        _fk("loyalty_entries", "tenant_id", "tenants"),
        _fk("loyalty_entries", "customer_id", "customers"),
        _fk("loyalty_entries", "reward_id", "loyalty_rewards", "SET NULL"),
        _fk("loyalty_entries", "actor_id", "workers", "SET NULL"),
        sa.UniqueConstraint(
            "tenant_id", "source_key", name=op.f("uq_loyalty_entries_tenant_id_source_key")
        ),
        sqlite_autoincrement=True,
    )
    for columns in (
        ["customer_id", "id"],
        ["tenant_id", "payment_ref"],
        ["reward_id"],
        ["actor_id"],
    ):
        op.create_index(op.f(f"ix_loyalty_entries_{'_'.join(columns)}"), "loyalty_entries", columns)


def downgrade() -> None:
    op.drop_table("loyalty_entries")
    op.drop_table("loyalty_accounts")
    op.drop_table("loyalty_rewards")
    op.drop_table("loyalty_tiers")
    op.drop_table("loyalty_programs")
