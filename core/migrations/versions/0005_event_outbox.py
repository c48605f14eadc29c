"""the audit log becomes the event log and outbox: events are published after commit

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_audit_log_tenant_id_id", "audit_log")
    op.drop_index("ix_audit_log_tenant_id_customer_id", "audit_log")
    op.rename_table("audit_log", "events")
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_events_tenant_id_id", "events", ["tenant_id", "id"])
    op.create_index(
        "ix_events_tenant_id_customer_id_id", "events", ["tenant_id", "customer_id", "id"]
    )
    op.create_index("ix_events_unpublished", "events", ["published_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_events_unpublished", "events")
    op.drop_index("ix_events_tenant_id_customer_id_id", "events")
    op.drop_index("ix_events_tenant_id_id", "events")
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_column("published_at")
    op.rename_table("events", "audit_log")
    op.create_index("ix_audit_log_tenant_id_id", "audit_log", ["tenant_id", "id"])
    op.create_index("ix_audit_log_tenant_id_customer_id", "audit_log", ["tenant_id", "customer_id"])
