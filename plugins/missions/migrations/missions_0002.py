"""mission requests: one mission per `mission_request` key (the automation contract)

Revision ID: missions_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "missions_0002"
down_revision = "missions_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mission_requests",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "key", name=op.f("pk_mission_requests")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_mission_requests_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_mission_requests_mission_id_missions"),
            ondelete="SET NULL",
        ),
    )


def downgrade() -> None:
    op.drop_table("mission_requests")
