"""insurance providers, policies and claims

Revision ID: insurance_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "insurance_0001"
down_revision = None
branch_labels = ("insurance",)
depends_on = "0002"


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _tenant(table: str) -> sa.Column:
    return sa.Column(
        "tenant_id",
        sa.Integer(),
        sa.ForeignKey("tenants.id", ondelete="CASCADE", name=f"fk_{table}_tenant_id_tenants"),
        nullable=False,
    )


def _customer(table: str) -> sa.Column:
    return sa.Column(
        "customer_id",
        sa.Integer(),
        sa.ForeignKey("customers.id", ondelete="CASCADE", name=f"fk_{table}_customer_id_customers"),
        nullable=False,
    )


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "insurance_providers",
        _id(),
        _tenant("insurance_providers"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(40)),
        sa.Column("email", sa.String(320)),
        _time("created_at"),
        _time("updated_at"),
    )
    op.create_index(
        "ix_insurance_providers_tenant_id_name_id",
        "insurance_providers",
        ["tenant_id", "name", "id"],
    )
    op.create_table(
        "insurance_policies",
        _id(),
        _tenant("insurance_policies"),
        _customer("insurance_policies"),
        sa.Column(
            "provider_id",
            sa.Integer(),
            sa.ForeignKey(
                "insurance_providers.id",
                name="fk_insurance_policies_provider_id_insurance_providers",
            ),
            nullable=False,
        ),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("coverage_description", sa.String(2000), nullable=False),
        sa.Column("coverage_amount", sa.BigInteger(), nullable=False),
        sa.Column("coverage_currency", sa.String(3), nullable=False),
        sa.Column("premium_amount", sa.BigInteger(), nullable=False),
        sa.Column("premium_currency", sa.String(3), nullable=False),
        sa.Column("premium_period", sa.String(16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _time("cancelled_at", nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.UniqueConstraint(
            "tenant_id",
            "provider_id",
            "number",
            name="uq_insurance_policies_tenant_id_provider_id_number",
        ),
        sa.CheckConstraint("end_date >= start_date", name="ck_insurance_policies_period"),
    )
    op.create_index(
        "ix_insurance_policies_customer_id_created_at_id",
        "insurance_policies",
        ["customer_id", "created_at", "id"],
    )
    op.create_table(
        "insurance_claims",
        _id(),
        _tenant("insurance_claims"),
        _customer("insurance_claims"),
        sa.Column(
            "policy_id",
            sa.Integer(),
            sa.ForeignKey(
                "insurance_policies.id",
                ondelete="CASCADE",
                name="fk_insurance_claims_policy_id_insurance_policies",
            ),
            nullable=False,
        ),
        sa.Column("incident_date", sa.Date(), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("claimed_amount", sa.BigInteger(), nullable=False),
        sa.Column("approved_amount", sa.BigInteger()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.String(2000)),
        _time("submitted_at"),
        _time("decided_at", nullable=True),
        _time("paid_at", nullable=True),
        _time("updated_at"),
    )
    op.create_index(
        "ix_insurance_claims_customer_id_submitted_at_id",
        "insurance_claims",
        ["customer_id", "submitted_at", "id"],
    )
    op.create_index(
        "ix_insurance_claims_tenant_id_status_submitted_at_id",
        "insurance_claims",
        ["tenant_id", "status", "submitted_at", "id"],
    )
    op.create_index("ix_insurance_claims_policy_id", "insurance_claims", ["policy_id"])


def downgrade() -> None:
    op.drop_table("insurance_claims")
    op.drop_table("insurance_policies")
    op.drop_table("insurance_providers")
