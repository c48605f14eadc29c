"""The tables of CSV imports (migration `0012_imports`): an upload and its run, one outcome per
data line, and the tenant's saved column mappings. Core tables, always present."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from core.models import Base, UTCDateTime

JSONType = JSON().with_variant(JSONB(), "postgresql")

IMPORTS = Table(
    "customer_imports",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("created_by", ForeignKey("workers.id", ondelete="SET NULL")),
    Column("file_key", String(200), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("encoding", String(20), nullable=False),
    Column("delimiter", String(1), nullable=False),
    Column("headers", JSONType, nullable=False),
    Column("row_count", Integer, nullable=False),
    # [{"column": header, "field": field name}], in the file's column order
    Column("mapping", JSONType, nullable=False),
    Column("duplicate_mode", String(10), nullable=False),
    Column("match_by", String(12), nullable=False),
    # READY (mapping may change) -> RUNNING -> DONE -> REVERTING -> REVERTED
    Column("status", String(12), nullable=False),
    Column("job_id", Integer),
    Column("revert_job_id", Integer),
    Column("created", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_customer_imports_tenant_id_id", "tenant_id", "id"),
    sqlite_autoincrement=True,
)

ROWS = Table(
    "customer_import_rows",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("import_id", ForeignKey("customer_imports.id", ondelete="CASCADE"), nullable=False),
    Column("line", Integer, nullable=False),
    Column("outcome", String(8), nullable=False),  # CREATED UPDATED SKIPPED FAILED
    Column("customer_id", Integer),
    Column("reason_code", String(64)),
    Column("reason", String(1000)),
    # UPDATED: the columns it changed, as they were (what a revert writes back)
    Column("before", JSONType),
    UniqueConstraint("import_id", "line"),
    Index("ix_customer_import_rows_import_id_outcome_line", "import_id", "outcome", "line"),
)

MAPPINGS = Table(
    "customer_import_mappings",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("columns", JSONType, nullable=False),
    Column("duplicate_mode", String(10), nullable=False),
    Column("match_by", String(12), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("tenant_id", "name"),
    sqlite_autoincrement=True,
)
