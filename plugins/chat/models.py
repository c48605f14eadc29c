"""Threads, messages, read markers and the idempotency keys of `postChatMessage`. Ids leave
the database (global IDs, read markers, event data), so SQLite never reuses a deleted one."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow

JSONType = JSON().with_variant(JSONB(), "postgresql")


class ChatThread(Base):
    __tablename__ = "chat_threads"
    __table_args__ = (Index(None, "tenant_id", "customer_id", "id"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatMessage(Base):
    """Deleting is soft: the row stays (`deleted_at`), its body is emptied."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        Index(None, "tenant_id", "customer_id", "id"),
        Index(None, "tenant_id", "thread_id", "id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("chat_threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    mention_ids: Mapped[list] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChatReadMarker(Base):
    """The newest message a worker has read in a thread; goes with the thread or worker."""

    __tablename__ = "chat_read_markers"

    thread_id: Mapped[int] = mapped_column(
        ForeignKey("chat_threads.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    last_read_id: Mapped[int] = mapped_column(Integer)


class ChatIdempotencyKey(Base):
    """A `postChatMessage` key, claimed first thing (INSERT … ON CONFLICT DO NOTHING): a retry
    waits for the first request's commit, then answers its message."""

    __tablename__ = "chat_idempotency_keys"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_messages.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


TABLES = [
    ChatThread.__table__,
    ChatMessage.__table__,
    ChatReadMarker.__table__,
    ChatIdempotencyKey.__table__,
]
