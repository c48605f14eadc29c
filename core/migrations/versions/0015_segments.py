"""segments: saved groups of customers, static (members by hand) or dynamic (a saved filter)

`segment_members` holds a static segment's members; `(tenant_id, customer_id, segment_id)`
serves the profile's memberships and the `segment` filter's `EXISTS` per customer, the
primary key `(segment_id, customer_id)` a segment's own list. Row-level security comes from
`core/rls.py` (every table with `tenant_id`).

Revision ID: 0012_segments
Revises: 0012_duplicates
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from core.models import UTCDateTime

revision = "0012_segments"
down_revision = "0012_duplicates"
branch_labels = None
depends_on = None


def _tenant(table: str) -> sa.Column:
    return sa.Column(
        "tenant_id",
        sa.Integer(),
        sa.ForeignKey("tenants.id", ondelete="CASCADE", name=f"fk_{table}_tenant_id_tenants"),
        nullable=False,
    )


def _worker(table: str, column: str) -> sa.Column:
    return sa.Column(
        column,
        sa.Integer(),
        sa.ForeignKey("workers.id", ondelete="SET NULL", name=f"fk_{table}_{column}_workers"),
        nullable=True,
    )


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer(), nullable=False),
        _tenant("segments"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("filter", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True),
        _worker("segments", "created_by"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_segments"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_segments_tenant_id_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "segment_members",
        sa.Column(
            "segment_id",
            sa.Integer(),
            sa.ForeignKey(
                "segments.id", ondelete="CASCADE", name="fk_segment_members_segment_id_segments"
            ),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.Integer(),
            sa.ForeignKey(
                "customers.id", ondelete="CASCADE", name="fk_segment_members_customer_id_customers"
            ),
            nullable=False,
        ),
        _tenant("segment_members"),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        _worker("segment_members", "added_by"),
        sa.PrimaryKeyConstraint("segment_id", "customer_id", name="pk_segment_members"),
    )
    op.create_index(
        "ix_segment_members_tenant_id_customer_id_segment_id",
        "segment_members",
        ["tenant_id", "customer_id", "segment_id"],
    )


def downgrade() -> None:
    op.drop_table("segment_members")
    op.drop_table("segments")
