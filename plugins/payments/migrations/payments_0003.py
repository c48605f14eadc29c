"""payments: balance entries other modules' events put on a customer's balance

Revision ID: payments_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "payments_0003"
down_revision = "payments_0002"
branch_labels = None
depends_on = None

TABLE = "payment_balance_entries"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE", name=f"fk_{TABLE}_tenant_id_tenants"),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.Integer(),
            sa.ForeignKey(
                "customers.id", ondelete="CASCADE", name=f"fk_{TABLE}_customer_id_customers"
            ),
            nullable=False,
        ),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("event_name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{TABLE}"),
    )
    op.create_index(f"ix_{TABLE}_tenant_id_source", TABLE, ["tenant_id", "source"], unique=True)
    op.create_index(
        f"ix_{TABLE}_tenant_id_customer_id_currency",
        TABLE,
        ["tenant_id", "customer_id", "currency"],
    )


def downgrade() -> None:
    op.drop_table(TABLE)
