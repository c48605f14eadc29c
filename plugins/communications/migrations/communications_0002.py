"""communications: attachments (core's stored files) of messages

Revision ID: communications_0002
Revises: communications_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "communications_0002"
down_revision = "communications_0001"
branch_labels = None
depends_on = "0010_files"

T = "communication_attachments"


def upgrade() -> None:
    op.create_table(
        T,
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", "file_id", name=op.f("pk_" + T)),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["communications.id"],
            name=op.f(f"fk_{T}_message_id_communications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name=op.f(f"fk_{T}_file_id_files"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{T}_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
    )
    op.create_index(op.f(f"ix_{T}_file_id"), T, ["file_id"])


def downgrade() -> None:
    op.drop_table(T)
