"""activities: entries logged from other modules' events, once per event

Revision ID: activities_0002
Revises: activities_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "activities_0002"
down_revision = "activities_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("activities", sa.Column("source_event_id", sa.Integer(), nullable=True))
    op.create_index(
        op.f("ix_activities_tenant_id_source_event_id"),
        "activities",
        ["tenant_id", "source_event_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_activities_tenant_id_source_event_id"), table_name="activities")
    with op.batch_alter_table("activities") as batch:
        batch.drop_column("source_event_id")
