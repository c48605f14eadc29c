"""reservations: bookable resources, their reservations and createReservation's keys

Revision ID: reservations_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "reservations_0001"
down_revision = None
branch_labels = ("reservations",)
depends_on = "0008"

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _fk(table: str, column: str, target: str, ondelete: str | None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _at(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "reservation_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("opening_hours", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_resources")),
        _fk("reservation_resources", "tenant_id", "tenants", "CASCADE"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_reservation_resources_tenant_id_name"),
        "reservation_resources",
        ["tenant_id", "name"],
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        _at("start_at"),
        _at("end_at"),
        sa.Column("party_size", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        _fk("reservations", "tenant_id", "tenants", "CASCADE"),
        _fk("reservations", "customer_id", "customers", "CASCADE"),
        _fk("reservations", "resource_id", "reservation_resources", None),
        _fk("reservations", "created_by_id", "workers", "SET NULL"),
        sqlite_autoincrement=True,
    )
    for columns in (
        ["tenant_id", "customer_id", "start_at", "id"],
        ["tenant_id", "resource_id", "start_at"],
    ):
        op.create_index(op.f(f"ix_reservations_{'_'.join(columns)}"), "reservations", columns)
    op.create_table(
        "reservation_idempotency_keys",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=True),
        _at("created_at"),
        sa.PrimaryKeyConstraint("tenant_id", "key", name=op.f("pk_reservation_idempotency_keys")),
        _fk("reservation_idempotency_keys", "tenant_id", "tenants", "CASCADE"),
        _fk("reservation_idempotency_keys", "reservation_id", "reservations", "CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("reservation_idempotency_keys")
    op.drop_table("reservations")
    op.drop_table("reservation_resources")
