"""the worker and folder link indexes carry the tenant: a restricted worker's visibility
is read from the index alone

On PostgreSQL row-level security adds `tenant_id = <the request's tenant>` to every read of
`customer_workers` and `customer_folders`; with the tenant outside the index each link found
costs a visit to the table (17,000 pages to count an agent's 100,000 customers). With it
inside, counting a worker's customers and probing a page's rows are index-only. The
indexes keep their leading columns, which the foreign keys' cascades and the filters use.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LINKS = (("customer_workers", "worker_id"), ("customer_folders", "folder_id"))


def upgrade() -> None:
    for table, column in LINKS:
        op.create_index(
            f"ix_{table}_{column}_customer_id_tenant_id",
            table,
            [column, "customer_id", "tenant_id"],
        )
        op.drop_index(f"ix_{table}_{column}_customer_id", table)


def downgrade() -> None:
    for table, column in LINKS:
        op.create_index(f"ix_{table}_{column}_customer_id", table, [column, "customer_id"])
        op.drop_index(f"ix_{table}_{column}_customer_id_tenant_id", table)
