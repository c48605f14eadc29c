"""automation: the schedule period of a scheduled run

Revision ID: automation_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "automation_0002"
down_revision = "automation_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("automation_runs", sa.Column("period", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("automation_runs") as batch:
        batch.drop_column("period")
