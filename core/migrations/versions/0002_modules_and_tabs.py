"""modules per tenant, tabs a folder hides

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tenant_modules",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("module", sa.String(length=64), nullable=False),
        sa.Column("enabled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_modules_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "module", name=op.f("pk_tenant_modules")),
    )
    with op.batch_alter_table("folders") as batch_op:
        batch_op.add_column(sa.Column("hidden_tabs", JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("folders") as batch_op:
        batch_op.drop_column("hidden_tabs")
    op.drop_table("tenant_modules")
