"""Uploaded avatars (`core/avatars.py`): `customers.avatar_key` and `workers.avatar_key`

The key names the current uploaded photo (its thumbnails' objects are derived from it) and
is its version: a new photo, a new key, new links. Added as columns, never a table rebuild
(a SQLite rebuild would drop the counter triggers of 0008).

Revision ID: 0012_avatars
Revises: 0012_imports
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_avatars"
down_revision = "0012_imports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("avatar_key", sa.String(length=32), nullable=True))
    op.add_column("workers", sa.Column("avatar_key", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.drop_column("avatar_key")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("avatar_key")
