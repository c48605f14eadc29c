"""dynamic content blocks and the folders they are limited to

Revision ID: dynamic_content_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "dynamic_content_0001"
down_revision = None
branch_labels = ("dynamic_content",)
depends_on = "0008"


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "dynamic_content_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("limited", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dynamic_content_blocks")),
        _fk("dynamic_content_blocks", "tenant_id", "tenants"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_dynamic_content_blocks_tenant_id_position"),
        "dynamic_content_blocks",
        ["tenant_id", "position"],
    )
    op.create_table(
        "dynamic_content_folders",
        sa.Column("block_id", sa.Integer(), nullable=False),
        sa.Column("folder_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("block_id", "folder_id", name=op.f("pk_dynamic_content_folders")),
        sa.ForeignKeyConstraint(
            ["block_id"],
            ["dynamic_content_blocks.id"],
            name=op.f("fk_dynamic_content_folders_block_id_dynamic_content_blocks"),
            ondelete="CASCADE",
        ),
        _fk("dynamic_content_folders", "folder_id", "folders"),
        _fk("dynamic_content_folders", "tenant_id", "tenants"),
    )
    op.create_index(
        op.f("ix_dynamic_content_folders_folder_id"),
        "dynamic_content_folders",
        ["folder_id"],
    )


def downgrade() -> None:
    op.drop_table("dynamic_content_folders")
    op.drop_table("dynamic_content_blocks")
