"""deals: the pipeline's covering index

Revision ID: deals_0002

`dealPipeline` sums a tenant's deals per stage and currency. (tenant, stage, currency,
owner, customer, amount) holds all it reads, so the sums are an index-only scan in group
order, never a read of the deals' rows; it replaces (tenant, stage), its prefix.
"""

from alembic import op

revision = "deals_0002"
down_revision = "deals_0001"
branch_labels = None
depends_on = None

COLUMNS = ["tenant_id", "stage_id", "currency", "owner_id", "customer_id", "amount"]


def upgrade() -> None:
    op.create_index("ix_deals_pipeline", "deals", COLUMNS)
    op.drop_index("ix_deals_tenant_id_stage_id", table_name="deals")


def downgrade() -> None:
    op.create_index("ix_deals_tenant_id_stage_id", "deals", ["tenant_id", "stage_id"])
    op.drop_index("ix_deals_pipeline", table_name="deals")
