"""flow: flows (boards of customers), their columns, workers and the customers' positions

Revision ID: flow_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "flow_0001"
down_revision = None
branch_labels = ("flow",)
depends_on = "0012_segments"

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def _index(table: str, columns: list[str], unique: bool = False) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, columns, unique=unique)


def upgrade() -> None:
    op.create_table(
        "flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("folder_ids", JSON, nullable=False),
        sa.Column("tag_ids", JSON, nullable=False),
        sa.Column("status_ids", JSON, nullable=False),
        sa.Column("lead_sources", JSON, nullable=False),
        sa.Column("default_column_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flows")),
        _fk("flows", "tenant_id", "tenants"),
        sqlite_autoincrement=True,
    )
    _index("flows", ["tenant_id", "name"])
    op.create_table(
        "flow_workers",
        sa.Column("flow_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("flow_id", "worker_id", name=op.f("pk_flow_workers")),
        _fk("flow_workers", "flow_id", "flows"),
        _fk("flow_workers", "worker_id", "workers"),
        _fk("flow_workers", "tenant_id", "tenants"),
    )
    _index("flow_workers", ["tenant_id", "worker_id"])
    op.create_table(
        "flow_columns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("on_drop", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_columns")),
        _fk("flow_columns", "tenant_id", "tenants"),
        _fk("flow_columns", "flow_id", "flows"),
        sqlite_autoincrement=True,
    )
    _index("flow_columns", ["tenant_id", "flow_id", "position"])
    op.create_table(
        "flow_positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("column_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.String(length=200), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_positions")),
        _fk("flow_positions", "tenant_id", "tenants"),
        _fk("flow_positions", "flow_id", "flows"),
        _fk("flow_positions", "customer_id", "customers"),
        _fk("flow_positions", "column_id", "flow_columns"),
    )
    _index("flow_positions", ["flow_id", "customer_id"], unique=True)
    _index("flow_positions", ["tenant_id", "flow_id", "column_id", "rank"])
    _index("flow_positions", ["customer_id"])


def downgrade() -> None:
    op.drop_table("flow_positions")
    op.drop_table("flow_columns")
    op.drop_table("flow_workers")
    op.drop_table("flows")
