"""communications: who took part in a customer's conversation (communications.view_all)

Revision ID: communications_0003
Revises: communications_0002
"""

from alembic import op

revision = "communications_0003"
down_revision = "communications_0002"
branch_labels = None
depends_on = None

NAME = "ix_communications_tenant_id_author_id_customer_id"


def upgrade() -> None:
    op.create_index(NAME, "communications", ["tenant_id", "author_id", "customer_id"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="communications")
