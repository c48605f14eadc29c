"""Messages, each worker's read marker per customer, the tenant's hook secret, and the
idempotency keys of `sendMessage`. Ids leave the database (global IDs, event data), so
SQLite never hands out a deleted message's id again.

Attachments are core's stored files (`core/files.py`): a document of the customer sent with
an outbound message, or a file received with an inbound one (purpose `attachment`)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow

DIRECTIONS = ("INBOUND", "OUTBOUND")
CHANNELS = ("EMAIL", "SMS", "WHATSAPP", "CALL")
STATUSES = ("QUEUED", "SENT", "DELIVERED", "READ", "FAILED")


class Message(Base):
    """One email, text, WhatsApp message or call. `customer_id` is null for an inbound
    message no customer's email or phone matched (kept, so its provider id stays known)."""

    __tablename__ = "communications"
    __table_args__ = (
        Index(None, "tenant_id", "customer_id", "id"),
        Index(None, "tenant_id", "customer_id", "direction", "id"),
        UniqueConstraint("tenant_id", "provider", "provider_message_id"),
        UniqueConstraint("tenant_id", "request_key"),
        Index(None, "author_id"),
        Index(None, "tenant_id", "author_id", "customer_id"),  # `queries.takes_part`
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(32))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    request_key: Mapped[str | None] = mapped_column(String(220))
    from_address: Mapped[str | None] = mapped_column(String(320))
    to_address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(String(500))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attachment(Base):
    """A stored file carried by a message, in the order it was sent. The file follows the
    message's customer (a merge moves both; assigning an unmatched message moves its files)."""

    __tablename__ = "communication_attachments"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("communications.id", ondelete="CASCADE"), primary_key=True
    )
    file_id: Mapped[int] = mapped_column(
        ForeignKey("files.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)


class ReadMarker(Base):
    """The newest message of a customer a worker has read: the customer's inbound messages
    with a greater id are unread for that worker. No `id` column: a merge drops the source's
    markers rather than moving them (the merge record lists rows with ids only)."""

    __tablename__ = "communication_reads"

    worker_id: Mapped[int] = mapped_column(
        ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    last_read_id: Mapped[int] = mapped_column(Integer)


class HookSecret(Base):
    """The tenant's secret for signing inbound hooks (HMAC-SHA256), one per tenant."""

    __tablename__ = "communication_secrets"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SendKey(Base):
    """`sendMessage`'s idempotency keys (`core.records.claim_key`)."""

    __tablename__ = "communication_keys"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("communications.id", ondelete="CASCADE")
    )
