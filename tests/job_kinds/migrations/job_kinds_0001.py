"""job_kinds (tests): one row per unit of work a counting job did

Revision ID: job_kinds_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "job_kinds_0001"
down_revision = None
branch_labels = ("job_kinds",)
depends_on = "0009_jobs"


def upgrade() -> None:
    op.create_table(
        "job_kind_units",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("job_id", sa.Integer(), nullable=False, index=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("job_kind_units")
