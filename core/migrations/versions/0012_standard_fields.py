"""standard fields on customers, their addresses and their contact people

Title (salutation and job title), date of birth, website, industry, payment preferences
and per-channel communication consent become columns of `customers` (they were faked as
custom fields). Billing and shipping addresses go in `customer_addresses`, at most one of
each kind per customer; the people at a customer in `customer_contacts`, at most one of
them primary (a unique partial index, so no writer can break it). `contact_search_text`
holds the contacts' names, emails and phones that `search_text` ends with, so search by a
contact finds the company through the same trigram index.

Columns are added, never a table rebuilt: a SQLite rebuild would drop the counter triggers
of 0008.

Revision ID: 0011_standard_fields
Revises: 0010_files
"""

import sqlalchemy as sa
from alembic import op

from core.models import UTCDateTime

revision = "0011_standard_fields"
down_revision = "0010_files"
branch_labels = None
depends_on = None

CHANNELS = ("email", "sms", "whatsapp", "phone", "post")


def _columns() -> list[sa.Column]:
    columns = [
        sa.Column("salutation", sa.String(40)),
        sa.Column("job_title", sa.String(200)),
        sa.Column("date_of_birth", sa.Date()),
        sa.Column("website", sa.String(2000)),
        sa.Column("industry", sa.String(100)),
        sa.Column("payment_method", sa.String(20)),
        sa.Column("payment_terms_days", sa.Integer()),
        sa.Column("payment_currency", sa.String(3)),
        sa.Column("do_not_contact", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("preferred_channel", sa.String(16)),
    ]
    for channel in CHANNELS:
        columns.append(sa.Column(f"{channel}_consent", sa.String(10)))
        columns.append(sa.Column(f"{channel}_consent_at", UTCDateTime()))
    columns.append(sa.Column("contact_search_text", sa.Text(), nullable=False, server_default=""))
    return columns


def _owned(table: str) -> list:
    """id, tenant_id and customer_id of a table of a customer's rows."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.Column(
            "tenant_id",
            sa.Integer(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE", name=f"fk_{table}_tenant_id_tenants"),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.Integer(),
            sa.ForeignKey(
                "customers.id", ondelete="CASCADE", name=f"fk_{table}_customer_id_customers"
            ),
            nullable=False,
        ),
    ]


def upgrade() -> None:
    for column in _columns():
        op.add_column("customers", column)
    op.create_table(
        "customer_addresses",
        *_owned("customer_addresses"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("line1", sa.String(200), nullable=False),
        sa.Column("line2", sa.String(200)),
        sa.Column("city", sa.String(100)),
        sa.Column("region", sa.String(100)),
        sa.Column("postal_code", sa.String(20)),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("customer_id", "kind", name="uq_customer_addresses_customer_id_kind"),
    )
    op.create_index(
        "ix_customer_addresses_tenant_id_country_customer_id",
        "customer_addresses",
        ["tenant_id", "country", "customer_id"],
    )
    op.create_table(
        "customer_contacts",
        *_owned("customer_contacts"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("phone", sa.String(40)),
        sa.Column("job_title", sa.String(200)),
        sa.Column("department", sa.String(100)),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_customer_contacts_customer_id_position",
        "customer_contacts",
        ["customer_id", "position"],
    )
    op.create_index(
        "uq_customer_contacts_primary",
        "customer_contacts",
        ["customer_id"],
        unique=True,
        sqlite_where=sa.text("is_primary"),
        postgresql_where=sa.text("is_primary"),
    )


def downgrade() -> None:
    op.drop_table("customer_contacts")
    op.drop_table("customer_addresses")
    with op.batch_alter_table("customers", recreate="never") as batch_op:
        for column in reversed(_columns()):
            batch_op.drop_column(column.name)
