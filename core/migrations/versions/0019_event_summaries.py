"""event summaries: `events.summary` and `events.summary_rest`, the timeline's sentence

Stored so SQL can answer a timeline (`schema/compiled/timeline.py`): the sentence without a
worker and, for core events, what follows the worker's name (`core.summaries`). Both are
nullable text columns, added without a table rebuild (metadata only on PostgreSQL and
SQLite), then filled here for the existing rows in batches of `BATCH` by id: one read and
one `executemany` update per batch. Measured (docs/development.md, "Stored summaries"):
about 15-25 µs of Python per row plus the updates; on PostgreSQL each updated row leaves a
dead version until vacuum, so the table's size doubles for a while. A row written by older
code while this runs (or later, without the model's default) keeps nulls: the resolver works
its sentence out in Python, and `core.summaries.backfill` fills it.

Revision ID: 0019_event_summaries
Revises: 0012_avatars
"""

import sqlalchemy as sa
from alembic import op

from core.summaries import backfill

revision = "0019_event_summaries"
down_revision = "0012_avatars"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("summary", sa.Text(), nullable=True))
    op.add_column("events", sa.Column("summary_rest", sa.Text(), nullable=True))
    backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("summary_rest")
        batch.drop_column("summary")
