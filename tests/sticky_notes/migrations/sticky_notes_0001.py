"""sticky notes

Revision ID: sticky_notes_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "sticky_notes_0001"
down_revision = None
branch_labels = ("sticky_notes",)
depends_on = "0002"


def upgrade() -> None:
    op.create_table(
        "sticky_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.Integer(),
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sticky_notes")
