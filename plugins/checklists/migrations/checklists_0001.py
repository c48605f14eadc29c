"""checklist templates, their folders, checklists and their items

Revision ID: checklists_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "checklists_0001"
down_revision = None
branch_labels = ("checklists",)
depends_on = "0008"


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE"):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=unique)


def upgrade() -> None:
    op.create_table(
        "checklist_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("items", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_templates")),
        _fk("checklist_templates", "tenant_id", "tenants"),
        sqlite_autoincrement=True,
    )
    _index("checklist_templates", "tenant_id", "name")

    op.create_table(
        "checklist_template_folders",
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("folder_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "template_id", "folder_id", name=op.f("pk_checklist_template_folders")
        ),
        _fk("checklist_template_folders", "template_id", "checklist_templates"),
        _fk("checklist_template_folders", "folder_id", "folders"),
        _fk("checklist_template_folders", "tenant_id", "tenants"),
    )
    _index("checklist_template_folders", "tenant_id", "folder_id")

    op.create_table(
        "checklists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("folder_template_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("done_count", sa.Integer(), nullable=False),
        sa.Column("finished", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklists")),
        _fk("checklists", "tenant_id", "tenants"),
        _fk("checklists", "customer_id", "customers"),
        _fk("checklists", "template_id", "checklist_templates", "SET NULL"),
        _fk("checklists", "created_by_id", "workers", "SET NULL"),
        sa.UniqueConstraint(
            "customer_id",
            "folder_template_id",
            name=op.f("uq_checklists_customer_id_folder_template_id"),
        ),
        sqlite_autoincrement=True,
    )
    _index("checklists", "tenant_id", "customer_id", "finished", "created_at")
    _index("checklists", "template_id")
    _index("checklists", "created_by_id")

    op.create_table(
        "checklist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("checklist_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_items")),
        _fk("checklist_items", "tenant_id", "tenants"),
        _fk("checklist_items", "checklist_id", "checklists"),
        _fk("checklist_items", "checked_by_id", "workers", "SET NULL"),
        sqlite_autoincrement=True,
    )
    _index("checklist_items", "tenant_id")
    _index("checklist_items", "checklist_id", "position")
    _index("checklist_items", "checked_by_id")


def downgrade() -> None:
    op.drop_table("checklist_items")
    op.drop_table("checklists")
    op.drop_table("checklist_template_folders")
    op.drop_table("checklist_templates")
