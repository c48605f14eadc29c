"""An endpoint (where a tenant's events go, and which) and its deliveries (one per event and
endpoint: the delivery log). Ids leave the database (global IDs, the `Webhook-Id` header), so
SQLite never hands out a deleted row's id again."""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models import NEVER_REUSE_IDS, Base, JSONType, UTCDateTime, utcnow

PENDING, SENDING, RETRYING, SUCCEEDED, FAILED = (
    "PENDING",
    "SENDING",
    "RETRYING",
    "SUCCEEDED",
    "FAILED",
)
UNFINISHED = (PENDING, SENDING, RETRYING)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index(None, "tenant_id", "id"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    event_types: Mapped[list] = mapped_column(JSONType, default=list)
    # The signing key itself: HMAC needs it, so it cannot be stored hashed. Never read back
    # through the API after it was shown; `secret_prefix` tells keys apart.
    secret: Mapped[str] = mapped_column(String(100))
    secret_prefix: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event to one endpoint (`replay` 0), or a replay of it (1, 2, …): unique, so an
    event handled twice (at-least-once relay) is delivered once. `customer_id` and
    `event_id` order the deliveries of one endpoint and customer, and erasing the customer
    removes them (the payload carries its data)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", "replay"),
        Index(None, "tenant_id", "endpoint_id", "id"),
        Index(None, "endpoint_id", "customer_id", "status", "event_id"),
        Index(None, "customer_id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    replay: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # [{"at", "responseStatus", "durationMs", "error"}], one per attempt, oldest first
    attempt_log: Mapped[list] = mapped_column(JSONType, default=list)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sending_job: Mapped[int | None] = mapped_column(Integer)  # the job sending it now
    response_status: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


ENDPOINTS = WebhookEndpoint.__table__
DELIVERIES = WebhookDelivery.__table__
