"""documents: a customer's documents, their versions, labels, and when the tab was opened

Revision ID: documents_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "documents_0001"
down_revision = None
branch_labels = ("documents",)
depends_on = "0010_files"


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _time(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("search_key", sa.String(200), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("version_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        _time("latest_at"),
        sa.Column("latest_by", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        _fk("documents", "tenant_id", "tenants", "CASCADE"),
        _fk("documents", "customer_id", "customers", "CASCADE"),
        _fk("documents", "file_id", "files", "CASCADE"),
        _fk("documents", "created_by", "workers", "SET NULL"),
        _fk("documents", "latest_by", "workers", "SET NULL"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_documents_tenant_id_customer_id_id"),
        "documents",
        ["tenant_id", "customer_id", "id"],
    )
    op.create_index(op.f("ix_documents_file_id"), "documents", ["file_id"])
    op.create_table(
        "document_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_versions")),
        sa.UniqueConstraint(
            "document_id", "number", name=op.f("uq_document_versions_document_id_number")
        ),
        sa.UniqueConstraint("file_id", name=op.f("uq_document_versions_file_id")),
        _fk("document_versions", "tenant_id", "tenants", "CASCADE"),
        _fk("document_versions", "document_id", "documents", "CASCADE"),
        _fk("document_versions", "file_id", "files", "CASCADE"),
        _fk("document_versions", "added_by", "workers", "SET NULL"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "document_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("name_key", sa.String(60), nullable=False),
        sa.Column("color", sa.String(7), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_labels")),
        sa.UniqueConstraint(
            "tenant_id", "name_key", name=op.f("uq_document_labels_tenant_id_name_key")
        ),
        _fk("document_labels", "tenant_id", "tenants", "CASCADE"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "document_label_links",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "label_id", name=op.f("pk_document_label_links")),
        _fk("document_label_links", "document_id", "documents", "CASCADE"),
        _fk("document_label_links", "label_id", "document_labels", "CASCADE"),
        _fk("document_label_links", "tenant_id", "tenants", "CASCADE"),
    )
    op.create_index(
        op.f("ix_document_label_links_label_id_document_id"),
        "document_label_links",
        ["label_id", "document_id"],
    )
    op.create_table(
        "documents_seen",
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _time("seen_at"),
        sa.PrimaryKeyConstraint("worker_id", "customer_id", name=op.f("pk_documents_seen")),
        _fk("documents_seen", "worker_id", "workers", "CASCADE"),
        _fk("documents_seen", "customer_id", "customers", "CASCADE"),
        _fk("documents_seen", "tenant_id", "tenants", "CASCADE"),
    )


def downgrade() -> None:
    for table in (
        "documents_seen",
        "document_label_links",
        "document_labels",
        "document_versions",
        "documents",
    ):
        op.drop_table(table)
