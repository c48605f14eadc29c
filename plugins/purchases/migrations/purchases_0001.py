"""purchase facts, per-customer figures, categories, settings

Revision ID: purchases_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "purchases_0001"
down_revision = None
branch_labels = ("purchases",)
depends_on = "0012_imports"

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _tenant(table: str) -> sa.Column:
    return sa.Column(
        "tenant_id",
        sa.Integer(),
        sa.ForeignKey("tenants.id", ondelete="CASCADE", name=f"fk_{table}_tenant_id_tenants"),
        nullable=False,
    )


def _customer(table: str) -> sa.Column:
    return sa.Column(
        "customer_id",
        sa.Integer(),
        sa.ForeignKey("customers.id", ondelete="CASCADE", name=f"fk_{table}_customer_id_customers"),
        nullable=False,
    )


def _category(table: str, column: str) -> sa.Column:
    return sa.Column(
        column,
        sa.Integer(),
        sa.ForeignKey(
            "purchase_categories.id",
            ondelete="SET NULL",
            name=f"fk_{table}_{column}_purchase_categories",
        ),
        nullable=True,
    )


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _money(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "purchase_settings",
        _tenant("purchase_settings"),
        sa.Column("reporting_currency", sa.String(3), nullable=True),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_purchase_settings"),
    )
    op.create_table(
        "purchase_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        _tenant("purchase_categories"),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("name_key", sa.String(60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("min_total_spent", sa.BigInteger(), nullable=True),
        sa.Column("min_purchases", sa.Integer(), nullable=True),
        sa.Column("first_purchase_within_days", sa.Integer(), nullable=True),
        _at("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_purchase_categories"),
        sa.UniqueConstraint(
            "tenant_id", "name_key", name="uq_purchase_categories_tenant_id_name_key"
        ),
    )
    op.create_table(
        "purchase_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        _tenant("purchase_facts"),
        _customer("purchase_facts"),
        sa.Column("source", sa.String(160), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _money("amount"),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("method", sa.String(40), nullable=True),
        sa.Column("purchase", sa.Boolean(), nullable=False),
        sa.Column("products", JSON, nullable=True),
        _at("occurred_at"),
        sa.PrimaryKeyConstraint("id", name="pk_purchase_facts"),
        sa.UniqueConstraint("tenant_id", "source", name="uq_purchase_facts_tenant_id_source"),
    )
    op.create_index(
        "ix_purchase_facts_tenant_id_customer_id_occurred_at",
        "purchase_facts",
        ["tenant_id", "customer_id", "occurred_at"],
    )
    op.create_table(
        "purchase_stats",
        _customer("purchase_stats"),
        _tenant("purchase_stats"),
        sa.Column("currency", sa.String(3), nullable=True),
        _money("total_spent"),
        _money("lifetime_value"),
        sa.Column("order_count", sa.Integer(), nullable=False),
        sa.Column("purchase_count", sa.Integer(), nullable=False),
        _at("first_purchase_at", True),
        _at("last_purchase_at", True),
        sa.Column("first_month", sa.String(7), nullable=True),
        sa.Column("repeat_days", sa.Integer(), nullable=True),
        sa.Column("interval_seconds", sa.BigInteger(), nullable=True),
        sa.Column("products", JSON, nullable=True),
        sa.Column("methods", JSON, nullable=True),
        _category("purchase_stats", "category_id"),
        sa.Column("category_key", sa.String(60), nullable=True),
        _category("purchase_stats", "manual_category_id"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("customer_id", name="pk_purchase_stats"),
    )
    for column in (
        "total_spent",
        "lifetime_value",
        "last_purchase_at",
        "first_purchase_at",
        "category_key",
    ):
        op.create_index(
            f"ix_purchase_stats_tenant_id_{column}_customer_id",
            "purchase_stats",
            ["tenant_id", column, "customer_id"],
        )
    op.create_table(
        "purchase_totals",
        _customer("purchase_totals"),
        sa.Column("currency", sa.String(3), nullable=False),
        _tenant("purchase_totals"),
        _money("spent"),
        _money("refunded"),
        _money("order_total"),
        sa.Column("order_count", sa.Integer(), nullable=False),
        _money("deals_won"),
        _money("lifetime_value"),
        sa.PrimaryKeyConstraint("customer_id", "currency", name="pk_purchase_totals"),
    )
    op.create_table(
        "purchase_months",
        _customer("purchase_months"),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _tenant("purchase_months"),
        _money("amount"),
        sa.PrimaryKeyConstraint("customer_id", "month", "currency", name="pk_purchase_months"),
    )


def downgrade() -> None:
    for table in (
        "purchase_months",
        "purchase_totals",
        "purchase_stats",
        "purchase_facts",
        "purchase_categories",
        "purchase_settings",
    ):
        op.drop_table(table)
