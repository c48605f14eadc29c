"""webhooks: a tenant's endpoints and their deliveries

Revision ID: webhooks_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "webhooks_0001"
down_revision = None
branch_labels = ("webhooks",)
depends_on = "0009_jobs"  # core revision with the jobs table deliveries run on

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("event_types", JSON, nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("secret_prefix", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("disabled_at", WHEN, nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
        _fk("webhook_endpoints", "tenant_id", "tenants", "CASCADE"),
        _fk("webhook_endpoints", "created_by", "workers", "SET NULL"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_webhook_endpoints_tenant_id_id"), "webhook_endpoints", ["tenant_id", "id"]
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("replay", sa.Integer(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("attempt_log", JSON, nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=True),
        sa.Column("sending_job", sa.Integer(), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        _fk("webhook_deliveries", "tenant_id", "tenants", "CASCADE"),
        _fk("webhook_deliveries", "endpoint_id", "webhook_endpoints", "CASCADE"),
        _fk("webhook_deliveries", "customer_id", "customers", "CASCADE"),
        sa.UniqueConstraint(
            "endpoint_id",
            "event_id",
            "replay",
            name=op.f("uq_webhook_deliveries_endpoint_id_event_id_replay"),
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_webhook_deliveries_tenant_id_endpoint_id_id"),
        "webhook_deliveries",
        ["tenant_id", "endpoint_id", "id"],
    )
    op.create_index(
        op.f("ix_webhook_deliveries_endpoint_id_customer_id_status_event_id"),
        "webhook_deliveries",
        ["endpoint_id", "customer_id", "status", "event_id"],
    )
    op.create_index(
        op.f("ix_webhook_deliveries_customer_id"), "webhook_deliveries", ["customer_id"]
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
