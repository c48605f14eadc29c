"""payments: counters, payment methods, invoices and lines, payments, refunds, idempotency keys

Revision ID: payments_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "payments_0001"
down_revision = None
branch_labels = ("payments",)
depends_on = "0002"


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


def _ref(table: str, column: str, target: str, ondelete: str, nullable: bool) -> sa.Column:
    return sa.Column(
        column,
        sa.Integer(),
        sa.ForeignKey(f"{target}.id", ondelete=ondelete, name=f"fk_{table}_{column}_{target}"),
        nullable=nullable,
    )


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "payment_counters",
        _tenant("payment_counters"),
        sa.Column("name", sa.String(16), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "name", name="pk_payment_counters"),
    )

    op.create_table(
        "payment_methods",
        sa.Column("id", sa.Integer()),
        _tenant("payment_methods"),
        _customer("payment_methods"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("last4", sa.String(4), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        _at("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_payment_methods"),
    )
    op.create_index(
        "ix_payment_methods_tenant_id_customer_id_id",
        "payment_methods",
        ["tenant_id", "customer_id", "id"],
    )
    op.create_index(
        "uq_payment_methods_default",
        "payment_methods",
        ["customer_id"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer()),
        _tenant("invoices"),
        _customer("invoices"),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_amount", sa.BigInteger(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _at("issued_at", True),
        _at("paid_at", True),
        _at("voided_at", True),
        _at("overdue_notified_at", True),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
    )
    op.create_index(
        "ix_invoices_tenant_id_number", "invoices", ["tenant_id", "number"], unique=True
    )
    op.create_index(
        "ix_invoices_tenant_id_customer_id_id", "invoices", ["tenant_id", "customer_id", "id"]
    )
    op.create_index(
        "ix_invoices_tenant_id_status_due_date", "invoices", ["tenant_id", "status", "due_date"]
    )

    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.Integer()),
        _tenant("invoice_lines"),
        _ref("invoice_lines", "invoice_id", "invoices", "CASCADE", False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invoice_lines"),
    )
    op.create_index(
        "ix_invoice_lines_invoice_id_position", "invoice_lines", ["invoice_id", "position"]
    )

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer()),
        _tenant("payments"),
        _customer("payments"),
        _ref("payments", "invoice_id", "invoices", "SET NULL", True),
        _ref("payments", "method_id", "payment_methods", "SET NULL", True),
        sa.Column("method_kind", sa.String(16), nullable=False),
        sa.Column("method_label", sa.String(100), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("receipt_number", sa.String(32), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        _at("received_at"),
        _ref("payments", "recorded_by_id", "workers", "SET NULL", True),
        _at("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
    )
    op.create_index(
        "ix_payments_tenant_id_receipt_number",
        "payments",
        ["tenant_id", "receipt_number"],
        unique=True,
    )
    op.create_index(
        "ix_payments_tenant_id_customer_id_id", "payments", ["tenant_id", "customer_id", "id"]
    )
    op.create_index("ix_payments_invoice_id", "payments", ["invoice_id"])

    op.create_table(
        "payment_refunds",
        sa.Column("id", sa.Integer()),
        _tenant("payment_refunds"),
        _customer("payment_refunds"),
        _ref("payment_refunds", "payment_id", "payments", "CASCADE", False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        _ref("payment_refunds", "refunded_by_id", "workers", "SET NULL", True),
        _at("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_payment_refunds"),
    )
    op.create_index("ix_payment_refunds_payment_id_id", "payment_refunds", ["payment_id", "id"])
    op.create_index(
        "ix_payment_refunds_tenant_id_customer_id",
        "payment_refunds",
        ["tenant_id", "customer_id"],
    )

    op.create_table(
        "payment_idempotency_keys",
        _tenant("payment_idempotency_keys"),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        _ref("payment_idempotency_keys", "payment_id", "payments", "CASCADE", True),
        _at("created_at"),
        sa.PrimaryKeyConstraint("tenant_id", "key", name="pk_payment_idempotency_keys"),
    )


def downgrade() -> None:
    for table in (
        "payment_idempotency_keys",
        "payment_refunds",
        "payments",
        "invoice_lines",
        "invoices",
        "payment_methods",
        "payment_counters",
    ):
        op.drop_table(table)
