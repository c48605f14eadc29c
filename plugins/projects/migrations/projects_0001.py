"""projects, their members and the customers they link

Revision ID: projects_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "projects_0001"
down_revision = None
branch_labels = ("projects",)
depends_on = "0008"


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _indexes(table: str, *specs) -> None:
    for columns, unique in specs:
        op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, columns, unique=unique)


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        _fk("projects", "tenant_id", "tenants", "CASCADE"),
        _fk("projects", "owner_id", "workers", "SET NULL"),
        _fk("projects", "created_by_id", "workers", "SET NULL"),
        sqlite_autoincrement=True,
    )
    _indexes(
        "projects",
        (["tenant_id", "status", "id"], False),
        (["tenant_id", "owner_id"], False),
        (["tenant_id", "idempotency_key"], True),
    )
    op.create_table(
        "project_members",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "worker_id", name=op.f("pk_project_members")),
        _fk("project_members", "project_id", "projects", "CASCADE"),
        _fk("project_members", "worker_id", "workers", "CASCADE"),
        _fk("project_members", "tenant_id", "tenants", "CASCADE"),
    )
    _indexes("project_members", (["tenant_id", "worker_id", "project_id"], False))
    op.create_table(
        "project_customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_customers")),
        _fk("project_customers", "tenant_id", "tenants", "CASCADE"),
        _fk("project_customers", "project_id", "projects", "CASCADE"),
        _fk("project_customers", "customer_id", "customers", "CASCADE"),
        _fk("project_customers", "linked_by_id", "workers", "SET NULL"),
        sqlite_autoincrement=True,
    )
    _indexes(
        "project_customers",
        (["project_id", "customer_id"], True),
        (["tenant_id", "customer_id", "project_id"], False),
    )


def downgrade() -> None:
    op.drop_table("project_customers")
    op.drop_table("project_members")
    op.drop_table("projects")
