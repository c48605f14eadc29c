"""automation: rules, their versions and runs

Revision ID: automation_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "automation_0001"
down_revision = None
branch_labels = ("automation",)
depends_on = "0012_avatars"

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _fk(table: str, column: str, target: str, ondelete: str | None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _id_tenant() -> list:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "automation_rules",
        *_id_tenant(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=True),
        sa.Column("trigger", JSON, nullable=False),
        sa.Column("actions", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_rules")),
        _fk("automation_rules", "tenant_id", "tenants", "CASCADE"),
        _fk("automation_rules", "created_by", "workers", "SET NULL"),
    )
    op.create_index(
        op.f("ix_automation_rules_tenant_id_active_event_type"),
        "automation_rules",
        ["tenant_id", "active", "event_type"],
    )
    op.create_table(
        "automation_rule_versions",
        *_id_tenant(),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("trigger", JSON, nullable=False),
        sa.Column("actions", JSON, nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_rule_versions")),
        _fk("automation_rule_versions", "tenant_id", "tenants", "CASCADE"),
        _fk("automation_rule_versions", "rule_id", "automation_rules", "CASCADE"),
        _fk("automation_rule_versions", "author_id", "workers", "SET NULL"),
        sa.UniqueConstraint(
            "rule_id", "version", name=op.f("uq_automation_rule_versions_rule_id_version")
        ),
    )
    op.create_index(
        op.f("ix_automation_rule_versions_tenant_id"), "automation_rule_versions", ["tenant_id"]
    )
    op.create_table(
        "automation_runs",
        *_id_tenant(),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trigger_key", sa.String(length=100), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("next_step", sa.Integer(), nullable=False),
        sa.Column("steps", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_runs")),
        _fk("automation_runs", "tenant_id", "tenants", "CASCADE"),
        _fk("automation_runs", "customer_id", "customers", "CASCADE"),
        _fk("automation_runs", "rule_id", "automation_rules", "CASCADE"),
        _fk("automation_runs", "version_id", "automation_rule_versions", "CASCADE"),
        sa.UniqueConstraint(
            "tenant_id", "trigger_key", name=op.f("uq_automation_runs_tenant_id_trigger_key")
        ),
    )
    for columns in (
        ["tenant_id", "customer_id", "id"],
        ["tenant_id", "created_at"],
        ["version_id"],
    ):
        op.create_index(op.f(f"ix_automation_runs_{'_'.join(columns)}"), "automation_runs", columns)


def downgrade() -> None:
    op.drop_table("automation_runs")
    op.drop_table("automation_rule_versions")
    op.drop_table("automation_rules")
