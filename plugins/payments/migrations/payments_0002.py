"""payments: invoices.source, one invoice per invoice request

Revision ID: payments_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "payments_0002"
down_revision = "payments_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("invoices", sa.Column("source", sa.String(200), nullable=True))
    op.create_index(
        "ix_invoices_tenant_id_source", "invoices", ["tenant_id", "source"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_tenant_id_source", table_name="invoices")
    op.drop_column("invoices", "source")
