"""orders: catalog products, orders and their lines, per-kind counters, idempotency keys

Revision ID: orders_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "orders_0001"
down_revision = None
branch_labels = ("orders",)
depends_on = "0008"


def _tenant(table: str) -> sa.Column:
    return sa.Column(
        "tenant_id",
        sa.Integer(),
        sa.ForeignKey("tenants.id", ondelete="CASCADE", name=f"fk_{table}_tenant_id_tenants"),
        nullable=False,
    )


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "order_products",
        sa.Column("id", sa.Integer(), nullable=False),
        _tenant("order_products"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("sku_key", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("price_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("tax_rate", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(100), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_order_products"),
        sa.UniqueConstraint("tenant_id", "sku_key", name="uq_order_products_tenant_id_sku_key"),
    )
    op.create_index(
        "ix_order_products_tenant_id_name_id", "order_products", ["tenant_id", "name", "id"]
    )
    op.create_index(
        "ix_order_products_tenant_id_category", "order_products", ["tenant_id", "category"]
    )

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        _tenant("orders"),
        sa.Column(
            "customer_id",
            sa.Integer(),
            sa.ForeignKey(
                "customers.id", ondelete="CASCADE", name="fk_orders_customer_id_customers"
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("subtotal_amount", sa.BigInteger(), nullable=False),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False),
        sa.Column("tax_amount", sa.BigInteger(), nullable=False),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("invoice_ref", sa.String(64), nullable=True),
        sa.Column(
            "created_by_id",
            sa.Integer(),
            sa.ForeignKey(
                "workers.id", ondelete="SET NULL", name="fk_orders_created_by_id_workers"
            ),
            nullable=True,
        ),
        _at("created_at"),
        _at("updated_at"),
        _at("status_changed_at"),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint("tenant_id", "kind", "number", name="uq_orders_tenant_id_kind_number"),
    )
    op.create_index(
        "ix_orders_tenant_id_customer_id_created_at_id",
        "orders",
        ["tenant_id", "customer_id", "created_at", "id"],
    )
    op.create_index(
        "ix_orders_tenant_id_customer_id_status", "orders", ["tenant_id", "customer_id", "status"]
    )
    op.create_index("ix_orders_created_by_id", "orders", ["created_by_id"])

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        _tenant("order_lines"),
        sa.Column(
            "order_id",
            sa.Integer(),
            sa.ForeignKey("orders.id", ondelete="CASCADE", name="fk_order_lines_order_id_orders"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "product_id",
            sa.Integer(),
            sa.ForeignKey(
                "order_products.id",
                ondelete="SET NULL",
                name="fk_order_lines_product_id_order_products",
            ),
            nullable=True,
        ),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_amount", sa.BigInteger(), nullable=False),
        sa.Column("discount_rate", sa.Integer(), nullable=False),
        sa.Column("tax_rate", sa.Integer(), nullable=False),
        sa.Column("gross_amount", sa.BigInteger(), nullable=False),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False),
        sa.Column("net_amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_order_lines"),
    )
    op.create_index("ix_order_lines_order_id_position", "order_lines", ["order_id", "position"])
    op.create_index("ix_order_lines_product_id", "order_lines", ["product_id"])

    op.create_table(
        "order_counters",
        _tenant("order_counters"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "kind", name="pk_order_counters"),
    )

    op.create_table(
        "order_idempotency_keys",
        _tenant("order_idempotency_keys"),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column(
            "order_id",
            sa.Integer(),
            sa.ForeignKey(
                "orders.id", ondelete="CASCADE", name="fk_order_idempotency_keys_order_id_orders"
            ),
            nullable=True,
        ),
        _at("created_at"),
        sa.PrimaryKeyConstraint("tenant_id", "key", name="pk_order_idempotency_keys"),
    )


def downgrade() -> None:
    op.drop_table("order_idempotency_keys")
    op.drop_table("order_counters")
    op.drop_table("order_lines")
    op.drop_table("orders")
    op.drop_table("order_products")
