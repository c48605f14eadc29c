"""Documents, their versions, the tenant's labels, and when each worker last opened a
customer's Files tab. Ids leave the database (global IDs, event data), so SQLite never hands
out a deleted row's id again."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow


class Document(Base):
    """`file_id`, `version_count`, `latest_at` and `latest_by` repeat the newest version, so a
    page of documents and the badge read this table alone. `search_key` is the title
    case-folded in Python (SQLite's `lower()` knows ASCII only), for a contains search."""

    __tablename__ = "documents"
    __table_args__ = (Index(None, "tenant_id", "customer_id", "id"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(200))
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), index=True)
    version_count: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    latest_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    latest_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))


class DocumentVersion(Base):
    """One upload of a document; numbered from 1, the highest is the current one. A stored
    file is a version of one document at most (`file_id` unique)."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), unique=True)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DocumentLabel(Base):
    """A tenant's label with its colour; `name_key` (case-folded) is unique per tenant."""

    __tablename__ = "document_labels"
    __table_args__ = (UniqueConstraint("tenant_id", "name_key"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    name_key: Mapped[str] = mapped_column(String(60))
    color: Mapped[str] = mapped_column(String(7))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DocumentLabelLink(Base):
    __tablename__ = "document_label_links"
    __table_args__ = (Index(None, "label_id", "document_id"),)

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[int] = mapped_column(
        ForeignKey("document_labels.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


class DocumentsSeen(Base):
    """When a worker last opened a customer's Files tab (`markDocumentsSeen`): the badge
    counts the documents with a version newer than that."""

    __tablename__ = "documents_seen"

    worker_id: Mapped[int] = mapped_column(
        ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
