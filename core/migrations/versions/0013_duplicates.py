"""duplicates: customer identities, the tenant's duplicate policy, the merge record

`customer_identities` holds each customer's normalised emails, phones and name-and-city key
(`core/identities.py`) under the index `(tenant_id, kind, value, customer_id)`, so finding
the customers with an email is an index probe. It is filled here for the existing customers,
in batches by id. `customer_merges` keeps what a merge did, so it can be undone
(`core/merge_undo.py`); `tenants.duplicate_policy` is WARN or BLOCK.

Revision ID: 0012_duplicates
Revises: 0011_standard_fields
"""

import sqlalchemy as sa
from alembic import op

from core.identities import rows_of
from core.models import UTCDateTime

revision = "0012_duplicates"
down_revision = "0011_standard_fields"
branch_labels = None
depends_on = None

BATCH = 5000


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKey:
    return sa.ForeignKey(f"{target}.id", ondelete=ondelete, name=f"fk_{table}_{column}_{target}")


def _backfill() -> None:
    bind = op.get_bind()
    customers = sa.table(
        "customers",
        sa.column("id", sa.Integer()),
        sa.column("tenant_id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("city", sa.String()),
        sa.column("emails", sa.JSON()),
        sa.column("phones", sa.JSON()),
    )
    identities = sa.table(
        "customer_identities",
        sa.column("tenant_id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("value", sa.String()),
        sa.column("customer_id", sa.Integer()),
    )
    after = 0
    while True:
        batch = bind.execute(
            sa.select(customers).where(customers.c.id > after).order_by(customers.c.id).limit(BATCH)
        ).all()
        if not batch:
            return
        rows = [
            row
            for c in batch
            for row in rows_of(c.tenant_id, c.id, c.name, c.city, c.emails, c.phones)
        ]
        if rows:
            bind.execute(identities.insert(), rows)
        after = batch[-1].id


def upgrade() -> None:
    op.create_table(
        "customer_identities",
        sa.Column(
            "customer_id",
            sa.Integer(),
            _fk("customer_identities", "customer_id", "customers"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(320), nullable=False),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            _fk("customer_identities", "tenant_id", "tenants"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("customer_id", "kind", "value", name="pk_customer_identities"),
    )
    op.create_index(
        "ix_customer_identities_tenant_id_kind_value_customer_id",
        "customer_identities",
        ["tenant_id", "kind", "value", "customer_id"],
    )
    op.add_column(
        "tenants",
        sa.Column("duplicate_policy", sa.String(8), nullable=False, server_default="WARN"),
    )
    op.create_table(
        "customer_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            _fk("customer_merges", "tenant_id", "tenants"),
            nullable=False,
        ),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column(
            "target_id",
            sa.Integer(),
            _fk("customer_merges", "target_id", "customers"),
            nullable=False,
        ),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("taken", sa.JSON(), nullable=False),
        sa.Column(
            "merged_by",
            sa.Integer(),
            _fk("customer_merges", "merged_by", "workers", "SET NULL"),
            nullable=True,
        ),
        sa.Column("merged_at", UTCDateTime(), nullable=False),
        sa.Column("undoable_until", UTCDateTime(), nullable=False),
        sa.Column("undone_at", UTCDateTime(), nullable=True),
        sa.Column(
            "undone_by",
            sa.Integer(),
            _fk("customer_merges", "undone_by", "workers", "SET NULL"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_customer_merges"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_customer_merges_tenant_id_target_id_id",
        "customer_merges",
        ["tenant_id", "target_id", "id"],
    )
    op.create_index(
        "ix_customer_merges_tenant_id_source_id_id",
        "customer_merges",
        ["tenant_id", "source_id", "id"],
    )
    _backfill()


def downgrade() -> None:
    op.drop_table("customer_merges")
    with op.batch_alter_table("tenants", recreate="never") as batch_op:
        batch_op.drop_column("duplicate_policy")
    op.drop_table("customer_identities")
